-- The blog service's data. Author and user ids refer to users.db, which lives in another file: no foreign keys
-- can cross it, so db-service checks those ids itself.
CREATE TABLE articles (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    author_id       INTEGER NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- Kept by the triggers below so lists never count favorites row by row.
    favorites_count INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX articles_by_author ON articles (author_id, id);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    PRIMARY KEY (article_id, tag)
) STRICT, WITHOUT ROWID;

CREATE INDEX article_tags_by_tag ON article_tags (tag, article_id);

CREATE TABLE favorites (
    user_id    INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, article_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX favorites_by_article ON favorites (article_id, user_id);

CREATE TRIGGER favorites_count_up AFTER INSERT ON favorites BEGIN
    UPDATE articles SET favorites_count = favorites_count + 1 WHERE id = NEW.article_id;
END;

CREATE TRIGGER favorites_count_down AFTER DELETE ON favorites BEGIN
    UPDATE articles SET favorites_count = favorites_count - 1 WHERE id = OLD.article_id;
END;

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX comments_by_article ON comments (article_id, id);

-- Tags in use with their article counts, kept by triggers: the popular-tags list and tag-filtered counts never
-- scan article_tags.
CREATE TABLE tags (
    tag           TEXT PRIMARY KEY,
    article_count INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX tags_by_popularity ON tags (article_count DESC, tag);

CREATE TRIGGER tags_count_up AFTER INSERT ON article_tags BEGIN
    INSERT INTO tags (tag, article_count) VALUES (NEW.tag, 1)
        ON CONFLICT (tag) DO UPDATE SET article_count = article_count + 1;
END;

CREATE TRIGGER tags_count_down AFTER DELETE ON article_tags BEGIN
    UPDATE tags SET article_count = article_count - 1 WHERE tag = OLD.tag;
    DELETE FROM tags WHERE tag = OLD.tag AND article_count <= 0;
END;

-- The number of articles, kept by triggers so that the unfiltered list never counts rows.
CREATE TABLE article_totals (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    total INTEGER NOT NULL
) STRICT;

INSERT INTO article_totals (id, total) VALUES (1, 0);

CREATE TRIGGER articles_total_up AFTER INSERT ON articles BEGIN
    UPDATE article_totals SET total = total + 1 WHERE id = 1;
END;

CREATE TRIGGER articles_total_down AFTER DELETE ON articles BEGIN
    UPDATE article_totals SET total = total - 1 WHERE id = 1;
END;

-- Articles per author, kept by triggers: author-filtered lists and the feed count without reading rows.
CREATE TABLE author_article_counts (
    author_id     INTEGER PRIMARY KEY,
    article_count INTEGER NOT NULL
) STRICT;

CREATE TRIGGER author_count_up AFTER INSERT ON articles BEGIN
    INSERT INTO author_article_counts (author_id, article_count) VALUES (NEW.author_id, 1)
        ON CONFLICT (author_id) DO UPDATE SET article_count = article_count + 1;
END;

CREATE TRIGGER author_count_down AFTER DELETE ON articles BEGIN
    UPDATE author_article_counts SET article_count = article_count - 1 WHERE author_id = OLD.author_id;
END;
