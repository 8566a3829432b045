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
    /Non-2xx/ {err+=$NF} /Socket errors/ {err+=1}
    END {printf "%s req/s, p50 %s, p99 %s, errors %d (%s requests)\n", rps, p50, p99, err, total}'
}
