-- Comments per article, kept by triggers: a page of comments says how many there are without counting them.
ALTER TABLE articles ADD COLUMN comments_count INTEGER NOT NULL DEFAULT 0;

UPDATE articles SET comments_count = (SELECT COUNT(*) FROM comments c WHERE c.article_id = articles.id);

CREATE TRIGGER comments_count_up AFTER INSERT ON comments BEGIN
    UPDATE articles SET comments_count = comments_count + 1 WHERE id = NEW.article_id;
END;

CREATE TRIGGER comments_count_down AFTER DELETE ON comments BEGIN
    UPDATE articles SET comments_count = comments_count - 1 WHERE id = OLD.article_id;
END;
