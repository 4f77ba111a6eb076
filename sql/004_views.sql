-- 004_views.sql: what the tax office and other systems read: the last published run only.
-- Each view names the published load in a scalar subquery, so the planner prunes every other
-- load's partition at execution time.

CREATE OR REPLACE VIEW @schema@.tax_extract AS
SELECT t.new_commune, t.new_commune_name, t.old_commune, t.sheet, t.parcel, t.parcel_key,
       t.address, t.land_use, t.area_m2, t.area_source, t.price_zone, t.position,
       t.unit_price_vnd, t.value_vnd, t.tax_vnd, t.owner_name, t.owner_id, t.certificate,
       t.status
FROM @schema@.tax_extract_rows AS t
WHERE t.load_no = (SELECT p.load_no FROM @schema@.published AS p);

CREATE OR REPLACE VIEW @schema@.parcels_current AS
SELECT c.run_id, c.parcel_key, c.old_commune, c.sheet, c.parcel, c.new_commune, c.source, c.fid,
       c.land_use, c.land_use_raw, c.place, c.scale, c.status, c.reject_reason, c.record_key,
       c.confidence, c.area_m2, c.area_source_plane_m2, c.area_attr_m2, c.extract_area_m2,
       c.area_source, c.price_zone, c.position, c.unit_price_vnd, c.value_vnd, c.tax_vnd,
       c.issues, c.geom
FROM @schema@.parcels AS c
WHERE c.load_no = (SELECT p.load_no FROM @schema@.published AS p);

-- Findings per old commune (from the parcel key, else the record key) and class.
CREATE OR REPLACE VIEW @schema@.mismatch_summary AS
SELECT split_part(coalesce(f.parcel_key, f.record_key, ''), '-', 1) AS old_commune,
       f.class,
       count(*) AS findings,
       count(*) FILTER (WHERE f.acknowledged) AS acknowledged
FROM @schema@.findings AS f
WHERE f.load_no = (SELECT p.load_no FROM @schema@.published AS p)
GROUP BY 1, 2;
