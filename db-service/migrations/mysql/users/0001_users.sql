-- The user service's data on MySQL/MariaDB: accounts and who follows whom (same meaning as the SQLite schema).
-- Text is utf8mb4 (4-byte characters included). Names and e-mails are unique and looked up through lower-cased
-- key columns compared byte by byte (SQLite: COLLATE NOCASE); keys, slugs and tags are utf8mb4_bin, which sqlx
-- reads as bytes, so queries never select them without CAST(… AS CHAR). Timestamps are UTC with milliseconds.
CREATE TABLE users (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username      VARCHAR(255) NOT NULL,
    email         VARCHAR(255) NOT NULL,
    username_key  VARCHAR(255) COLLATE utf8mb4_bin AS (LOWER(username)) STORED,
    email_key     VARCHAR(255) COLLATE utf8mb4_bin AS (LOWER(email)) STORED,
    password_hash VARCHAR(255) NOT NULL,
    bio           TEXT,
    image         TEXT,
    created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY username (username_key),
    UNIQUE KEY email (email_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE follows (
    follower_id BIGINT NOT NULL,
    followee_id BIGINT NOT NULL,
    created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (follower_id, followee_id),
    KEY follows_by_followee (followee_id, follower_id),
    CONSTRAINT follows_follower FOREIGN KEY (follower_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT follows_followee FOREIGN KEY (followee_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
