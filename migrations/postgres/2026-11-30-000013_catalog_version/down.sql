DROP TRIGGER services_version ON services;
DROP TRIGGER categories_version ON categories;
DROP TRIGGER settings_version ON settings;
DROP FUNCTION bump_catalog_version();
DROP TABLE catalog_version;
