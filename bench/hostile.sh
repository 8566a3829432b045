#!/usr/bin/env bash
# The attacks of issue 13 against the whole stack through nginx (release builds, fresh data): prints wall time,
# peak RSS, log bytes and throughput for each (bench/hostile.py). Asserts nothing; `cargo test`'s hostile suite
# asserts the bounds.
# Usage: bench/hostile.sh   (BIN_DIR=… to measure other builds, e.g. an older commit's)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/stack.sh
. scripts/stack.sh
if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release --locked -q -p db-service -p api
  export BIN_DIR=$root/target/release
fi
[ -f web/dist/index.html ] || make -s web
# The attacker plays several clients through nginx, which trusts loopback as a proxy here.
export REAL_IP_FROM=127.0.0.1 BACKUP_INTERVAL_SECS=0 RUST_LOG=info
# Its one account's thousands of creates and comments measure what a write costs; the write allowance that would
# stop them after WRITES_PER_USER_PER_MINUTE has its own test (cargo test).
export WRITES_PER_USER_PER_MINUTE=1000000
start_stack
api_pid=$(pgrep -f "^$BIN_DIR/api" | head -1)
db_pid=$(pgrep -f "^$BIN_DIR/db-service" | head -1)
python3 bench/hostile.py "$BASE_URL" "$api_pid" "$db_pid" "$STACK_LOG"
