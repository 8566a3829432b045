-- The version of what searches match and rank: the articles' text and tags, and which articles exist.
-- (A db-service from before this migration refuses to start on a database it was applied to.) Moved by the
-- same transactions that change them, and by nothing else, so that db-service replicas keep a search's ranking
-- through the favorites, follows and comments a crowd writes (data_versions moves with those too). Spread over
-- slots like data_versions; the version is the sum.
CREATE TABLE articles_versions (slot TINYINT UNSIGNED NOT NULL PRIMARY KEY, version BIGINT NOT NULL) ENGINE = InnoDB;

CREATE PROCEDURE bump_articles_version()
    INSERT INTO articles_versions (slot, version) VALUES (CONNECTION_ID() % 16, 1)
        ON DUPLICATE KEY UPDATE version = version + 1;

CREATE TRIGGER articles_search_version_insert AFTER INSERT ON articles FOR EACH ROW CALL bump_articles_version();
CREATE TRIGGER articles_search_version_delete AFTER DELETE ON articles FOR EACH ROW CALL bump_articles_version();
-- The counters' triggers (favorites, comments) change nothing a search ranks, and only those counters; every
-- other update of an article moves the version, and so does any that sets `updated_at` (every edit does), should a
-- statement ever change a counter and the text together. Comparing counters, not texts: a body may be a megabyte.
-- Tags need no trigger of their own: they change only with their article, in the same transaction (its insert,
-- deletion, or the edit that rewrites `search_tags`).
CREATE TRIGGER articles_search_version_update AFTER UPDATE ON articles FOR EACH ROW
    IF (OLD.favorites_count = NEW.favorites_count AND OLD.comments_count = NEW.comments_count)
            OR NOT (OLD.updated_at <=> NEW.updated_at) THEN
        CALL bump_articles_version();
    END IF;
