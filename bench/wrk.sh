# wrk helpers for the benchmarks. Source it; it defines functions and runs nothing.

# Installs wrk (Debian's package) when it is missing.
need_wrk() {
  command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
}

# Reads `wrk --latency` output on stdin and prints "N req/s, p50 …, p99 …, errors N (N requests)"; errors, when
# there are any, are itemized ("errors 3 [timeout 2, non-2xx 1]"), since a timeout and a 503 mean different things.
wrk_summary() {
  awk '
    /Requests\/sec/ {rps=$2} /requests in/ {total=$1}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {err+=$NF; if ($NF > 0) kinds = kinds sep "non-2xx " $NF; sep = ", "}
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

# The machine's speed, as issue 15 measures it: the bytes at URL $2 saved as a static file and served by a bare
# nginx (its own prefix under folder $1), wrk 2 threads × 32 connections for DURATION (8s); prints wrk's output.
# Figures from different runs compare only beside this one: the machine's speed drifts by a third within minutes.
static_reference() { # folder url
  local dir=$1 port pid waited out
  mkdir -p "$dir/www" "$dir/run"
  curl -fs "$2" > "$dir/www/list.json"
  # nginx's workers run as nobody: let them reach the file (mktemp's folders are private).
  chmod a+x "$(dirname "$dir")" "$dir"
  chmod -R a+rX "$dir/www"
  port=$(free_port)
  cat > "$dir/nginx.conf" <<CONF
daemon off;
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
  server {
    listen 127.0.0.1:$port backlog=4096;
    root $dir/www;
    location / { default_type application/json; }
  }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" 2>/dev/null & pid=$!
  waited=$SECONDS
  until curl -fs -o /dev/null "http://127.0.0.1:$port/list.json"; do
    [ $((SECONDS - waited)) -lt 10 ] || { echo "the bare nginx does not serve list.json" >&2; kill $pid; return 1; }
    sleep 0.05
  done
  out=$(wrk -t2 -c32 -d"${DURATION:-8s}" --latency "http://127.0.0.1:$port/list.json")
  kill $pid
  wait $pid 2>/dev/null || true
  echo "$out"
}
