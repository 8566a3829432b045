#!/usr/bin/env bash
# Public API benchmark through nginx (the whole stack, release builds): seeds 1,000 articles through the API,
# then drives wrk (2 threads, 32 connections, loopback) at the four hot routes. Prints figures; asserts nothing.
# Afterwards it checks that every acknowledged POST is stored: articlesCount == seeded + acknowledged.
# Usage: bench/api.sh   (DURATION=10s by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/stack.sh
. scripts/stack.sh
# shellcheck source=wrk.sh
. bench/wrk.sh
need_wrk
duration=${DURATION:-10s}
cargo build --release --locked -q -p db-service -p api
[ -f web/dist/index.html ] || make -s web

export BIN_DIR=$root/target/release
# Generous login limits: the seeding logs in once, wrk never does.
export LOGIN_ATTEMPTS_PER_IP_PER_MINUTE=1000 SIGNUPS_PER_IP_PER_MINUTE=1000 BACKUP_INTERVAL_SECS=0 RUST_LOG=warn
start_stack
base=$BASE_URL

token=$(python3 - "$base" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"content-type": "application/json", **({"authorization": f"Token {token}"} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
user = call("POST", "/api/users", {"user": {"username": "bencher", "email": "bench@example.com", "password": "bench-password"}})["user"]
tags = ["rust", "web", "sqlite", "kubernetes", "leptos", "axum", "wasm", "nginx"]
for i in range(1000):
    call("POST", "/api/articles", {"article": {"title": f"Seeded article {i}", "description": "for the benchmark",
         "body": "Some markdown body. " * 20, "tagList": [tags[i % 8], tags[(i // 8) % 8]]}}, user["token"])
print(user["token"])
PY
)
echo "seeded 1,000 articles through the API"
slug=seeded-article-500
run() { wrk -t2 -c32 -d"$duration" --latency "$@"; }
printf 'GET /api/articles?limit=20:  '; run "$base/api/articles?limit=20" | wrk_summary
printf 'GET /api/articles/:slug:     '; run "$base/api/articles/$slug" | wrk_summary
printf 'GET /api/tags:               '; run "$base/api/tags" | wrk_summary
cat > "$DATA_DIR/post.lua" <<LUA
local n = 0
local id = 0
function setup(thread) thread:set("tid", id); id = id + 1 end
request = function()
  n = n + 1
  local body = '{"article":{"title":"Bench ' .. tid .. ' ' .. n .. ' ' .. math.random(1e9) .. '","description":"d","body":"b","tagList":["bench"]}}'
  return wrk.format("POST", "/api/articles", {["content-type"] = "application/json", ["authorization"] = "Token $token"}, body)
end
LUA
printf 'POST /api/articles:          '; out=$(run -s "$DATA_DIR/post.lua" "$base/api/articles"); echo "$out" | wrk_summary
total=$(echo "$out" | awk '/requests in/ {print $1}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); non2xx=${non2xx:-0}
acked=$((total - non2xx))
stored=$(curl -fs "$base/api/articles?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["articlesCount"])')
echo "acknowledged POSTs: $acked; articles stored: $stored (at least $((1000 + acked)) expected)"
