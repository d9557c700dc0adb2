#!/usr/bin/env bash
# The whole test suite: formatting, vet, race-enabled tests of every module,
# a short run of every fuzz target, and a build of the examples.
# Usage: ./scripts/test.sh            (FUZZTIME=10s ./scripts/test.sh for longer fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-3s}"
modules=(.)
[ -f bench/go.mod ] && modules+=(bench)

step() { printf '\n== %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

for m in "${modules[@]}"; do
  step "go vet ($m)"
  (cd "$m" && go vet ./...)
done

step "go test -race (core)"
go test -race -count=1 ./...

if [ -f bench/go.mod ]; then
  step "go test (bench module: peers' correctness in quick mode)"
  (cd bench && go test -count=1 ./...)
fi

step "fuzz targets ($fuzztime each)"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "-- $pkg $target"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done

echo
echo "all checks passed"
