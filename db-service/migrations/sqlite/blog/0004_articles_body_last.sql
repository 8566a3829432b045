-- articles rebuilt with its small columns first and the body and search text last. A row longer than a page keeps
-- its first few hundred bytes on the page and the rest in a chain of overflow pages, which SQLite can only walk
-- from the start: any column stored after a 100 KB body cost 25 page reads to reach. Lists, comment pages and
-- favorites read every column but the body, so a page of 20 long articles read 500 pages where it now reads 20.
-- The rows keep their ids, so the search index (which refers to rows by id) stays valid.
--
-- Dropping a table others refer to deletes their rows through ON DELETE CASCADE unless foreign keys are off, which
-- SQLite can only switch outside a transaction: db-service runs its migrations on a connection with foreign keys
-- off and checks them afterwards (store::sqlite::migrate). Should this run with them on, the guard stops it before
-- anything changed.
CREATE TEMP TABLE rebuild_guard (foreign_keys_enforced INTEGER NOT NULL CHECK (foreign_keys_enforced = 0));
INSERT INTO rebuild_guard SELECT foreign_keys FROM pragma_foreign_keys;
DROP TABLE rebuild_guard;

CREATE TABLE articles_rebuilt (
    id              INTEGER PRIMARY KEY,
    author_id       INTEGER NOT NULL,
    -- Kept by the triggers on favorites and comments, so lists never count rows.
    favorites_count INTEGER NOT NULL DEFAULT 0,
    comments_count  INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    slug            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- Only ever read whole, so last.
    body            TEXT NOT NULL,
    -- The article's tags as one text, for the search index.
    search_tags     TEXT NOT NULL DEFAULT ''
) STRICT;

INSERT INTO articles_rebuilt (id, author_id, favorites_count, comments_count, created_at, updated_at, slug, title,
                              description, body, search_tags)
    SELECT id, author_id, favorites_count, comments_count, created_at, updated_at, slug, title, description, body,
           search_tags
    FROM articles ORDER BY id;

-- Triggers of other tables that name articles would make the rename below fail while no table has that name.
DROP TRIGGER favorites_count_up;
DROP TRIGGER favorites_count_down;
DROP TRIGGER comments_count_up;
DROP TRIGGER comments_count_down;
-- Its own index and triggers go with it.
DROP TABLE articles;
ALTER TABLE articles_rebuilt RENAME TO articles;

CREATE INDEX articles_by_author ON articles (author_id, id);

CREATE TRIGGER favorites_count_up AFTER INSERT ON favorites BEGIN
    UPDATE articles SET favorites_count = favorites_count + 1 WHERE id = NEW.article_id;
END;

CREATE TRIGGER favorites_count_down AFTER DELETE ON favorites BEGIN
    UPDATE articles SET favorites_count = favorites_count - 1 WHERE id = OLD.article_id;
END;

CREATE TRIGGER comments_count_up AFTER INSERT ON comments BEGIN
    UPDATE articles SET comments_count = comments_count + 1 WHERE id = NEW.article_id;
END;

CREATE TRIGGER comments_count_down AFTER DELETE ON comments BEGIN
    UPDATE articles SET comments_count = comments_count - 1 WHERE id = OLD.article_id;
END;

CREATE TRIGGER articles_total_up AFTER INSERT ON articles BEGIN
    UPDATE article_totals SET total = total + 1 WHERE id = 1;
END;

CREATE TRIGGER articles_total_down AFTER DELETE ON articles BEGIN
    UPDATE article_totals SET total = total - 1 WHERE id = 1;
END;

CREATE TRIGGER author_count_up AFTER INSERT ON articles BEGIN
    INSERT INTO author_article_counts (author_id, article_count) VALUES (NEW.author_id, 1)
        ON CONFLICT (author_id) DO UPDATE SET article_count = article_count + 1;
END;

CREATE TRIGGER author_count_down AFTER DELETE ON articles BEGIN
    UPDATE author_article_counts SET article_count = article_count - 1 WHERE author_id = OLD.author_id;
END;

CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_search (rowid, title, description, body, search_tags)
        VALUES (NEW.id, NEW.title, NEW.description, NEW.body, NEW.search_tags);
END;

CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN
    INSERT INTO article_search (article_search, rowid, title, description, body, search_tags)
        VALUES ('delete', OLD.id, OLD.title, OLD.description, OLD.body, OLD.search_tags);
END;

CREATE TRIGGER article_search_update AFTER UPDATE OF title, description, body, search_tags ON articles BEGIN
    INSERT INTO article_search (article_search, rowid, title, description, body, search_tags)
        VALUES ('delete', OLD.id, OLD.title, OLD.description, OLD.body, OLD.search_tags);
    INSERT INTO article_search (rowid, title, description, body, search_tags)
        VALUES (NEW.id, NEW.title, NEW.description, NEW.body, NEW.search_tags);
END;

-- Foreign keys were off while the tables changed: every reference is checked before this commits, so a failure
-- rolls all of it back.
CREATE TEMP TABLE references_guard (dangling_references INTEGER NOT NULL CHECK (dangling_references = 0));
INSERT INTO references_guard SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE references_guard;
