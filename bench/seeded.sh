# A stack with data for the benchmarks. Source it after scripts/stack.sh; it defines functions and runs nothing.

# Builds the release binaries unless BIN_DIR names others (and the SPA if missing), writes a data set of $1 articles and $2 users with tokens for
# the first $3 (bench/seed.py), loads it with `db-service import` (into DATABASE_URL when set, else SQLite), and
# starts the whole stack on it (start_stack). Exports BENCH_WORK (a scratch folder holding `tokens` and `slugs`,
# removed at exit), BIN_DIR, JWT_SECRET and INTERNAL_TOKEN.
start_seeded_stack() { # articles users tokens
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  # BIN_DIR set: that folder's binaries as they are (to compare two builds), else this tree's, built now.
  if [ -z "${BIN_DIR:-}" ]; then
    cargo build --release --locked -q -p db-service -p api
    BIN_DIR=$conduit_root/target/release
  fi
  BIN_DIR=$(cd "$BIN_DIR" && pwd)
  export BIN_DIR
  [ -f "$conduit_root/web/dist/index.html" ] || make -s -C "$conduit_root" web
  export JWT_SECRET=bench-jwt-secret-of-enough-length-0123456789 INTERNAL_TOKEN=bench-internal-token-0123456789
  export LOGIN_ATTEMPTS_PER_IP_PER_MINUTE=1000 SIGNUPS_PER_IP_PER_MINUTE=1000 BACKUP_INTERVAL_SECS=0 RUST_LOG=warn
  # wrk searches from one address: what is measured is the search, not the per-client allowance.
  export SEARCHES_PER_IP_PER_MINUTE=1000000
  # A benchmark's few tokens write as fast as the stack can take: what is measured is the stack, not the allowance.
  export WRITES_PER_USER_PER_MINUTE=1000000
  export BENCH_WORK
  BENCH_WORK=$(mktemp -d)
  python3 "$conduit_root/bench/seed.py" "$BENCH_WORK/seed.jsonl" --users "$2" --articles "$1" \
    --jwt-secret "$JWT_SECRET" --tokens "$3" --tokens-file "$BENCH_WORK/tokens" --slugs-file "$BENCH_WORK/slugs" \
    --body-bytes "${BODY_BYTES:-0}"
  export DATA_DIR=$BENCH_WORK/data
  local started=$SECONDS
  "$BIN_DIR/db-service" import "$BENCH_WORK/seed.jsonl" >/dev/null
  rm -f "$BENCH_WORK/seed.jsonl"
  echo "seeded $1 articles and $2 users in $((SECONDS - started)) s"
  start_stack
  # A static-file reference (bench/wrk.sh) left running when set -e ends the script early goes too.
  trap 'if declare -F stop_static_reference >/dev/null; then stop_static_reference; fi
    stop_stack; rm -rf "$BENCH_WORK"' EXIT
}

# The peak resident memory (VmHWM) of the stack's api and db-service so far, in MiB: what the memory limits in
# compose and k8s are derived from (k8s/README.md).
print_peak_memory() {
  local name pid
  for name in api db-service; do
    pid=$(pgrep -f "^$BIN_DIR/$name" | head -1)
    # Now, apart: the process's own memory, and file pages mapped (its binary, and db-service's SQLite maps, counted once per
    # connection here though the kernel holds each page once, as page cache).
    awk -v n="$name" '/^VmHWM/ {hwm = $2} /^RssAnon/ {own = $2} /^RssFile/ {file = $2}
      END {printf "peak RSS %s: %.1f MiB (now %.1f MiB own, %.1f MiB file pages)\n", n, hwm / 1024, own / 1024, file / 1024}' \
      "/proc/$pid/status"
  done
  # nginx: its master and workers together (this machine runs no other nginx during benchmarks).
  pgrep -x nginx | while read -r pid; do cat "/proc/$pid/status"; done |
    awk '/^VmHWM/ {kib += $2; n++} END {if (n) printf "peak RSS nginx (%d processes together): %.1f MiB\n", n, kib / 1024}'
}
