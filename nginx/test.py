#!/usr/bin/env python3
"""Behaviour of the rendered nginx config, against stand-in upstreams that answer with their own name.

Checks routing (users vs posts, posts by HTTP method, TRACE on /api to the api), the SPA shell and its caching,
asset MIME types, gzip, security headers, the body limit (a JSON 413), the client address passed on (forwarded
addresses believed only from REAL_IP_FROM), and the JSON answer when an upstream is down. Prints `nginx: N passed,
N failed` and exits non-zero on any failure. Run by `make nginx-test`.
"""
import gzip
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPSTREAMS = ["users", "read", "create", "update", "delete"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upstream(name: str) -> ThreadingHTTPServer:
    seen: dict = {}

    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            if self.path.startswith("/page-meta/"):
                # The posts service's answer to nginx's head subrequest: the head, or 403 for no such page.
                self.send_response(403 if "missing" in self.path else 204)
                if "missing" not in self.path:
                    self.send_header("x-page-head", f"<title>{self.path} from {name}</title>")
                self.send_header("content-length", "0")
                self.send_header("connection", "close")
                self.close_connection = True
                self.end_headers()
                return
            seen[self.path] = seen.get(self.path, 0) + 1
            body = json.dumps({"upstream": name, "method": self.command, "path": self.path,
                               "real_ip": self.headers.get("x-real-ip"), "seen": seen[self.path]}).encode()
            self.send_response(200)
            if self.command == "GET" and "authorization" not in self.headers:
                # As the api marks anonymous reads: cacheable until the end of this second.
                self.send_header("x-accel-expires", f"@{int(time.time())}")
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            # No keep-alive: once a stand-in is shut down, nginx must find it gone.
            self.send_header("connection", "close")
            self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_TRACE = answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# 50 GETs of one path at once, just after a second begins; prints the `seen` counts the stand-in api answered.
CROWD = """
import http.client, json, sys, time
from concurrent.futures import ThreadPoolExecutor
port, path = int(sys.argv[1]), sys.argv[2]
def seen(_):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return json.loads(body).get("seen") if response.status == 200 else response.status
with ThreadPoolExecutor(50) as pool:
    time.sleep(1 - time.time() % 1 + 0.05)
    print(json.dumps(list(pool.map(seen, range(50)))))
"""


def request(port: int, method: str, path: str, body: bytes = b"", headers=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    conn.request(method, path, body=body or None, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def main() -> int:
    work = tempfile.mkdtemp()
    web = os.path.join(work, "www")
    os.makedirs(web)
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write('<!doctype html><head>\n<meta name="description" content="Conduit: a place to share your knowledge." />\n'
                "<title>Conduit</title>\n</head><body>shell</body>")
    wasm = b"\0asm" + b"\1\0\0\0" * 2000
    with open(os.path.join(web, "web-0123456789abcdef_bg.wasm"), "wb") as f:
        f.write(wasm)
    with open(os.path.join(web, "web-0123456789abcdef_bg.wasm.gz"), "wb") as f:
        f.write(gzip.compress(wasm))

    servers = {name: upstream(name) for name in UPSTREAMS}
    addr = {name: f"127.0.0.1:{s.server_address[1]}" for name, s in servers.items()}
    port = free_port()
    # 127.0.0.2 stands for the load balancer in front of nginx; 127.0.0.1 for any other client.
    env = dict(os.environ, LISTEN=f"127.0.0.1:{port}", WEB_ROOT=web, USERS_UPSTREAM=addr["users"], REAL_IP_FROM="127.0.0.2/32",
               POSTS_UPSTREAM=addr["read"], POSTS_READ_UPSTREAM=addr["read"], POSTS_CREATE_UPSTREAM=addr["create"],
               POSTS_UPDATE_UPSTREAM=addr["update"], POSTS_DELETE_UPSTREAM=addr["delete"])
    run = os.path.join(work, "run")
    subprocess.run([os.path.join(ROOT, "scripts", "render-nginx"), run], env=env, check=True)
    nginx = subprocess.Popen(["nginx", "-p", run, "-c", os.path.join(run, "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    passed, failed = 0, 0

    def check(name: str, condition: bool, detail: object = "") -> None:
        nonlocal passed, failed
        if condition:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")

    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                request(port, "GET", "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

        routes = [
            ("POST", "/api/users", "users"), ("POST", "/api/users/login", "users"), ("GET", "/api/user", "users"),
            ("PUT", "/api/user", "users"), ("GET", "/api/profiles/jake", "users"),
            ("POST", "/api/profiles/jake/follow", "users"), ("DELETE", "/api/profiles/jake/follow", "users"),
            ("GET", "/api/articles?limit=1", "read"), ("GET", "/api/articles/feed", "read"), ("GET", "/api/tags", "read"),
            ("GET", "/api/articles/a/comments", "read"), ("POST", "/api/articles", "create"),
            ("POST", "/api/articles/a/favorite", "create"), ("POST", "/api/articles/a/comments", "create"),
            ("PUT", "/api/articles/a", "update"), ("DELETE", "/api/articles/a", "delete"),
            ("DELETE", "/api/articles/a/favorite", "delete"), ("DELETE", "/api/articles/a/comments/1", "delete"),
            ("GET", "/api/usersfoo", "read"), ("GET", "/feed.atom?tag=x", "read"), ("GET", "/sitemap.xml", "read"),
            ("GET", "/sitemaps/articles/1", "read"), ("GET", "/robots.txt", "read"),
        ]
        for method, path, expected in routes:
            status, _, body = request(port, method, path, b"{}" if method in ("POST", "PUT") else b"")
            got = json.loads(body).get("upstream") if status == 200 else status
            check(f"{method} {path} → {expected}", got == expected, got)

        def real_ip(source, forwarded):
            status, _, body = request(port, "GET", "/api/user", headers={"X-Forwarded-For": forwarded,
                                                                        "Authorization": "Token t"}, source=source)
            return json.loads(body).get("real_ip") if status == 200 else status

        got = real_ip("127.0.0.1", "203.0.113.9")
        check("a forwarded address from an untrusted peer is ignored", got == "127.0.0.1", got)
        got = real_ip("127.0.0.1", "127.0.0.2")
        check("an untrusted peer cannot pose as the trusted proxy", got == "127.0.0.1", got)
        got = real_ip("127.0.0.2", "203.0.113.9")
        check("the trusted proxy's forwarded address is the client", got == "203.0.113.9", got)
        got = real_ip("127.0.0.2", "198.51.100.1, 203.0.113.9")
        check("only the hop the trusted proxy saw counts, not what the client claimed before", got == "203.0.113.9", got)
        got = real_ip("127.0.0.2", "203.0.113.9, 127.0.0.2")
        check("trusted hops are skipped back to the client", got == "203.0.113.9", got)
        def render(value):
            check_dir = os.path.join(work, "check")
            rendered = subprocess.run([os.path.join(ROOT, "scripts", "render-nginx"), check_dir],
                                      env=dict(env, REAL_IP_FROM=value), capture_output=True, text=True)
            with open(os.path.join(check_dir, "real-ip.conf")) as f:
                return rendered.returncode, f.read()

        code, trusted = render("10.0.0.0/8 2001:db8::/32")
        check("REAL_IP_FROM becomes set_real_ip_from lines", code == 0 and "set_real_ip_from 2001:db8::/32;" in trusted
              and "real_ip_header X-Forwarded-For;" in trusted, trusted)
        code, trusted = render("")
        check("no REAL_IP_FROM: no forwarded address is believed", code == 0 and trusted == "", trusted)
        for value in ("10.0.0.0/8;", "10.0.0.0/8 include /etc/passwd", "0.0.0.0/0}"):
            code, _ = render(value)
            check(f"REAL_IP_FROM={value!r} is refused", code != 0)
        def workers(value):
            check_dir = os.path.join(work, "check-workers")
            rendered = subprocess.run([os.path.join(ROOT, "scripts", "render-nginx"), check_dir],
                                      env=dict(env, NGINX_WORKERS=value), capture_output=True, text=True)
            if rendered.returncode != 0:
                return None
            with open(os.path.join(check_dir, "nginx.conf")) as f:
                return next(line.strip() for line in f if line.startswith("worker_processes"))
        check("NGINX_WORKERS sets the worker processes", workers("2") == "worker_processes 2;", workers("2"))
        check("NGINX_WORKERS defaults to auto", workers("") == "worker_processes auto;", workers(""))
        for value in ("0", "2; user root", "auto;"):
            check(f"NGINX_WORKERS={value!r} is refused", workers(value) is None, workers(value))
        # An earlier run's cache (perhaps laid out in other folders) is not kept: nginx could not manage it.
        stale = os.path.join(work, "check-workers", "anonymous-cache", "a", "b2", "old-entry")
        os.makedirs(os.path.dirname(stale))
        open(stale, "w").close()
        workers("2")
        check("rendering removes an earlier run's anonymous cache", not os.path.exists(stale), stale)
        # ANONYMOUS_CACHE_DIR puts the cache elsewhere (scripts/run-stack: a private folder on a tmpfs): rendering
        # removes nginx's entries there (a folder per hex digit) and nothing else, and keeps the folder and its
        # mode, which may have been made private.
        elsewhere = os.path.join(work, "cache-elsewhere")
        os.makedirs(os.path.join(elsewhere, "c"))
        open(os.path.join(elsewhere, "c", "old-entry"), "w").close()
        open(os.path.join(elsewhere, "not-nginx's"), "w").close()
        os.chmod(elsewhere, 0o700)
        check_dir = os.path.join(work, "check-workers")
        moved = subprocess.run([os.path.join(ROOT, "scripts", "render-nginx"), check_dir],
                               env=dict(env, ANONYMOUS_CACHE_DIR=elsewhere), capture_output=True, text=True)
        with open(os.path.join(check_dir, "anonymous-cache-zone.conf")) as f:
            zone = f.read()
        check("ANONYMOUS_CACHE_DIR holds the anonymous cache",
              moved.returncode == 0 and f"proxy_cache_path {elsewhere} " in zone, moved.stderr + zone)
        left = os.listdir(elsewhere)
        mode = oct(os.stat(elsewhere).st_mode & 0o777)
        check("rendering removes nginx's entries from ANONYMOUS_CACHE_DIR, nothing else, and keeps the folder",
              left == ["not-nginx's"] and mode == "0o700", (left, mode))
        relative = subprocess.run([os.path.join(ROOT, "scripts", "render-nginx"), check_dir],
                                  env=dict(env, ANONYMOUS_CACHE_DIR="cache; evil"), capture_output=True, text=True)
        check("an ANONYMOUS_CACHE_DIR nginx cannot take as it is is refused",
              relative.returncode != 0 and "ANONYMOUS_CACHE_DIR" in relative.stderr, relative.stderr)

        def seen(path, headers=None):
            status, _, body = request(port, "GET", path, headers=headers)
            return json.loads(body).get("seen") if status == 200 else status

        # At the start of a second, so that both reads fall in it.
        time.sleep(1 - time.time() % 1 + 0.05)
        # A page is kept once it has been asked for twice within its second: the first read is not kept.
        reads = [seen("/api/articles?cached=1") for _ in range(4)]
        check("an anonymous read asked for again is answered from the cache within its second", reads == [1, 2, 2, 2], reads)
        signed_in = [seen("/api/articles?cached=1", {"Authorization": "Token t"}) for _ in range(2)]
        check("signed-in reads always reach the api", signed_in == [3, 4], signed_in)
        time.sleep(1.2)
        later = [seen("/api/articles?cached=1") for _ in range(3)]
        check("a cached answer lives at most a second", later == [5, 6, 6], later)
        # A crowd asking for one page at once: the first passes, the second fetches it for the cache and the others
        # wait for it (no stampede). The crowd runs in a process of its own: its 50 threads sharing this process's
        # interpreter lock with the stand-in api could hold the fill's answer past nginx's 10 ms lock timeout. On a
        # busy machine the stand-in (a thread per connection) can still answer the fill later than that, after
        # which waiting requests go through as nginx is told to: so up to three crowds, each on a page of its own,
        # and one of them must find the lock held. Without the lock every crowd reaches the api many times; that the
        # wait is not cut shorter than the 10 ms a fill takes under load is checked on the configuration itself.
        with open(os.path.join(run, "anonymous-cache.conf")) as f:
            cache_conf = f.read()
        check("waiting readers wait for one fill: the cache lock is on, for up to 10 ms",
              "proxy_cache_lock on;" in cache_conf and "proxy_cache_lock_timeout 10ms;" in cache_conf, cache_conf)
        crowds = []
        for attempt in range(1, 4):
            crowd_out = subprocess.run([sys.executable, "-c", CROWD, str(port), f"/api/articles?crowd={attempt}"],
                                       capture_output=True, text=True, timeout=60)
            crowd = set(json.loads(crowd_out.stdout or "[]")) if crowd_out.returncode == 0 else {crowd_out.stderr}
            crowds.append(sorted(crowd, key=str))
            if crowd <= {1, 2}:
                break
        check("a crowd's simultaneous misses reach the api at most twice", crowd <= {1, 2}, crowds)
        time.sleep(1 - time.time() % 1 + 0.05)
        reads = [seen("/api/profiles/jake?cached=1") for _ in range(3)]
        check("anonymous profile reads are cached too", reads == [1, 2, 2], reads)
        status, _, _ = request(port, "POST", "/api/articles?cached=2", b"{}")
        status, _, body = request(port, "POST", "/api/articles?cached=2", b"{}")
        check("writes are never cached", json.loads(body).get("seen") == 2, body)

        status, _, body = request(port, "GET", "/healthz")
        check("the frontend answers its health probe", status == 200 and json.loads(body)["status"] == "ok", body)

        status, headers, body = request(port, "GET", "/article/some-slug")
        check("client routes get the SPA shell", status == 200 and b"shell" in body, (status, body[:40]))
        check("the shell is never cached stale", headers.get("cache-control") == "no-cache", headers)
        csp = headers.get("content-security-policy", "")
        check("CSP allows Wasm and no inline script", "'wasm-unsafe-eval'" in csp and "unsafe-inline" not in csp, csp)
        check("frame-ancestors none", "frame-ancestors 'none'" in csp, csp)
        check("nosniff", headers.get("x-content-type-options") == "nosniff", headers)
        check("referrer policy", "referrer-policy" in headers, headers)

        status, _, body = request(port, "GET", "/article/known-slug")
        check("an article page carries the head the posts service wrote",
              status == 200 and b"<title>/page-meta/article/known-slug from read</title>" in body
              and b"<title>Conduit</title>" not in body and b"a place to share" not in body, (status, body))
        status, _, body = request(port, "GET", "/profile/zo%C3%AB/favorites")
        check("a profile page (favorites tab too) asks with the raw name",
              status == 200 and b"<title>/page-meta/profile/zo%C3%AB from read</title>" in body, (status, body))
        status, headers, body = request(port, "GET", "/article/missing-slug")
        check("an unknown page is the shell with a 404", status == 404 and b"shell" in body, (status, body))
        status, _, body = request(port, "GET", "/article/a/b")
        check("deeper paths are plain client routes", status == 200 and b"<title>Conduit</title>" in body, status)

        status, headers, body = request(port, "GET", "/web-0123456789abcdef_bg.wasm", headers={"Accept-Encoding": "gzip"})
        check("wasm is application/wasm", headers.get("content-type") == "application/wasm", headers)
        check("hashed assets are immutable", "immutable" in headers.get("cache-control", ""), headers)
        check("precompressed wasm is served gzipped", headers.get("content-encoding") == "gzip"
              and gzip.decompress(body) == wasm, headers)
        check("hashed assets keep the security headers", "content-security-policy" in headers, headers)

        status, headers, body = request(port, "POST", "/api/articles", b"x" * (2 * 1024 * 1024),
                                        {"content-type": "application/json"})
        check("bodies over 1.25 MiB are refused", status == 413, status)
        status, _, _ = request(port, "POST", "/api/articles", b"x" * (1280 * 1024), {"content-type": "application/json"})
        check("a body of 1.25 MiB is passed on", status == 200, status)
        check("the 413 is the api's JSON error", headers.get("content-type", "").startswith("application/json")
              and json.loads(body) == {"errors": {"body": ["is too large"]}}, (headers, body[:80]))

        # api/openapi.json documents a 414 for a request line over 8 KiB, from nginx, whatever the operation.
        status, headers, _ = request(port, "GET", "/api/articles?q=" + "x" * (8 * 1024))
        check("a request line over 8 KiB is refused with 414", status == 414, status)
        status, _, _ = request(port, "GET", "/api/articles?q=" + "x" * (7 * 1024))
        check("a request line of 7 KiB is passed on", status == 200, status)

        for path, expected in (("/api/users", "users"), ("/api/profiles/jake/follow", "users"),
                               ("/api/articles/a", "read"), ("/api/tags", "read")):
            status, _, body = request(port, "TRACE", path)
            got = json.loads(body).get("upstream") if status == 200 else status
            check(f"TRACE {path} is asked of its api ({expected}), which knows the path's methods", got == expected, got)
        status, _, _ = request(port, "TRACE", "/")
        check("TRACE elsewhere is refused by nginx", status == 405, status)

        servers["read"].shutdown()
        servers["read"].server_close()
        status, headers, body = request(port, "GET", "/api/articles")
        parsed = json.loads(body) if body.startswith(b"{") else {}
        check("a down upstream is a JSON 503", status == 503 and "service" in parsed.get("errors", {}),
              (status, body[:80]))
        check("the 503 says when to retry", headers.get("retry-after") == "1", headers)
        check("the 503 is JSON", headers.get("content-type", "").startswith("application/json"), headers)
        status, _, body = request(port, "GET", "/article/known-slug")
        check("with the posts service down, article pages are the plain shell",
              status == 200 and b"<title>Conduit</title>" in body, (status, body[:80]))
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    print(f"nginx: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
