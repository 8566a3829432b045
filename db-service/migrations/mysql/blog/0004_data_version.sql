-- The version of this database's data, as users/0003_data_version.sql keeps it for users. Comments are not
-- cached, so a comment (which moves only its article's comments_count) leaves the version alone.
CREATE TABLE data_versions (slot TINYINT UNSIGNED NOT NULL PRIMARY KEY, version BIGINT NOT NULL) ENGINE = InnoDB;

CREATE PROCEDURE bump_data_version()
    INSERT INTO data_versions (slot, version) VALUES (CONNECTION_ID() % 16, 1)
        ON DUPLICATE KEY UPDATE version = version + 1;

CREATE TRIGGER articles_version_insert AFTER INSERT ON articles FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER articles_version_delete AFTER DELETE ON articles FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER articles_version_update AFTER UPDATE ON articles FOR EACH ROW
    IF OLD.comments_count = NEW.comments_count THEN CALL bump_data_version(); END IF;
CREATE TRIGGER article_tags_version_insert AFTER INSERT ON article_tags FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER article_tags_version_delete AFTER DELETE ON article_tags FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER favorites_version_insert AFTER INSERT ON favorites FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER favorites_version_delete AFTER DELETE ON favorites FOR EACH ROW CALL bump_data_version();
