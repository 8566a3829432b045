#!/usr/bin/env python3
"""Bulk-loads articles straight into a db-service blog.db (its migrations' schema, triggers included).

Usage: seed_articles.py DATA_DIR COUNT AUTHORS
The authors must already exist in users.db with ids 1..AUTHORS (bench/db-service.sh creates them through the
API). db-service must be stopped while this runs.
"""
import sqlite3
import sys
import time

TAGS = ["rust", "web", "sqlite", "kubernetes", "leptos", "axum", "wasm", "nginx", "testing", "design"]


def main() -> int:
    data_dir, count, authors = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    db = sqlite3.connect(f"{data_dir}/blog.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    start = time.monotonic()
    batch = 50_000
    next_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0]) + 1
    done = 0
    while done < count:
        n = min(batch, count - done)
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO articles (id, slug, author_id, title, description, body) VALUES (?, ?, ?, ?, ?, ?)",
            (
                (i, f"seeded-{i}", 1 + i % authors, f"Seeded article {i}", "A seeded article for benchmarks",
                 "Body text of a seeded article. " * 8)
                for i in range(next_id, next_id + n)
            ),
        )
        db.executemany(
            "INSERT OR IGNORE INTO article_tags (article_id, tag) VALUES (?, ?)",
            ((i, tag) for i in range(next_id, next_id + n) for tag in (TAGS[i % 10], TAGS[(i // 10) % 10])),
        )
        db.execute("COMMIT")
        next_id += n
        done += n
        print(f"  seeded {done:,}/{count:,} articles", file=sys.stderr, flush=True)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"  seeding took {time.monotonic() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
