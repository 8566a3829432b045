-- Full-text search over title, description, body and tags. The tags an article has, as one text, live beside it
-- (kept by the same writes that change the tags), and an FTS5 index reads its words from the articles table
-- (external content: the text is not stored twice), kept in step by the triggers below.
ALTER TABLE articles ADD COLUMN search_tags TEXT NOT NULL DEFAULT '';

UPDATE articles SET search_tags = COALESCE(
    (SELECT group_concat(tag, ' ') FROM article_tags t WHERE t.article_id = articles.id), '');

CREATE VIRTUAL TABLE article_search USING fts5(
    title, description, body, search_tags,
    content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO article_search (article_search) VALUES ('rebuild');

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
