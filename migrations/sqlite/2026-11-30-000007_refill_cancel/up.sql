-- How long after placing an order its customer may ask for a refill.
ALTER TABLE services ADD COLUMN refill_days BIGINT NOT NULL DEFAULT 30;

-- A customer's refill or cancel request for an order, forwarded to the provider by the
-- workers like an add (durable, leased, never blindly resent) or handled by an admin.
CREATE TABLE order_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('refill', 'cancel')),
    order_id BIGINT NOT NULL REFERENCES orders (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- Where the request is on its way to the provider.
    state TEXT NOT NULL CHECK (state IN ('queued', 'in_flight', 'sent', 'unknown', 'rejected', 'manual', 'done')),
    -- What the customer sees: pending, in_progress, completed, rejected.
    status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'rejected')),
    -- Open until it reaches a final status; at most one open request of a kind per order.
    open BOOLEAN NOT NULL DEFAULT TRUE,
    provider_refill_id TEXT,
    provider_status TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    lease_until TIMESTAMP,
    lease_owner TEXT,
    last_error TEXT,
    last_status_check TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX order_requests_one_open_idx ON order_requests (order_id, kind) WHERE open;
CREATE INDEX order_requests_queue_idx ON order_requests (state, id);
CREATE INDEX order_requests_user_idx ON order_requests (user_id, id);
