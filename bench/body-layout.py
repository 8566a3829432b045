#!/usr/bin/env python3
"""What blog.db's migration 4 (the articles' bodies stored last) changes for a list page: builds ARTICLES articles
with bodies of each size as migrations 1-3 left the table and as migration 4 rebuilt it (from the repository's own
migration files; also VACUUMed after it), and times the list's page statement (20 rows, every offset up to the end,
its columns as db-service reads them) on each, with the file memory-mapped (db-service's default, for files up to
SQLITE_MMAP_MIB) and without (a file larger than the map). With --cold, also after dropping the kernel's page cache
(root). Python's SQLite, not db-service's own build of it; prints figures, asserts nothing.

Usage: bench/body-layout.py [--articles 1000] [--body-bytes 20000,100000] [--rounds 3] [--cold]
"""
import argparse
import glob
import os
import shutil
import sqlite3
import tempfile
import time

MIGRATIONS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "../db-service/migrations/sqlite/blog/*.sql")))
# As db-service reads a page for a signed-in viewer (store::sql::Dialect::article_columns), totals aside.
PAGE = """WITH viewer (id) AS (SELECT 3)
 SELECT a.slug, a.author_id, a.title, a.description, NULL AS body,
 (SELECT json_group_array(t.tag) FROM article_tags t WHERE t.article_id = a.id) AS tags,
 a.favorites_count,
 EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = (SELECT id FROM viewer) AND f.article_id = a.id) AS favorited,
 a.created_at, a.updated_at
 FROM articles a ORDER BY a.id DESC LIMIT 20 OFFSET ?"""


def build(folder: str, articles: int, body_bytes: int) -> tuple[str, str, str]:
    """The file before the rebuild, after it, and after it and a VACUUM (the rebuilt rows packed together)."""
    before, after = os.path.join(folder, f"before-{body_bytes}.db"), os.path.join(folder, f"after-{body_bytes}.db")
    vacuumed = os.path.join(folder, f"vacuumed-{body_bytes}.db")
    db = sqlite3.connect(before, isolation_level=None)
    for path in MIGRATIONS[:3]:
        db.executescript(open(path).read())
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN")
    for i in range(1, articles + 1):
        body = (f"Body text of article {i}. " * (body_bytes // 20 + 1))[:body_bytes]
        db.execute("INSERT INTO articles (slug, author_id, title, description, body, search_tags) "
                   "VALUES (?, ?, ?, 'A seeded article', ?, 'rust web')",
                   (f"seeded-{i}", 1 + i % 100, f"Seeded article {i}", body))
        db.execute("INSERT INTO article_tags VALUES (?, 'rust'), (?, 'web')", (i, i))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    shutil.copy(before, after)
    db = sqlite3.connect(after, isolation_level=None)
    db.execute("PRAGMA foreign_keys = OFF")
    db.executescript("BEGIN;" + open(MIGRATIONS[3]).read() + "COMMIT;")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    shutil.copy(after, vacuumed)
    db = sqlite3.connect(vacuumed, isolation_level=None)
    db.execute("VACUUM")
    db.close()
    return before, after, vacuumed


def page_micros(path: str, articles: int, mmap_bytes: int, cold: bool) -> float:
    if cold:
        os.system("sync; echo 3 > /proc/sys/vm/drop_caches")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.execute(f"PRAGMA mmap_size = {mmap_bytes}")
    offsets = range(0, articles, 20)
    repeats = 1 if cold else 20
    if not cold:
        for offset in offsets:
            db.execute(PAGE, (offset,)).fetchall()
    started = time.perf_counter()
    for _ in range(repeats):
        for offset in offsets:
            db.execute(PAGE, (offset,)).fetchall()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed / (repeats * len(offsets)) * 1e6


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--articles", type=int, default=1000)
    args.add_argument("--body-bytes", default="20000,100000")
    args.add_argument("--rounds", type=int, default=3)
    args.add_argument("--cold", action="store_true")
    a = args.parse_args()
    print(f"SQLite {sqlite3.sqlite_version}; a page of 20 of {a.articles:,} articles, "
          f"µs per statement (min-max of {a.rounds} rounds, alternating)")
    with tempfile.TemporaryDirectory() as folder:
        for body_bytes in (int(b) for b in a.body_bytes.split(",")):
            before, after, vacuumed = build(folder, a.articles, body_bytes)
            cases = [("mapped", 256 << 20, False), ("not mapped", 0, False)]
            if a.cold:
                cases += [("mapped, cold", 256 << 20, True), ("not mapped, cold", 0, True)]
            for name, mmap_bytes, cold in cases:
                times = {before: [], after: [], vacuumed: []}
                for _ in range(a.rounds):
                    for path in times:
                        times[path].append(page_micros(path, a.articles, mmap_bytes, cold))
                spread = {path: f"{min(t):6.0f}-{max(t):6.0f}" for path, t in times.items()}
                print(f"bodies of {body_bytes:,} B, {name:17}: body in the middle {spread[before]}, "
                      f"body last {spread[after]}, body last and vacuumed {spread[vacuumed]}")
            for path in times:
                os.remove(path)


if __name__ == "__main__":
    main()
