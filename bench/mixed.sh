#!/usr/bin/env bash
# A crowd of distinct users through nginx (the whole stack, release builds; ARTICLES articles, USERS users, each
# with a token): about 80 % reads, 15 % favorite/unfavorite/follow, 5 % new articles and comments (bench/mixed.lua),
# at 32 and at 256 connections. Prints throughput, p50/p99 and errors (non-2xx and socket errors); asserts nothing.
# Usage: bench/mixed.sh   (ARTICLES=1000 USERS=1000 DURATION=10s; DATABASE_URL=mysql://… for MySQL)
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
for connections in 32 256; do
  printf 'mixed, %3d connections: ' "$connections"
  wrk -t2 -c"$connections" -d"${DURATION:-10s}" --latency -s bench/mixed.lua "$BASE_URL" | wrk_summary
done
