-- The version of what searches match and rank: the articles' text and tags, and which articles exist. Moved by the
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
-- other update of an article (an edit) moves the version. Comparing counters, not texts: a body may be a megabyte.
CREATE TRIGGER articles_search_version_update AFTER UPDATE ON articles FOR EACH ROW
    IF OLD.favorites_count = NEW.favorites_count AND OLD.comments_count = NEW.comments_count THEN
        CALL bump_articles_version();
    END IF;
CREATE TRIGGER article_tags_search_version_insert AFTER INSERT ON article_tags FOR EACH ROW
    CALL bump_articles_version();
CREATE TRIGGER article_tags_search_version_delete AFTER DELETE ON article_tags FOR EACH ROW
    CALL bump_articles_version();
