#!/usr/bin/env bash
# Measures how long `meter-sync serve --demo` takes, from an empty data
# folder, until it answers HTTP (/healthz). Usage: tools/demo-ready.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=$(mktemp -d)/meter-sync
go build -o "$bin" ./cmd/meter-sync
for i in $(seq "$runs"); do
  data=$(mktemp -d)
  port=$((20000 + RANDOM % 20000))
  start=$(date +%s.%N)
  "$bin" serve --demo --data "$data" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.01; done
  end=$(date +%s.%N)
  kill "$pid"; wait "$pid" || true
  rm -rf "$data"
  echo "run $i: ready in $(echo "$end - $start" | bc) s"
done
