-- Limits that hold across every process sharing a PostgreSQL database (issue 14). An
-- SQLite file has one process by construction, so it keeps its counters in memory and
-- these tables stay empty; they exist so both backends carry the same schema.
CREATE TABLE limit_windows (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX limit_windows_window_start ON limit_windows (window_start);

CREATE TABLE login_throttle (
    bucket TEXT PRIMARY KEY NOT NULL,
    attempts INTEGER NOT NULL,
    window_start_ms BIGINT NOT NULL,
    locked_until_ms BIGINT,
    lockouts INTEGER NOT NULL
);
CREATE INDEX login_throttle_window_start ON login_throttle (window_start_ms);
