CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    service_id BIGINT NOT NULL REFERENCES services (id),
    provider_id BIGINT REFERENCES providers (id),
    -- What the order was sold as, kept even if the service changes later.
    provider_service_id TEXT,
    link TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    -- Micro-units: the charge in the panel currency, the USD rate per 1000 and the
    -- exchange rate used, and the provider's cost in USD.
    charge BIGINT NOT NULL CHECK (charge >= 0),
    currency TEXT NOT NULL,
    rate_per_1000 BIGINT NOT NULL,
    usd_to_bdt BIGINT NOT NULL,
    provider_cost BIGINT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'partial', 'canceled', 'failed')),
    forward_state TEXT NOT NULL CHECK (forward_state IN ('manual', 'queued', 'in_flight', 'accepted', 'rejected', 'unknown')),
    provider_order_id TEXT,
    provider_status TEXT,
    start_count BIGINT,
    remains BIGINT,
    last_status_check TIMESTAMP,
    is_manual BOOLEAN NOT NULL DEFAULT 0,
    admin_notes TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    lease_until TIMESTAMP,
    lease_owner TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_provider_order_id_idx ON orders (provider_order_id);
CREATE INDEX orders_provider_idx ON orders (provider_id);
-- "My orders", newest first.
CREATE INDEX orders_user_idx ON orders (user_id, id);
-- The forwarding queue and lease recovery.
CREATE INDEX orders_forward_idx ON orders (forward_state, next_attempt_at);
-- A service may take a bare username instead of a URL as the order's link.
ALTER TABLE services ADD COLUMN accepts_username BOOLEAN NOT NULL DEFAULT 0;
