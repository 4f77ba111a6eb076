-- 003_tables.sql: runs, loads, the published pointer and the per-run data tables.
--
-- Every data table is partitioned by load_no: a run's rows are COPYed into fresh tables
-- (TABLE_lNNN), then attached as partitions; views show only the load that `published` names.
-- A failed load rolls back with its tables; re-running a run id makes a new load and the old
-- one is dropped once the new one is published. Money is bigint VND, areas numeric(14,1) m^2.

CREATE SEQUENCE IF NOT EXISTS @schema@.load_seq;

-- Runs published into the warehouse. status: published (the one the views show), superseded
-- (history: its rows are kept), expired (rows dropped by warehouse.retention_runs).
CREATE TABLE IF NOT EXISTS @schema@.runs (
    run_id text PRIMARY KEY,
    load_no bigint,
    status text NOT NULL CHECK (status IN ('published', 'superseded', 'expired')),
    started timestamptz,
    finished timestamptz,
    config_sha256 text,
    landrec_version text,
    counts jsonb,
    loaded_at timestamptz,
    published_at timestamptz
);

-- Loads whose tables are attached; a load no run points at is dropped by the next cleanup.
CREATE TABLE IF NOT EXISTS @schema@.loads (
    load_no bigint PRIMARY KEY,
    run_id text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- The one published run: the views read load_no from here.
CREATE TABLE IF NOT EXISTS @schema@.published (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    run_id text NOT NULL,
    load_no bigint NOT NULL,
    published_at timestamptz NOT NULL
);

-- Every map parcel of a run (rejected ones too, with a NULL geometry): keys, statuses, areas,
-- value. No owner data.
CREATE TABLE IF NOT EXISTS @schema@.parcels (
    load_no bigint NOT NULL,
    run_id text NOT NULL,
    parcel_key text,
    old_commune text,
    sheet integer,
    parcel integer,
    new_commune text,
    source text,
    fid bigint,
    land_use text,
    land_use_raw text,
    place text,
    scale integer,
    status text NOT NULL,
    reject_reason text,
    record_key text,
    confidence numeric(3, 2),
    area_m2 numeric(14, 1),
    area_source_plane_m2 numeric(14, 1),
    area_attr_m2 numeric(14, 1),
    extract_area_m2 numeric(14, 1),
    area_source text,
    price_zone text,
    position integer,
    unit_price_vnd bigint,
    value_vnd bigint,
    tax_vnd bigint,
    issues text,
    geom geometry(MultiPolygon, 5899)
) PARTITION BY LIST (load_no);
CREATE INDEX IF NOT EXISTS parcels_key_idx ON @schema@.parcels (parcel_key);
CREATE INDEX IF NOT EXISTS parcels_geom_idx ON @schema@.parcels USING gist (geom);

-- Geometry issues at their place: a point, or the overlap / gap polygon.
CREATE TABLE IF NOT EXISTS @schema@.issues (
    load_no bigint NOT NULL,
    run_id text NOT NULL,
    parcel_key text,
    record_key text,
    class text NOT NULL,
    detail text,
    geom geometry(Geometry, 5899)
) PARTITION BY LIST (load_no);
CREATE INDEX IF NOT EXISTS issues_key_idx ON @schema@.issues (parcel_key);
CREATE INDEX IF NOT EXISTS issues_geom_idx ON @schema@.issues USING gist (geom);

-- Register records with no map geometry (unmatched or rejected). No owner data.
CREATE TABLE IF NOT EXISTS @schema@.register_only (
    load_no bigint NOT NULL,
    run_id text NOT NULL,
    record_key text,
    old_commune text,
    sheet integer,
    parcel integer,
    land_use text,
    area_m2 numeric(14, 1),
    status text NOT NULL,
    reject_reason text,
    source text,
    source_row bigint
) PARTITION BY LIST (load_no);
CREATE INDEX IF NOT EXISTS register_only_key_idx ON @schema@.register_only (record_key);

-- Lineage between a register key (old) and a map key (new).
CREATE TABLE IF NOT EXISTS @schema@.lineage (
    load_no bigint NOT NULL,
    run_id text NOT NULL,
    old_key text,
    new_key text,
    relation text NOT NULL,
    confidence numeric(3, 2),
    evidence text
) PARTITION BY LIST (load_no);
CREATE INDEX IF NOT EXISTS lineage_old_idx ON @schema@.lineage (old_key);
CREATE INDEX IF NOT EXISTS lineage_new_idx ON @schema@.lineage (new_key);

-- The rows of mismatches.csv (the run's findings), as written.
CREATE TABLE IF NOT EXISTS @schema@.findings (
    load_no bigint NOT NULL,
    run_id text NOT NULL,
    parcel_key text,
    record_key text,
    class text NOT NULL,
    detail text,
    acknowledged boolean NOT NULL
) PARTITION BY LIST (load_no);
CREATE INDEX IF NOT EXISTS findings_key_idx ON @schema@.findings (parcel_key);

-- The rows of tax_extract.csv, exactly its columns (SPEC.md "Tax extract columns").
CREATE TABLE IF NOT EXISTS @schema@.tax_extract_rows (
    load_no bigint NOT NULL,
    run_id text NOT NULL,
    new_commune text NOT NULL,
    new_commune_name text,
    old_commune text NOT NULL,
    sheet integer NOT NULL,
    parcel integer NOT NULL,
    parcel_key text NOT NULL,
    address text,
    land_use text,
    area_m2 numeric(14, 1),
    area_source text,
    price_zone text,
    position integer,
    unit_price_vnd bigint,
    value_vnd bigint,
    tax_vnd bigint,
    owner_name text,
    owner_id text,
    certificate text,
    status text
) PARTITION BY LIST (load_no);
CREATE INDEX IF NOT EXISTS tax_extract_rows_key_idx ON @schema@.tax_extract_rows (parcel_key);
