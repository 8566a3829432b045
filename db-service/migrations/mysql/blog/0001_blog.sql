-- The blog service's data on MySQL/MariaDB (same meaning as the SQLite schema). Author and user ids refer to the
-- users database: no foreign key crosses databases, so db-service checks those ids itself. Counters are kept by
-- triggers. InnoDB does not fire triggers for rows removed by a cascading foreign key, so db-service deletes an
-- article's tags, favorites and comments itself before the article.
CREATE TABLE articles (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug            VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    author_id       BIGINT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    body            MEDIUMTEXT NOT NULL,
    favorites_count BIGINT NOT NULL DEFAULT 0,
    created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY slug (slug),
    KEY articles_by_author (author_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL,
    tag        VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    PRIMARY KEY (article_id, tag),
    KEY article_tags_by_tag (tag, article_id),
    CONSTRAINT article_tags_article FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE favorites (
    user_id    BIGINT NOT NULL,
    article_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, article_id),
    KEY favorites_by_article (article_id, user_id),
    CONSTRAINT favorites_article FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TRIGGER favorites_count_up AFTER INSERT ON favorites FOR EACH ROW
    UPDATE articles SET favorites_count = favorites_count + 1 WHERE id = NEW.article_id;

CREATE TRIGGER favorites_count_down AFTER DELETE ON favorites FOR EACH ROW
    UPDATE articles SET favorites_count = favorites_count - 1 WHERE id = OLD.article_id;

CREATE TABLE comments (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    article_id BIGINT NOT NULL,
    author_id  BIGINT NOT NULL,
    body       TEXT NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    KEY comments_by_article (article_id, id),
    CONSTRAINT comments_article FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Counters kept by triggers, so that lists never count rows: articles in all, per author, per tag. Each counter is
-- split over 16 slots (a row per key and slot, picked by the writing connection) and read as the sum: concurrent
-- creates on different connections then update different rows instead of queueing for one row lock held until
-- each commit reaches the disk. A slot may go negative when a delete lands on another slot than the create.
CREATE TABLE tags (
    tag           VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    slot          TINYINT UNSIGNED NOT NULL,
    article_count BIGINT NOT NULL,
    PRIMARY KEY (tag, slot)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TRIGGER tags_count_up AFTER INSERT ON article_tags FOR EACH ROW
    INSERT INTO tags (tag, slot, article_count) VALUES (NEW.tag, CONNECTION_ID() % 16, 1)
        ON DUPLICATE KEY UPDATE article_count = article_count + 1;

CREATE TRIGGER tags_count_down AFTER DELETE ON article_tags FOR EACH ROW
    INSERT INTO tags (tag, slot, article_count) VALUES (OLD.tag, CONNECTION_ID() % 16, -1)
        ON DUPLICATE KEY UPDATE article_count = article_count - 1;

CREATE TABLE article_totals (
    slot  TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    total BIGINT NOT NULL
) ENGINE = InnoDB;

CREATE TRIGGER articles_total_up AFTER INSERT ON articles FOR EACH ROW
    INSERT INTO article_totals (slot, total) VALUES (CONNECTION_ID() % 16, 1)
        ON DUPLICATE KEY UPDATE total = total + 1;

CREATE TRIGGER articles_total_down AFTER DELETE ON articles FOR EACH ROW
    INSERT INTO article_totals (slot, total) VALUES (CONNECTION_ID() % 16, -1)
        ON DUPLICATE KEY UPDATE total = total - 1;

CREATE TABLE author_article_counts (
    author_id     BIGINT NOT NULL,
    slot          TINYINT UNSIGNED NOT NULL,
    article_count BIGINT NOT NULL,
    PRIMARY KEY (author_id, slot)
) ENGINE = InnoDB;

CREATE TRIGGER author_count_up AFTER INSERT ON articles FOR EACH ROW
    INSERT INTO author_article_counts (author_id, slot, article_count) VALUES (NEW.author_id, CONNECTION_ID() % 16, 1)
        ON DUPLICATE KEY UPDATE article_count = article_count + 1;

CREATE TRIGGER author_count_down AFTER DELETE ON articles FOR EACH ROW
    INSERT INTO author_article_counts (author_id, slot, article_count) VALUES (OLD.author_id, CONNECTION_ID() % 16, -1)
        ON DUPLICATE KEY UPDATE article_count = article_count - 1;
