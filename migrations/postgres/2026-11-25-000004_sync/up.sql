-- Every sync round, as it ran.
CREATE TABLE sync_rounds (
    id BIGSERIAL PRIMARY KEY,
    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'admin', 'force')),
    runner TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    checked BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    error_summary TEXT
);
CREATE INDEX sync_rounds_started_idx ON sync_rounds (started_at);

-- One row: when the next scheduled round is due, and who holds the right to run a
-- round now (a lease), so that several processes never run the same round.
CREATE TABLE sync_schedule (
    id BIGINT PRIMARY KEY NOT NULL,
    next_run_at TIMESTAMP NOT NULL,
    runner TEXT,
    lease_until TIMESTAMP
);
INSERT INTO sync_schedule (id, next_run_at) VALUES (1, '2000-01-01 00:00:00');

-- Whether the provider answers multi-status calls (NULL: not known yet).
ALTER TABLE providers ADD COLUMN multi_status BOOLEAN;

-- The sync picks accepted, active orders of one provider, oldest check first.
CREATE INDEX orders_sync_idx ON orders (provider_id, forward_state, status, last_status_check);
