DROP INDEX services_provider_service_idx;
DROP INDEX services_imported_key;
ALTER TABLE services DROP COLUMN imported;
CREATE UNIQUE INDEX services_provider_service_key ON services (provider_id, provider_service_id);
