-- 001_schema.sql: the PostGIS extension, the warehouse schema and its version table.
-- @schema@ is replaced by the configured schema (warehouse.schema, default landrec) quoted with
-- PQescapeIdentifier when landrec applies this file (landrec db init URL).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE SCHEMA IF NOT EXISTS @schema@;

-- One row per sql/NNN_name.sql file applied: version NNN, the file's name and SHA-256.
CREATE TABLE IF NOT EXISTS @schema@.schema_version (
    version integer PRIMARY KEY,
    name text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
