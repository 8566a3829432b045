# wrk helpers for the benchmarks. Source it; it defines functions and runs nothing.

# Installs wrk (Debian's package) when it is missing.
need_wrk() {
  command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
}

# Reads `wrk --latency` output on stdin and prints "N req/s, p50 …, p99 …, errors N (N requests)"; errors, when
# there are any, are itemized ("errors 3 [timeout 2, status>=400 1]"): a timeout and a 503 mean different things.
wrk_summary() {
  awk '
    /Requests\/sec/ {rps=$2} /requests in/ {total=$1}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {err+=$NF; if ($NF > 0) {kinds = kinds sep "status>=400 " $NF; sep = ", "}}
    /Socket errors/ {for (i = 3; i < NF; i += 2) {n = $(i + 1); sub(",", "", n); err += n
      if (n > 0) {kinds = kinds sep $i " " n; sep = ", "}}}
    END {printf "%s req/s, p50 %s, p99 %s, errors %d%s (%s requests)\n", rps, p50, p99, err,
      kinds ? " [" kinds "]" : "", total}'
}

# Writes to $1 a wrk script (-s) that POSTs JSON to path $2 with the header $3 set to $4: the body $5, every
# {unique} in it replaced by "<thread>-<request>-<random>", so no two requests make the same article.
unique_posts_lua() {
  cat > "$1" <<LUA
local n = 0
local thread_id = 0
function setup(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
request = function()
  n = n + 1
  local unique = id .. "-" .. n .. "-" .. math.random(1e9)
  local body = string.gsub([[$5]], "{unique}", unique)
  return wrk.format("POST", "$2", {["content-type"] = "application/json", ["$3"] = "$4"}, body)
end
LUA
}

# The machine's speed, as issue 15 measures it: the bytes at URL $1 saved as a static file and served by a bare
# nginx from a folder of its own, wrk 2 threads × 32 connections for DURATION (8s); prints wrk's output. Figures
# from different runs compare only beside this one: the machine's speed drifts by a third within minutes. The
# nginx's pid is in STATIC_REFERENCE_PID and its folder in STATIC_REFERENCE_DIR while it runs, for the caller's
# exit trap (set -e may leave early).
STATIC_REFERENCE_PID= STATIC_REFERENCE_DIR=
static_reference() { # url
  reference_nginx_wrk "$1" /list.json
}

# An upper bound on an exact signed-in answer where nginx asks before it answers: the same bytes served by the same
# bare nginx, but each only after one header-only check upstream (auth_request with keep-alive), by default to a
# server of that nginx which answers 204 at once over a Unix socket; with a second argument (host:port or
# unix:path, the api's), to that server's /healthz instead (the api's cheapest route: no token read, no
# db-service, outside its concurrency limit, a few bytes of JSON). A signed-in reader's page depends on every
# user's writes, so whatever serves it must ask something that knows the data's version and can read a token:
# nothing answers faster than the first, and a real check of the api's would cost more than the second; prints
# wrk's output.
checked_reference() { # url [upstream]
  CHECK_UPSTREAM=${2:-} reference_nginx_wrk "$1" /checked
}

reference_nginx_wrk() { # url path   (CHECK_UPSTREAM: where /checked is checked, see checked_reference)
  local dir port waited out worker_user= check_conf=
  dir=$(mktemp -d)
  STATIC_REFERENCE_DIR=$dir
  mkdir -p "$dir/www" "$dir/run"
  curl -fs "$1" > "$dir/www/list.json"
  port=$(free_port)
  # Started as root, nginx would run its workers as nobody, who can read neither this private folder (mktemp's)
  # nor, perhaps, the api's socket: they stay root.
  if [ "$EUID" -eq 0 ]; then worker_user="user root;"; fi
  if [ "$2" = /checked ]; then
    local upstream=unix:$dir/run/check.sock check_path=
    if [ -n "${CHECK_UPSTREAM:-}" ]; then upstream=$CHECK_UPSTREAM check_path=/healthz; fi
    check_conf="upstream check { server $upstream; keepalive 1024; keepalive_requests 100000; }
  server { listen unix:$dir/run/check.sock; keepalive_requests 100000; location / { return 204; } }
  server {
    listen 127.0.0.1:$port backlog=4096;
    root $dir/www;
    default_type application/json;
    location = /checked { auth_request /_check; try_files /list.json =404; }
    location = /_check {
      internal;
      proxy_pass http://check$check_path;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_pass_request_body off;
      proxy_set_header Content-Length \"\";
    }
  }"
  else
    check_conf="server {
    listen 127.0.0.1:$port backlog=4096;
    root $dir/www;
    location / { default_type application/json; }
  }"
  fi
  cat > "$dir/nginx.conf" <<CONF
daemon off;
$worker_user
worker_processes auto;
worker_rlimit_nofile 65536;
pid $dir/run/nginx.pid;
error_log stderr error;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $dir/run/body;
  proxy_temp_path $dir/run/proxy;
  fastcgi_temp_path $dir/run/fastcgi;
  uwsgi_temp_path $dir/run/uwsgi;
  scgi_temp_path $dir/run/scgi;
  $check_conf
}
CONF
  # Its own output goes to a file: holding the caller's stdout open would keep a pipe reading it from ending.
  nginx -p "$dir" -c "$dir/nginx.conf" < /dev/null > "$dir/run/output" 2>&1 &
  STATIC_REFERENCE_PID=$!
  waited=$SECONDS
  until curl -fs -o /dev/null "http://127.0.0.1:$port$2"; do
    if [ $((SECONDS - waited)) -ge 10 ] || ! kill -0 "$STATIC_REFERENCE_PID" 2>/dev/null; then
      echo "the bare nginx does not serve $2:" >&2
      grep -v 'setrlimit' "$dir/run/output" >&2 || true
      stop_static_reference
      return 1
    fi
    sleep 0.05
  done
  out=$(wrk -t2 -c32 -d"${DURATION:-8s}" --latency "http://127.0.0.1:$port$2")
  stop_static_reference
  echo "$out"
}

# Stops static_reference's nginx, if one runs, and removes its folder.
stop_static_reference() {
  if [ -n "$STATIC_REFERENCE_PID" ]; then
    kill "$STATIC_REFERENCE_PID" 2>/dev/null || true
    wait "$STATIC_REFERENCE_PID" 2>/dev/null || true
    STATIC_REFERENCE_PID=
  fi
  if [ -n "$STATIC_REFERENCE_DIR" ]; then
    rm -rf "$STATIC_REFERENCE_DIR"
    STATIC_REFERENCE_DIR=
  fi
}
