#!/usr/bin/env bash
# Does a reader's wait grow with the data? bench/api.sh at 1,000 and at 1,000,000 articles (10,000 users both
# times), then each route's median side by side (target: within 2× at 1,000,000). Prints figures; asserts nothing.
# Usage: bench/scale.sh   (DURATION=5s; SIZES="1000 1000000")
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
read -r -a sizes <<< "${SIZES:-1000 1000000}"
for size in "${sizes[@]}"; do
  echo "=== $size articles, 10,000 users"
  ARTICLES=$size USERS=10000 DURATION=${DURATION:-5s} bench/api.sh | tee "$out/$size"
done
echo "=== median latency, ${sizes[0]} → ${sizes[-1]} articles"
python3 - "$out/${sizes[0]}" "$out/${sizes[-1]}" <<'PY'
import re, sys

def medians(path):
    rows = {}
    for line in open(path):
        m = re.match(r"(.+?):\s+[\d.]+ req/s, p50 ([\d.]+)(us|ms|s)", line)
        if m:
            scale = {"us": 0.001, "ms": 1, "s": 1000}[m.group(3)]
            rows[m.group(1).strip()] = float(m.group(2)) * scale
    return rows

small, large = medians(sys.argv[1]), medians(sys.argv[2])
for route, ms in small.items():
    if route in large:
        print(f"{route:<48} {ms:8.2f} ms → {large[route]:8.2f} ms  ({large[route] / ms:4.1f}×)")
PY
