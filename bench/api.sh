#!/usr/bin/env bash
# The public API through nginx (the whole stack, release builds), as readers and writers use it: ARTICLES articles
# and USERS users (bench/seed.py, loaded by `db-service import`, so it works on either backend), then wrk at the hot
# routes, anonymous and signed in (the tokens of 20 users in turn, and once of every user), at 32 connections and
# at 1,000, beside the same list bytes served as a static file by a bare nginx, and by that nginx after a free
# upstream check and after an api check (upper bounds on an exact signed-in answer); then creates. Prints figures and
# the ratios issue 15 asks about; asserts nothing. Afterwards it checks that every acknowledged create is stored,
# and prints the peak memory of the api and db-service over the whole run.
# Usage: bench/api.sh   (ARTICLES=1000 USERS=1000 DURATION=8s; BODY_BYTES=20000 for long bodies; DATABASE_URL=mysql://… for MySQL)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/stack.sh
. scripts/stack.sh
# shellcheck source=wrk.sh
. bench/wrk.sh
need_wrk
articles=${ARTICLES:-1000}
users=${USERS:-1000}
duration=${DURATION:-8s}
# shellcheck source=seeded.sh
. bench/seeded.sh
start_seeded_stack "$articles" "$users" "$users"
work=$BENCH_WORK
uncached_pid= favorites_pid=
trap 'kill $uncached_pid $favorites_pid 2>/dev/null || true; stop_static_reference; stop_stack; rm -rf "$work"' EXIT
base=$BASE_URL
slug=$(sed -n '500p' "$work/slugs"); slug=${slug:-$(head -1 "$work/slugs")}

# Signed-in readers: the first VIEWERS users' tokens in turn (20 unless a row says otherwise). db-service caches
# each viewer's pages until the next write, so 20 viewers are mostly answered from that cache; 1,000 are not.
cat > "$work/signed.lua" <<'LUA'
local tokens = {}
local viewers = tonumber(os.getenv("VIEWERS") or "20")
for line in io.lines(os.getenv("TOKENS")) do
  if #tokens < viewers then tokens[#tokens + 1] = line end
end
local path = os.getenv("TARGET")
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", path, {["authorization"] = "Token " .. tokens[i]})
end
LUA
export TOKENS=$work/tokens
run() { wrk -t2 -c"$1" -d"$duration" --latency "${@:2}"; }
# The previous row's last requests may still be in the api (1,000 connections queue up to a second of work): let
# them drain, so that each measurement sees its own load only.
settle() { sleep 2; }
row() { # label connections path [signed]
  local out
  settle
  if [ "${4:-}" = signed ]; then
    out=$(TARGET=$3 run "$2" -s "$work/signed.lua" "$base$3")
  else
    out=$(run "$2" "$base$3")
  fi
  printf '%-44s %s\n' "$1:" "$(echo "$out" | wrk_summary)"
  echo "$out" | awk '/Requests\/sec/ {print $2}' > "$work/rps-$5"
}
rps() { cat "$work/rps-$1"; }
ratio() { awk -v a="$(rps "$1")" -v b="$(rps "$2")" 'BEGIN {printf "%.0f %%", 100 * a / b}'; }

# A second front door on the same api without nginx's anonymous read cache: anonymous requests that go all the
# way, like signed-in ones always do.
# It reaches the api as the stack's nginx does (a Unix socket when there is one: scripts/run-stack).
uncached_port=$(free_port)
api_upstream=$(cat "${RUN_DIR:-$DATA_DIR/.run}/api-upstream" 2>/dev/null || echo "127.0.0.1:$API_PORT")
LISTEN=127.0.0.1:$uncached_port WEB_ROOT=$root/web/dist USERS_UPSTREAM=$api_upstream \
  POSTS_UPSTREAM=$api_upstream ANONYMOUS_READ_CACHE=off \
  scripts/render-nginx "$work/uncached" >/dev/null
nginx -p "$work/uncached" -c "$work/uncached/nginx.conf" -g "master_process off;" 2>/dev/null & uncached_pid=$!
deadline=$((SECONDS + 10))
until curl -fs -o /dev/null "http://127.0.0.1:$uncached_port/api/tags"; do
  [ $SECONDS -lt $deadline ] || { echo "the uncached nginx did not reach the api ($api_upstream)" >&2; exit 1; }
  sleep 0.05
done

row "GET /api/articles, anonymous" 32 "/api/articles?limit=20" "" list
base=http://127.0.0.1:$uncached_port row "GET /api/articles, anonymous, no nginx cache" 32 "/api/articles?limit=20" "" uncached
row "GET /api/articles, signed in" 32 "/api/articles?limit=20" signed signed
row "GET /api/articles/feed, signed in" 32 "/api/articles/feed?limit=20" signed feed
VIEWERS=$users row "GET /api/articles, signed in, $users viewers" 32 "/api/articles?limit=20" signed signed_many
row "GET /api/articles?tag=wasm, signed in" 32 "/api/articles?limit=20&tag=wasm" signed tag
row "GET /api/articles?author=user3, signed in" 32 "/api/articles?limit=20&author=user3" signed author
row "GET /api/articles?favorited=user7, signed in" 32 "/api/articles?limit=20&favorited=user7" signed favorited
row "GET /api/articles?q=wasm+seeded, signed in" 32 "/api/articles?limit=20&q=wasm%20seeded" signed search
# The same searches while other users favorite and unfavorite (4 connections of writes beside the 32 of reads):
# each favorite changes the pages readers see, and nothing of what a search matches or how it ranks.
cat > "$work/favorite.lua" <<'LUA'
local tokens, slugs = {}, {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
for line in io.lines(os.getenv("SLUGS")) do if #slugs < 1000 then slugs[#slugs + 1] = line end end
request = function()
  local method = math.random(2) == 1 and "POST" or "DELETE"
  return wrk.format(method, "/api/articles/" .. slugs[math.random(#slugs)] .. "/favorite",
    {["authorization"] = "Token " .. tokens[math.random(#tokens)]})
end
LUA
# Until interrupted (wrk then prints what it did): from the end of the row's own settling to the end of the row.
(sleep 2; SLUGS=$work/slugs exec wrk -t1 -c4 -d1h --latency -s "$work/favorite.lua" "$base") > "$work/favorites.out" &
favorites_pid=$!
row "GET /api/articles?q=wasm+seeded, signed in, while others favorite" 32 "/api/articles?limit=20&q=wasm%20seeded" \
  signed search_favoriting
kill -INT "$favorites_pid" 2>/dev/null || true
wait "$favorites_pid" || true
favorites_pid=
printf '%-44s %s\n' "  … the favorites and unfavorites meanwhile:" "$(wrk_summary < "$work/favorites.out")"
row "GET /api/articles/:slug, anonymous" 32 "/api/articles/$slug" "" article
row "GET /api/articles/:slug, signed in" 32 "/api/articles/$slug" signed article_signed
row "GET /api/tags" 32 "/api/tags" "" tags
row "GET /api/articles, anonymous, 1,000 conns" 1000 "/api/articles?limit=20" "" list1000
base=http://127.0.0.1:$uncached_port row "GET /api/articles, anon., no nginx cache, 1,000 conns" 1000 "/api/articles?limit=20" "" uncached1000
row "GET /api/articles/:slug, anonymous, 1,000 conns" 1000 "/api/articles/$slug" "" article1000
row "GET /api/articles, signed in, 1,000 conns" 1000 "/api/articles?limit=20" signed signed1000

# The reference: the list's very bytes as a static file, served by a bare nginx.
settle
static_reference "$base/api/articles?limit=20" > "$work/static.out"
printf '%-44s %s\n' "the same bytes, static file, bare nginx:" "$(wrk_summary < "$work/static.out")"
awk '/Requests\/sec/ {print $2}' "$work/static.out" > "$work/rps-static"
# Upper bounds on an exact signed-in answer (bench/wrk.sh, checked_reference): those bytes again, each after one
# header-only check upstream that costs nothing, then after one the api answers with its cheapest route.
settle
checked_reference "$base/api/articles?limit=20" > "$work/checked.out"
printf '%-44s %s\n' "the same, after a free upstream check:" "$(wrk_summary < "$work/checked.out")"
awk '/Requests\/sec/ {print $2}' "$work/checked.out" > "$work/rps-checked"
settle
checked_reference "$base/api/articles?limit=20" "$api_upstream" > "$work/api-checked.out"
printf '%-44s %s\n' "the same, after an api check (/healthz):" "$(wrk_summary < "$work/api-checked.out")"
awk '/Requests\/sec/ {print $2}' "$work/api-checked.out" > "$work/rps-api_checked"

echo "-- ratios"
echo "signed-in list / anonymous list:        $(ratio signed list)   (target ≥ 80 %)"
echo "signed-in feed / anonymous list:        $(ratio feed list)   (target ≥ 80 %)"
echo "free upstream check / anonymous list:   $(ratio checked list)   (bounds an exact signed-in list nginx asks for)"
echo "api check / anonymous list:             $(ratio api_checked list)   (bounds one the api checks)"
echo "signed-in list / api check:             $(ratio signed api_checked)"
echo "signed-in list / anonymous, no nginx cache: $(ratio signed uncached)"
echo "signed-in feed / anonymous, no nginx cache: $(ratio feed uncached)"
echo "signed-in list, $users viewers / anonymous, no nginx cache: $(ratio signed_many uncached)"
echo "search while others favorite / search: $(ratio search_favoriting search)"
echo "uncached list at 1,000 / at 32 conns:   $(ratio uncached1000 uncached)"
echo "list at 1,000 / at 32 connections:      $(ratio list1000 list)   (target ≥ 80 %)"
echo "article at 1,000 / at 32 connections:   $(ratio article1000 article)   (target ≥ 80 %)"
echo "anonymous list / the static file:       $(ratio list static)   (target ≥ 25 %)"

unique_posts_lua "$work/post.lua" /api/articles authorization "Token $(head -1 "$work/tokens")" \
  '{"article":{"title":"Bench {unique}","description":"d","body":"b","tagList":["bench"]}}'
before=$(curl -fs "$base/api/articles?limit=1" -H "authorization: Token $(head -1 "$work/tokens")" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["articlesCount"])')
settle
out=$(run 32 -s "$work/post.lua" "$base/api/articles")
printf '%-44s %s\n' "POST /api/articles:" "$(echo "$out" | wrk_summary)"
total=$(echo "$out" | awk '/requests in/ {print $1}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); non2xx=${non2xx:-0}
acked=$((total - non2xx))
stored=$(curl -fs "$base/api/articles?limit=1" -H "authorization: Token $(head -1 "$work/tokens")" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["articlesCount"])')
echo "acknowledged creates: $acked; articles stored: $stored (at least $((before + acked)) expected)"
print_peak_memory
