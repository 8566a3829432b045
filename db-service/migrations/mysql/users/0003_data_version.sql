-- The version of this database's data, bumped in the same transaction as every write a cached read could show
-- (db-service replicas cache reads and serve them only while the version they were read at is current). Spread
-- over slots, like the counters, so that concurrent writers rarely wait on one another; the version is the sum.
CREATE TABLE data_versions (slot TINYINT UNSIGNED NOT NULL PRIMARY KEY, version BIGINT NOT NULL) ENGINE = InnoDB;

CREATE PROCEDURE bump_data_version()
    INSERT INTO data_versions (slot, version) VALUES (CONNECTION_ID() % 16, 1)
        ON DUPLICATE KEY UPDATE version = version + 1;

CREATE TRIGGER users_version_insert AFTER INSERT ON users FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER users_version_update AFTER UPDATE ON users FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER users_version_delete AFTER DELETE ON users FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER follows_version_insert AFTER INSERT ON follows FOR EACH ROW CALL bump_data_version();
CREATE TRIGGER follows_version_delete AFTER DELETE ON follows FOR EACH ROW CALL bump_data_version();
