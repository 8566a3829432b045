"""The attacks of issue 13 against a running stack, with figures: wall time, peak RSS, log bytes, throughput.

Run by bench/hostile.sh, which starts the stack (release builds) and passes its URL, the api's and db-service's
process ids and the stack's log file. Prints figures; asserts nothing (cargo test's hostile suite asserts the
bounds).
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE, API_PID, DB_PID, LOG = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
MIB = 1024 * 1024


def call(method, path, body=None, token=None, headers=None, raw=None):
    """(status, seconds, response bytes) of one request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"content-type": "application/json", **(headers or {})}
    if token:
        h["authorization"] = f"Token {token}"
    req = urllib.request.Request(BASE + path, method=method, data=data, headers=h)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            payload = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        payload = e.read()
        status = e.code
    return status, time.monotonic() - started, payload


def rss(pid):
    """(VmRSS, VmHWM) of a process, in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


class PeakRss:
    """Samples VmRSS of `pid` every 50 ms while in the `with` block; `.peak` afterwards."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def __enter__(self):
        self.start = rss(self.pid)[0]
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid)[0])
            time.sleep(0.05)

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss(self.pid)[0])


def register(name, ip="10.0.0.1"):
    status, _, body = call("POST", "/api/users", {"user": {"username": name, "email": f"{name}@example.com",
                                                          "password": "password123"}},
                           headers={"x-forwarded-for": ip})
    return status, (json.loads(body)["user"]["token"] if status == 201 else None)


def mib(n):
    return f"{n / MIB:.1f} MiB"


_, token = register("attacker")

# 1. A body of ~120,000 distinct tags (under the 1 MiB body limit), while another client reads the tags.
tags = [format(i, "x") for i in range(120_000)]
body = {"article": {"title": "tags", "description": "d", "body": "b", "tagList": tags}}
reads = []
stop = threading.Event()
def read_tags():
    while not stop.is_set():
        reads.append(call("GET", "/api/tags")[1])
reader = threading.Thread(target=read_tags)
reader.start()
status, took, _ = call("POST", "/api/articles", body, token)
stop.set()
reader.join()
print(f"1. 120,000 tags in {len(json.dumps(body)) // 1024} KiB: {status} in {took * 1000:.0f} ms; "
      f"GET /api/tags meanwhile: {len(reads)} reads, slowest {max(reads) * 1000:.1f} ms")

# 2. Fifty sign-ups at once, from fifty addresses.
with PeakRss(API_PID) as peak, ThreadPoolExecutor(50) as pool:
    started = time.monotonic()
    statuses = list(pool.map(lambda i: register(f"signup{i}", f"10.1.0.{i}")[0], range(50)))
    took = time.monotonic() - started
counts = {s: statuses.count(s) for s in sorted(set(statuses))}
print(f"2. 50 parallel sign-ups: {counts} in {took:.1f} s; api RSS {mib(peak.start)} → peak {mib(peak.peak)}")

# 3. A login with a 1 MB e-mail.
log_before = os.path.getsize(LOG)
status, took, _ = call("POST", "/api/users/login", {"user": {"email": "x" * 1_000_000 + "@example.com",
                                                             "password": "whatever1"}})
call("GET", "/api/tags")
time.sleep(1.5)  # nginx flushes its buffered access log every second
print(f"3. login with a 1 MB e-mail: {status} in {took * 1000:.0f} ms; the stack's log grew "
      f"{os.path.getsize(LOG) - log_before} bytes")

# 4. Articles sharing one title, against articles with their own, 8 at a time.
def creates(title_of, n):
    with ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        results = list(pool.map(lambda i: call("POST", "/api/articles", {"article": {
            "title": title_of(i), "description": "d", "body": "b"}}, token)[0], range(n)))
        took = time.monotonic() - started
    return results, n / took
fresh, fresh_rate = creates(lambda i: f"Unique title {i} {time.time_ns()}", 660)
same, same_rate = creates(lambda i: "The same title", 1100)
print(f"4. creates: 660 with their own titles {fresh_rate:.0f}/s; 1,100 with one title {same_rate:.0f}/s, "
      f"{same.count(201)} × 201, others {sorted(set(same) - {201})}")

# 5. An article with 1,000 comments of 9,000 emoji each, read by four clients at once.
status, _, body = call("POST", "/api/articles", {"article": {"title": f"Discussed {time.time_ns()}",
                                                               "description": "d", "body": "b"}}, token)
slug = json.loads(body)["article"]["slug"]
comment = {"comment": {"body": "💬" * 9_000}}
with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda _: call("POST", f"/api/articles/{slug}/comments", comment, token), range(1000)))
with PeakRss(API_PID) as api_peak, PeakRss(DB_PID) as db_peak, ThreadPoolExecutor(4) as pool:
    views = list(pool.map(lambda _: call("GET", f"/api/articles/{slug}/comments"), range(4)))
print(f"5. 4 views of 1,000 × 36 KB comments: {views[0][2].__len__() // 1024} KiB each, "
      f"{max(v[1] for v in views) * 1000:.0f} ms; api RSS {mib(api_peak.start)} → {mib(api_peak.peak)}, "
      f"db-service {mib(db_peak.start)} → {mib(db_peak.peak)}")

# 6. A deep page.
status, took, _ = call("GET", "/api/articles?offset=900000")
print(f"6. GET /api/articles?offset=900000: {status} in {took * 1000:.1f} ms")
