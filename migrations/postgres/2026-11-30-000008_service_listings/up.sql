-- A provider's service may be listed more than once (a cheaper and a premium listing,
-- two categories): the import remembers the services it created and updates only those.
DROP INDEX services_provider_service_key;
ALTER TABLE services ADD COLUMN imported BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE services SET imported = TRUE WHERE provider_id IS NOT NULL AND provider_service_id IS NOT NULL;
CREATE UNIQUE INDEX services_imported_key ON services (provider_id, provider_service_id) WHERE imported;
CREATE INDEX services_provider_service_idx ON services (provider_id, provider_service_id);
