#!/usr/bin/env bash
# The whole test suite: formatting, vet, race-enabled tests of every module
# (the core module and bench/), the core module's tests without -race, and a
# short run of every fuzz target.
# Every step runs even after a failure; the last line is
# "N passed, N failed" (test packages and fuzz targets, plus the gofmt and
# vet checks), and the exit status is non-zero when anything failed.
# Usage: ./scripts/test.sh            (FUZZTIME=300000x ./scripts/test.sh for longer fuzzing;
#        PROMETHEUS_CHECK=1 also scrapes the demo with a real Prometheus server, as CI does)
# The race detector needs cgo: a C compiler (gcc or clang) must be installed.
set -uo pipefail
cd "$(dirname "$0")/.."

# A count of inputs, not a duration: with a duration, go1.26's fuzzing
# coordinator sometimes reports its own deadline as a failure ("context
# deadline exceeded", no failing input; golang/go#75804, fixed in go1.27),
# as it did here once in FuzzEngine and once in FuzzMatch. 30,000 inputs
# take about 1-3 s per target on the 2-core machine.
fuzztime="${FUZZTIME:-30000x}"
# Every module of the workspace (go.work), as paths relative to the root.
modules=()
while IFS= read -r d; do
  modules+=("$(realpath --relative-to=. "$d")")
done < <(go list -m -f '{{.Dir}}')

passed=0
failed=0
failures=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() { printf '\n== %s\n' "$*"; }
pass() { passed=$((passed + $1)); }
fail() { failed=$((failed + 1)); failures+=("$1"); }

# gotest NAME DIR ARGS...: runs go test in DIR, counting its packages.
gotest() {
  local name=$1 dir=$2
  shift 2
  local rc=0
  (cd "$dir" && go test "$@") 2>&1 | tee "$log" || rc=$?
  local ok bad
  ok=$(grep -cE '^ok[[:space:]]' "$log")
  bad=$(grep -cE '^FAIL[[:space:]]+[^[:space:]]' "$log")
  pass "$ok"
  if [ "$bad" -gt 0 ]; then
    failed=$((failed + bad))
    failures+=("$name: $(grep -E '^FAIL[[:space:]]+[^[:space:]]' "$log" | awk '{print $2}' | tr '\n' ' ')")
  elif [ "$rc" -ne 0 ]; then
    fail "$name (go test exit status $rc)"
  fi
}

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; fail "gofmt"
else
  pass 1
fi

for m in "${modules[@]}"; do
  step "go vet ($m)"
  if (cd "$m" && go vet ./...); then pass 1; else fail "go vet ($m)"; fi
done

for m in "${modules[@]}"; do
  step "go test -race ($m)"
  gotest "go test -race ($m)" "$m" -race -count=1 ./...
done

# Without the race detector too: on amd64 the queue publishes items with an
# assembly release store that race builds replace by sync/atomic
# (queue/publish_amd64.go), so only this run tests the code users get.
step "go test (., without -race)"
gotest "go test (.)" . -count=1 ./...

# The core module on a 32-bit platform: its layout checks are written in
# words, and GOARCH=386 binaries run on an amd64 Linux host as they are.
step "go vet and go test (., GOARCH=386)"
if GOARCH=386 go vet ./...; then pass 1; else fail "go vet (., GOARCH=386)"; fi
export GOARCH=386
gotest "go test (., GOARCH=386)" . -count=1 ./...
unset GOARCH

# -fuzzminimizetime: the default (60 s per new input) left the fuzzers
# minimizing, at 0 execs/s, for most of a short run (seen on FuzzParse and
# FuzzMatch: execs stuck after the first 3 s; 40k execs/s with this bound).
step "fuzz targets ($fuzztime each)"
for pkg in $(for m in "${modules[@]}"; do (cd "$m" && go list ./...); done); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "-- $pkg $target"
    if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 100x "$pkg"; then
      pass 1
    else
      fail "fuzz $pkg $target"
    fi
  done
done

# Against a real Prometheus server (Debian's prometheus package, installed
# by the script if absent): on in CI, or with PROMETHEUS_CHECK=1.
if [ "${PROMETHEUS_CHECK:-${CI:-}}" = "1" ] || [ "${PROMETHEUS_CHECK:-${CI:-}}" = "true" ]; then
  step "prometheus server check"
  if ./scripts/prometheus-check.sh; then pass 1; else fail "prometheus-check"; fi
fi

step "summary"
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
