CREATE TABLE providers (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    api_url TEXT NOT NULL,
    api_key_enc TEXT NOT NULL,
    api_key_hint TEXT NOT NULL,
    on_ambiguous TEXT NOT NULL DEFAULT 'review' CHECK (on_ambiguous IN ('review', 'retry')),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    deleted_at TIMESTAMP,
    calls_total BIGINT NOT NULL DEFAULT 0,
    calls_failed BIGINT NOT NULL DEFAULT 0,
    latency_ms_total BIGINT NOT NULL DEFAULT 0,
    last_success_at TIMESTAMP,
    last_error_at TIMESTAMP,
    last_error TEXT,
    balance BIGINT,
    balance_currency TEXT,
    balance_checked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX providers_name_key ON providers (name) WHERE deleted_at IS NULL;

CREATE TABLE categories (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    sort_order BIGINT NOT NULL DEFAULT 0,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX categories_name_key ON categories (name);

CREATE TABLE services (
    id BIGSERIAL PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    name TEXT NOT NULL,
    provider_id BIGINT REFERENCES providers (id),
    provider_service_id TEXT,
    rate_per_1000 BIGINT NOT NULL CHECK (rate_per_1000 > 0),
    provider_rate_per_1000 BIGINT,
    min_quantity BIGINT NOT NULL CHECK (min_quantity >= 1),
    max_quantity BIGINT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'manual')),
    refill BOOLEAN NOT NULL DEFAULT FALSE,
    cancel BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (max_quantity >= min_quantity),
    CHECK (mode = 'manual' OR (provider_id IS NOT NULL AND provider_service_id IS NOT NULL))
);
-- Re-importing a provider's catalogue updates these rows instead of adding copies.
CREATE UNIQUE INDEX services_provider_service_key ON services (provider_id, provider_service_id);
CREATE INDEX services_category_idx ON services (category_id);
