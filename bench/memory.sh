#!/usr/bin/env bash
# The peak memory the compose and Kubernetes limits are derived from (k8s/README.md, "Memory"). The whole stack runs
# on ONE cpu, as a pod with `cpu: 1` sees it (one tokio worker, one password hasher: both are sized by the cpus a
# process may use), on 1,000 seeded articles; then, in turn: the attacks of bench/hostile.py (50 parallel sign-ups,
# 1,000 × 36 KB comments read 4 at once, …), 1,000 connections reading signed in (past nginx's cache), and
# 64 connections each sending a 1 MB body at once. Prints each service's peak RSS (VmHWM) after each phase.
# Usage: bench/memory.sh   (CPU=n pins to another cpu)
set -euo pipefail
conduit_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$conduit_root"
cargo build --release --locked -q -p db-service -p api
[ -f web/dist/index.html ] || make -s web
if [ -z "${MEMORY_PINNED:-}" ]; then
  exec env MEMORY_PINNED=1 taskset -c "${CPU:-0}" "$0" "$@"
fi
# shellcheck source=../scripts/stack.sh
. scripts/stack.sh
# shellcheck source=seeded.sh
. bench/seeded.sh
# shellcheck source=wrk.sh
. bench/wrk.sh
need_wrk
# The attacker plays several clients through nginx, which trusts loopback as a proxy here.
export REAL_IP_FROM=127.0.0.1
# As the frontend runs in Kubernetes.
export NGINX_WORKERS=1
start_seeded_stack 1000 20 20
echo "on cpu ${CPU:-0} only: available to each process: $(nproc)"
print_peak_memory | sed 's/^/idle, seeded: /'

api_pid=$(pgrep -f "^$BIN_DIR/api" | head -1)
db_pid=$(pgrep -f "^$BIN_DIR/db-service" | head -1)
python3 bench/hostile.py "$BASE_URL" "$api_pid" "$db_pid" "$STACK_LOG"
print_peak_memory | sed 's/^/after the attacks: /'

cat >"$BENCH_WORK/signed-in.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", "/api/articles?limit=20", {["authorization"] = "Token " .. tokens[i]})
end
LUA
echo "1,000 connections, signed-in list: $(TOKENS=$BENCH_WORK/tokens wrk -t1 -c1000 -d8s --latency \
  -s "$BENCH_WORK/signed-in.lua" "$BASE_URL" | wrk_summary)"
print_peak_memory | sed 's/^/after the crowd: /'

# A 1 MB body the api must read whole before refusing it (120,000 tags: 422), from 64 connections at once.
python3 - "$BENCH_WORK/big.json" <<'PY'
import json, sys
tags = [format(i, "x") for i in range(120_000)]
json.dump({"article": {"title": "t", "description": "d", "body": "b", "tagList": tags}}, open(sys.argv[1], "w"))
PY
cat >"$BENCH_WORK/big.lua" <<LUA
local f = io.open("$BENCH_WORK/big.json"); local body = f:read("*a"); f:close()
request = function()
  return wrk.format("POST", "/api/articles", {["content-type"] = "application/json",
    ["authorization"] = "Token $(head -1 "$BENCH_WORK/tokens")"}, body)
end
LUA
echo "64 connections posting $(($(stat -c %s "$BENCH_WORK/big.json") / 1024)) KiB bodies: $(wrk -t1 -c64 -d8s \
  --latency -s "$BENCH_WORK/big.lua" "$BASE_URL" | wrk_summary) (4xx/503 expected)"
print_peak_memory | sed 's/^/after the bodies: /'

# Idle keep-alive connections straight to the api, each after one request: what each costs while open, up to
# conduit_runtime's bound on connections served at once (4,096).
python3 - "$API_PORT" "$(pgrep -f "^$BIN_DIR/api" | head -1)" <<'PY'
import socket, sys
port, pid = int(sys.argv[1]), sys.argv[2]
def rss():
    return next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")) / 1024
before, held = rss(), []
for _ in range(4000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/tags HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(65536)
    held.append(s)
after = rss()
print(f"4,000 idle keep-alive connections to the api: RSS {before:.1f} -> {after:.1f} MiB "
      f"({(after - before) * 1024 / 4000:.1f} KiB each)")
PY
print_peak_memory | sed 's/^/at the end: /'
