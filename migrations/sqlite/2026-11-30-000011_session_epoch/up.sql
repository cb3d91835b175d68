-- Every session and token carries the epoch it was issued in; bumping it (sign-out,
-- password change, "sign out everywhere", disable, role change) ends them all at once.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
