-- Limits that hold across every process sharing this database (issue 14): N `serve`
-- processes behind one proxy let through what one would.
--
-- The rate limit (`RATE_LIMIT_PER_MIN`): one row per client and minute, counted with one
-- `INSERT … ON CONFLICT DO UPDATE … RETURNING hits`. `bucket` is `user:<id>`, `ip:<address>`
-- or `v2:<hash of the API key>`; `window_start` is the minute's first second (Unix
-- seconds). Windows older than an hour are deleted by the scheduler.
CREATE TABLE limit_windows (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX limit_windows_window_start ON limit_windows (window_start);

-- The sign-in throttle: one row per account (`account:<hash of the email>`) and per
-- address (`address:<ip>`), read `FOR UPDATE` and written in one transaction. Times are
-- Unix milliseconds on the database's clock.
CREATE TABLE login_throttle (
    bucket TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL,
    window_start_ms BIGINT NOT NULL,
    locked_until_ms BIGINT,
    lockouts INTEGER NOT NULL
);
CREATE INDEX login_throttle_window_start ON login_throttle (window_start_ms);
