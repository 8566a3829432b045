#!/usr/bin/env python3
"""Writes a data set as a `db-service export` file, for `db-service import` to load into either backend:
users, follows, articles with tags, favorites; and mints a token for each of the first users with the api's JWT
secret, so benchmarks act as many signed-in readers without hashing a password per user.

Usage: seed.py FILE --users N --articles M [--jwt-secret SECRET --tokens K --tokens-file FILE]
           [--slugs-file FILE] [--body-bytes B]
Users are user1..userN (their password hash is a well-formed argon2id string no password matches: benchmarks sign
in with the minted tokens), each following 5 others; articles are spread over the users, two tags each, a third of
them favorited by one user; bodies are about 250 bytes, or about B bytes with --body-bytes (a long post is 10-30 KB).
The tokens of user1..userK go one per line to --tokens-file; about 1,000 slugs, spread over all articles, to
--slugs-file.
"""
import argparse
import base64
import hashlib
import hmac
import json
import sys
import time

TAGS = ["rust", "web", "sqlite", "kubernetes", "leptos", "axum", "wasm", "nginx", "testing", "design"]
# A well-formed argon2id hash with the api's parameters (m=19 MiB, t=2, p=1) that no password matches.
HASH = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2hzYWx0$3lBHYGSaMm/Qz0Sy3d1rY5hQfPoGF2Tri1prF1YWwgk"
NOW = "2026-12-01T12:00:00.000Z"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(secret: str, user_id: int) -> str:
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": str(user_id), "iat": now, "exp": now + 7 * 86400, "ver": 0}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(signature)}"


def body(i: int, size: int) -> str:
    sentence = f"Body text of seeded article {i}, about {TAGS[i % 10]}. "
    return sentence * max(4, size // len(sentence))


def main() -> int:
    args = argparse.ArgumentParser()
    args.add_argument("file")
    args.add_argument("--users", type=int, required=True)
    args.add_argument("--articles", type=int, required=True)
    args.add_argument("--jwt-secret")
    args.add_argument("--tokens", type=int, default=0)
    args.add_argument("--tokens-file")
    args.add_argument("--slugs-file")
    args.add_argument("--body-bytes", type=int, default=0)
    a = args.parse_args()
    counts = {"users": 0, "follows": 0, "articles": 0, "tags": 0, "favorites": 0, "comments": 0}
    with open(a.file, "w") as out:
        def line(kind, row, counter=None):
            out.write(json.dumps({kind: row}, separators=(",", ":")) + "\n")
            if counter:
                counts[counter] += 1

        line("header", {"format": "conduit-export", "version": 1})
        for i in range(1, a.users + 1):
            line("user", {"id": i, "username": f"user{i}", "email": f"user{i}@example.com", "password_hash": HASH,
                          "bio": None, "image": None, "created_at": NOW, "updated_at": NOW, "token_version": 0},
                 "users")
        for i in range(1, a.users + 1):
            followees = sorted({1 + (i + k * 7) % a.users for k in range(1, 6)} - {i})
            for followee in followees:
                line("follow", {"follower_id": i, "followee_id": followee, "created_at": NOW}, "follows")
        for i in range(1, a.articles + 1):
            line("article", {"id": i, "slug": f"seeded-{i}", "author_id": 1 + i % a.users,
                             "title": f"Seeded article {i}", "description": "A seeded article for benchmarks",
                             "body": body(i, a.body_bytes),
                             "created_at": NOW, "updated_at": NOW}, "articles")
            if i % 100_000 == 0:
                print(f"  wrote {i:,}/{a.articles:,} articles", file=sys.stderr, flush=True)
        for i in range(1, a.articles + 1):
            for tag in sorted({TAGS[i % 10], TAGS[(i // 10) % 10]}):
                line("tag", {"article_id": i, "tag": tag}, "tags")
        for i in range(3, a.articles + 1, 3):
            line("favorite", {"user_id": 1 + (i * 31) % a.users, "article_id": i}, "favorites")
        line("end", counts)
    if a.tokens_file:
        with open(a.tokens_file, "w") as f:
            for i in range(1, min(a.tokens, a.users) + 1):
                f.write(token(a.jwt_secret, i) + "\n")
    if a.slugs_file:
        with open(a.slugs_file, "w") as f:
            for i in range(1, a.articles + 1, max(1, a.articles // 1000)):
                f.write(f"seeded-{i}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
