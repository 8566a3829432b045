-- Bumped on every password change: user tokens carry the version they were issued under, and older ones stop
-- working.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
