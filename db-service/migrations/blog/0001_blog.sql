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
