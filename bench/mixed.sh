#!/usr/bin/env bash
# A crowd of distinct users through nginx (the whole stack, release builds; ARTICLES articles, USERS users, each
# with a token): about 80 % reads, 15 % favorite/unfavorite/follow, 5 % new articles and comments (bench/mixed.lua),
# at 32 and at 256 connections. Prints throughput, p50/p99 and errors (non-2xx and socket errors), and the mean
# time each route spent in the api (its own histograms) and how blog.db's writer batched, then the machine's speed
# in the same run (the list's bytes as a static file from a bare nginx, as bench/api.sh); asserts nothing.
# Usage: bench/mixed.sh   (ARTICLES=1000 USERS=1000 DURATION=10s CONNECTIONS='32 256'; BODY_BYTES=20000 for long
# seeded bodies; DATABASE_URL=mysql://… for MySQL; BIN_DIR=folder to run other builds' binaries, bench/seeded.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/stack.sh
. scripts/stack.sh
# shellcheck source=wrk.sh
. bench/wrk.sh
# shellcheck source=seeded.sh
. bench/seeded.sh
need_wrk
users=${USERS:-1000}
start_seeded_stack "${ARTICLES:-1000}" "$users" "$users"
export TOKENS=$BENCH_WORK/tokens SLUGS=$BENCH_WORK/slugs USERS=$users
# The api's own latency histograms (sum and count per route and method), to tell where a run's time went.
api_durations() {
  curl -fs "http://127.0.0.1:$API_PORT/metrics" | grep -E '^api_request_duration_seconds_(sum|count|bucket)\{' \
    || echo "(no latency histograms from the api at :$API_PORT)" >&2
}
# blog.db's group commit so far: transactions, the writes they held, and the seconds they and their COMMITs took
# (SQLite only; MySQL batches new articles alone).
writer_batches() {
  curl -fs "http://127.0.0.1:$DB_PORT/metrics" |
    awk '/^db_blog_batches_total / {b = $2} /^db_blog_batch_size_sum / {w = $2}
      /^db_blog_transaction_duration_seconds_sum / {t = $2} /^db_blog_transaction_duration_seconds_count / {tn = $2}
      /^db_blog_commit_duration_seconds_sum / {c = $2} /^db_blog_commit_duration_seconds_count / {cn = $2}
      END {printf "%d %d %.6f %d %.6f %d\n", b, w, t, tn, c, cn}'
}
for connections in ${CONNECTIONS:-32 256}; do
  api_durations > "$BENCH_WORK/durations-before"
  read -r batches_before writes_before held_before held_n_before committing_before committing_n_before \
    < <(writer_batches)
  printf 'mixed, %3d connections: ' "$connections"
  wrk -t2 -c"$connections" -d"${DURATION:-10s}" --latency -s bench/mixed.lua "$BASE_URL" | wrk_summary
  api_durations > "$BENCH_WORK/durations-after"
  read -r batches_after writes_after held_after held_n_after committing_after committing_n_after \
    < <(writer_batches)
  # Each duration is averaged over its own count: failed transactions are timed but not counted as batches.
  awk -v b=$((batches_after - batches_before)) -v w=$((writes_after - writes_before)) \
    -v t="$held_after" -v t0="$held_before" -v tn=$((held_n_after - held_n_before)) \
    -v c="$committing_after" -v c0="$committing_before" -v cn=$((committing_n_after - committing_n_before)) 'BEGIN {
    if (b == 0) exit
    printf "  blog.db writer: %d transactions holding %d writes (%.1f each)", b, w, w / b
    # Timed on SQLite only (MySQL batches new articles alone, untimed).
    if (tn > 0 && cn > 0) printf ", %.2f ms each (COMMIT %.2f ms)", (t - t0) / tn * 1000, (c - c0) / cn * 1000
    print "" }'
  # Mean time in the api per route during the run, and its share over 20 ms (requests nginx answered from its cache never reach it).
  python3 - "$BENCH_WORK/durations-before" "$BENCH_WORK/durations-after" <<'PY'
import re, sys
sample = re.compile(r'api_request_duration_seconds_(sum|count|bucket)\{(.*)\} (\S+)')
def load(path):
    values = {}
    for m in map(sample.match, open(path)):
        if not m:
            continue
        labels = m[2]
        route = re.search(r'route="([^"]*)"', labels)[1]
        method = re.search(r'method="([^"]*)"', labels)[1]
        le = re.search(r'le="([^"]*)"', labels)
        key = (f'{method} {route}', m[1] + (le[1] if le else ''))
        values[key] = float(m[3])
    return values
before, after = map(load, sys.argv[1:])
delta = lambda key: after.get(key, 0) - before.get(key, 0)
rows = []
for (route, kind) in after:
    n = delta((route, kind))
    if kind == 'count' and n > 0 and '/metrics' not in route:
        mean = delta((route, 'sum')) / n * 1000
        # The tail: the share of the route's requests that took over 20 ms in the api (buckets are cumulative).
        over = f'{1 - delta((route, "bucket0.02")) / n:6.1%}' if (route, 'bucket0.02') in after else '     ?'
        rows.append((n, route, mean, over))
for n, route, ms, over in sorted(rows, reverse=True):
    print(f'  at the api: {route:<40} {int(n):7d} requests, mean {ms:6.2f} ms, over 20 ms {over}')
PY
done
# The same run's reference: what the machine does with the simplest request there is, so that this run's figures
# can be set beside another's. The last run's queued requests drain first.
sleep 2
static_reference "$BASE_URL/api/articles?limit=20" > "$BENCH_WORK/static.out"
printf 'the list as a static file, bare nginx, 32 connections: %s\n' "$(wrk_summary < "$BENCH_WORK/static.out")"
