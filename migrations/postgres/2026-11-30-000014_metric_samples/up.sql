-- The System page's history (issue 14): each instance writes one row a minute
-- (span 60) with what it served; rows older than two days are rolled up into one row
-- an hour (span 3600), and everything older than 30 days is deleted. `at` is the
-- span's start in Unix seconds, on the writer's clock.
CREATE TABLE metric_samples (
    instance TEXT NOT NULL,
    span INTEGER NOT NULL,
    at BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    p50_ms BIGINT NOT NULL,
    p95_ms BIGINT NOT NULL,
    p99_ms BIGINT NOT NULL,
    cpu_ms BIGINT NOT NULL,
    rss_bytes BIGINT NOT NULL,
    queue_depth BIGINT NOT NULL,
    sync_rounds BIGINT NOT NULL,
    sync_ms BIGINT NOT NULL,
    PRIMARY KEY (instance, span, at)
);
CREATE INDEX metric_samples_at_idx ON metric_samples (span, at);

-- Provider calls per instance, provider and span.
CREATE TABLE metric_provider_samples (
    instance TEXT NOT NULL,
    span INTEGER NOT NULL,
    at BIGINT NOT NULL,
    provider_id BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    latency_ms_sum BIGINT NOT NULL,
    latency_ms_max BIGINT NOT NULL,
    PRIMARY KEY (instance, span, at, provider_id)
);
CREATE INDEX metric_provider_samples_at_idx ON metric_provider_samples (span, at);
