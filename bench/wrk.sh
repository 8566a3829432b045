# wrk helpers for the benchmarks. Source it; it defines functions and runs nothing.

# Installs wrk (Debian's package) when it is missing.
need_wrk() {
  command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
}

# Reads `wrk --latency` output on stdin and prints "N req/s, p50 …, p99 …, errors N (N requests)".
wrk_summary() {
  awk '
    /Requests\/sec/ {rps=$2} /requests in/ {total=$1}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {err+=$NF}
    /Socket errors/ {for (i = 4; i <= NF; i += 2) {n = $i; sub(",", "", n); err += n}}
    END {printf "%s req/s, p50 %s, p99 %s, errors %d (%s requests)\n", rps, p50, p99, err, total}'
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
