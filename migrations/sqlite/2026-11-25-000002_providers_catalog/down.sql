DROP TABLE services;
DROP TABLE categories;
DROP TABLE providers;
