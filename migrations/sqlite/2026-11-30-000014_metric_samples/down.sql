DROP TABLE metric_provider_samples;
DROP TABLE metric_samples;
