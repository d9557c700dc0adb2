#!/usr/bin/env bash
# Brackets engine and channel benchmark runs with a C cache-line ping-pong, to
# show where the host has put the VM's two vCPUs during each run (see
# docs/benchmarks.md, "Two speeds with one producer"). Prints one line per
# round: round trip before, round trip after (ns), then ns a message of
# Channel1P1C, Engine1P1C, Channel4P1C, Engine4P1C.
# Usage: scripts/placement/run.sh [seconds]   (default 300)
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -pthread scripts/placement/pingpong.c -o "$tmp/pingpong"
go test -c -o "$tmp/engine.test" ./engine
bench() { "$tmp/engine.test" -test.run '^$' -test.bench "^Benchmark$1\$" -test.benchtime 3000000x | awk '/ns\/op/ {print $3}'; }
end=$((SECONDS + ${1:-300}))
echo "# rt_before_ns rt_after_ns channel1p engine1p channel4p engine4p"
while [ "$SECONDS" -lt "$end" ]; do
	a=$("$tmp/pingpong" | awk '{print $1}')
	c1=$(bench Channel1P1C); e1=$(bench Engine1P1C); c4=$(bench Channel4P1C); e4=$(bench Engine4P1C)
	b=$("$tmp/pingpong" | awk '{print $1}')
	echo "$a $b $c1 $e1 $c4 $e4"
done
