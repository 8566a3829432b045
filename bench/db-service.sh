#!/usr/bin/env bash
# db-service benchmark: internal list (20 per page, with author and favorite info) and create throughput and
# latency with 1,000 and 1,000,000 articles, list latency while backups run, and idle memory.
# Prints figures; asserts nothing. Usage: bench/db-service.sh [SIZES…]   (default: 1000 1000000)
# Load: wrk, 2 threads, 32 connections, on loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sizes=("${@:-1000 1000000}")
read -r -a sizes <<< "${sizes[*]}"
# shellcheck source=../scripts/stack.sh
. scripts/stack.sh
# shellcheck source=wrk.sh
. bench/wrk.sh
need_wrk
cargo build --release --locked -q -p db-service
bin=$root/target/release/db-service
token=bench-internal-token-0123456789
duration=${DURATION:-10s}
port=$(free_port)
url=http://127.0.0.1:$port
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start() {
  DB_SERVICE_ADDR=127.0.0.1:$port DATA_DIR=$work/data INTERNAL_TOKEN=$token BACKUP_INTERVAL_SECS=0 \
    RUST_LOG=warn "$bin" & pid=$!
  until curl -fs -o /dev/null "$url/readyz"; do sleep 0.05; done
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
unique_posts_lua "$work/create.lua" /v1/articles x-internal-token "$token" \
  '{"author":1,"slug":"bench-{unique}","title":"Bench bench-{unique}","description":"d","body":"b","tags":["rust","bench"]}'

for size in "${sizes[@]}"; do
  echo "== $size articles"
  rm -rf "$work/data"
  python3 bench/seed.py "$work/seed.jsonl" --users 20 --articles "$size"
  DATA_DIR=$work/data "$bin" import "$work/seed.jsonl" >/dev/null
  start
  echo "idle RSS with data: $(( $(rss_kb) / 1024 )) MB"
  h=(-H "x-internal-token: $token")
  printf 'list 20, anonymous:        '; wrk -t2 -c32 -d"$duration" --latency "${h[@]}" "$url/v1/articles?limit=20" | wrk_summary
  printf 'list 20, viewer, offset:   '; wrk -t2 -c32 -d"$duration" --latency "${h[@]}" "$url/v1/articles?limit=20&offset=500&viewer=2" | wrk_summary
  printf 'list 20, by tag:           '; wrk -t2 -c32 -d"$duration" --latency "${h[@]}" "$url/v1/articles?limit=20&tag=wasm&viewer=2" | wrk_summary
  printf 'list 20, by author:        '; wrk -t2 -c32 -d"$duration" --latency "${h[@]}" "$url/v1/articles?limit=20&author=user3" | wrk_summary
  printf 'create article:            '; wrk -t2 -c32 -d"$duration" --latency -s "$work/create.lua" "$url" | wrk_summary
  # Backups back to back while reads go on.
  ( end=$((SECONDS + ${duration%s})); n=0
    while [ $SECONDS -lt $end ]; do curl -fs -o /dev/null -X POST "${h[@]}" "$url/v1/backups" && n=$((n+1)); done
    echo "$n" > "$work/backups" ) &
  backup_loop=$!
  printf 'list 20 during backups:    '; wrk -t2 -c32 -d"$duration" --latency "${h[@]}" "$url/v1/articles?limit=20" | wrk_summary
  wait "$backup_loop" || true
  echo "backups completed meanwhile: $(cat "$work/backups"); one backup: $(du -sh "$(ls -d "$work"/data/backups/2* | tail -1)" | cut -f1)"
  sleep 2
  echo "idle RSS after load: $(( $(rss_kb) / 1024 )) MB"
  stop
done
