#!/usr/bin/env bash
# Checks the demo's metrics against a real Prometheus server: builds
# cmd/eventengine, runs its demo with --metrics-addr on a free loopback
# port, starts Debian's prometheus (installed with apt-get if absent)
# scraping it every second, and waits until Prometheus reports the target up
# and its HTTP API answers queries for an engine metric and a per-handler
# metric. Then it stops both. Everything listens on 127.0.0.1 only.
#
# Every wait polls with a bound (no blind sleeps); the whole check takes
# about 5-10 s once the package is installed. Exits non-zero, with the
# logs, on any failure.
# Usage: ./scripts/prometheus-check.sh     (LIMIT=60 to wait longer per step)
set -euo pipefail
cd "$(dirname "$0")/.."
limit="${LIMIT:-60}" # seconds, per wait
start=$SECONDS

sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo=sudo
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v jq >/dev/null 2>&1 || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (Debian packages)"
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
prometheus --version 2>&1 | head -1

work=$(mktemp -d)
demo_pid="" prom_pid=""
cleanup() {
  local rc=$?
  for pid in $prom_pid $demo_pid; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $prom_pid $demo_pid; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    echo "--- demo stderr"; cat "$work/demo.err" 2>/dev/null || true
    echo "--- prometheus log (last 30 lines)"; tail -30 "$work/prometheus.log" 2>/dev/null || true
    echo "prometheus-check: FAIL after $((SECONDS - start)) s"
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# poll DESCRIPTION COMMAND...: runs COMMAND every 0.2 s until it succeeds,
# for at most $limit seconds.
poll() {
  local what=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "prometheus-check: timed out after ${limit} s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

echo "building cmd/eventengine"
go build -o "$work/eventengine" ./cmd/eventengine

# The demo picks a free port (127.0.0.1:0) and prints it on stderr.
"$work/eventengine" demo --duration 10m --rate 20000 --symbols 20 --metrics-addr 127.0.0.1:0 --json \
  >"$work/summary.json" 2>"$work/demo.err" &
demo_pid=$!
poll "the demo's metrics address" grep -q 'serving http://' "$work/demo.err"
target=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$work/demo.err" | head -1)
echo "demo serving on $target"

# A free port for Prometheus: the first in a range that nothing answers on.
prom_port=""
for p in $(seq 19090 19190); do
  if ! (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then prom_port=$p; break; fi
done
[ -n "$prom_port" ] || { echo "prometheus-check: no free port in 19090-19190" >&2; exit 1; }
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: eventengine-demo
    static_configs:
      - targets: ['$target']
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
api="http://127.0.0.1:$prom_port/api/v1"

target_up() {
  curl -fsS "$api/targets" | jq -e '.data.activeTargets[] | select(.labels.job == "eventengine-demo" and .health == "up")'
}
# has QUERY: the query returns at least one series with a positive value.
has() {
  curl -fsS --get "$api/query" --data-urlencode "query=$1" | jq -e '.status == "success" and (.data.result | length > 0) and (.data.result[0].value[1] | tonumber > 0)'
}
poll "Prometheus to start" curl -fsS "http://127.0.0.1:$prom_port/-/ready"
poll "the target to be up" target_up
poll "eventengine_messages_accepted_total" has 'eventengine_messages_accepted_total{job="eventengine-demo"}'
poll "a per-handler series" has 'eventengine_handler_calls_total{job="eventengine-demo",topic="Market.Data.{symbol}",handler="vwap"}'
poll "a rate over two scrapes" has 'rate(eventengine_messages_delivered_total{job="eventengine-demo"}[5s])'
poll "a handler's p99 from its histogram" has 'histogram_quantile(0.99, rate(eventengine_handler_seconds_bucket{job="eventengine-demo",handler="vwap"}[5s]))'
value=$(curl -fsS --get "$api/query" --data-urlencode 'query=eventengine_messages_accepted_total{job="eventengine-demo"}' | jq -r '.data.result[0].value[1]')
echo "Prometheus reads eventengine_messages_accepted_total = $value"

# Stop the demo as Ctrl-C would: it shuts down gracefully and prints its
# summary, which must say nothing was lost.
kill -INT "$demo_pid"
wait "$demo_pid"
demo_pid=""
jq -e '.lost == 0 and .accepted == .delivered and .published > 0' "$work/summary.json" >/dev/null
echo "prometheus-check: ok in $((SECONDS - start)) s"
