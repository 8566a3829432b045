-- Full-text search over title, description, body and tags. The tags an article has, as one text, live beside it
-- (kept by the same writes that change the tags), so one FULLTEXT index covers all four. Stopwords are off (as
-- on SQLite, every word counts); InnoDB indexes words of at least innodb_ft_min_token_size (3) characters, the
-- same minimum the api applies to search words on both backends.
ALTER TABLE articles ADD COLUMN search_tags VARCHAR(512) NOT NULL DEFAULT '';

UPDATE articles a SET search_tags = COALESCE(
    (SELECT GROUP_CONCAT(t.tag SEPARATOR ' ') FROM article_tags t WHERE t.article_id = a.id), '');

SET SESSION innodb_ft_enable_stopword = OFF;

CREATE FULLTEXT INDEX article_search ON articles (title, description, body, search_tags);
