-- stock.sql - the "stock path" landrec is compared with (bench/stock.sh runs it): what a user
-- would assemble with ogr2ogr + PostGIS SQL for the same batch. bench/stock.sh loads the inputs
-- with ogr2ogr into tables maps (source CRS, EPSG:9212), register, price_zones (EPSG:5899) and
-- crosswalk (text columns as read), then runs each "-- stage:" section below on its own and
-- times it. It does less than landrec: no repair classes, no gaps, no split/merge/renumbering,
-- no text decoding (TCVN3 arrives as Latin-1), no workbooks, no GeoPackage, no report.

-- stage: reproject
DROP TABLE IF EXISTS bench.p;
CREATE TABLE bench.p AS
SELECT m.ogc_fid AS id, lpad(trim(m.maxa), 5, '0') AS commune, m.shbando::integer AS sheet,
       m.sothua::integer AS parcel, trim(m.loaidat) AS land_use,
       coalesce(nullif(m.tylebd, 0), 2000) AS scale, ST_Transform(m.geom, 5899) AS geom
FROM bench.maps AS m;

-- stage: validate
DROP TABLE IF EXISTS bench.pv;
CREATE TABLE bench.pv AS
WITH c AS MATERIALIZED (SELECT p.*, ST_IsValid(p.geom) AS ok FROM bench.p AS p),
     r AS (SELECT c.id, c.commune, c.sheet, c.parcel, c.land_use, c.scale, c.ok AS was_valid,
                  CASE WHEN c.ok THEN c.geom
                       ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(c.geom), 3)) END AS geom
           FROM c)
SELECT r.id, r.commune, r.sheet, r.parcel, r.land_use, r.scale, r.was_valid,
       ST_Area(r.geom) AS area_m2, r.geom
FROM r;

-- stage: match
DROP TABLE IF EXISTS bench.r;
CREATE TABLE bench.r AS
SELECT lpad(trim(r.ma_xa), 5, '0') AS commune, trim(r.so_to)::integer AS sheet,
       trim(r.so_thua)::integer AS parcel, trim(r.loai_dat) AS land_use,
       nullif(trim(r.dien_tich), '')::numeric AS area_m2, r.chu_su_dung AS owner_name,
       r.so_dinh_danh AS owner_id, r.so_gcn AS certificate, r.dia_chi AS address
FROM bench.register AS r;
CREATE INDEX r_key ON bench.r (commune, sheet, parcel);
DROP TABLE IF EXISTS bench.m;
CREATE TABLE bench.m AS
SELECT pv.id, pv.commune, pv.sheet, pv.parcel, coalesce(r.land_use, pv.land_use) AS land_use,
       pv.area_m2 AS map_area_m2, r.area_m2 AS register_area_m2,
       abs(pv.area_m2 - r.area_m2) <= 0.0004 * pv.scale * sqrt(r.area_m2) AS area_ok,
       r.owner_name, r.owner_id, r.certificate, r.address, pv.geom
FROM bench.pv AS pv JOIN bench.r AS r USING (commune, sheet, parcel);

-- stage: overlaps
CREATE INDEX pv_geom ON bench.pv USING gist (geom);
DROP TABLE IF EXISTS bench.overlaps;
CREATE TABLE bench.overlaps AS
SELECT a.id AS a_id, b.id AS b_id, ST_Area(ST_Intersection(a.geom, b.geom)) AS area_m2
FROM bench.pv AS a JOIN bench.pv AS b ON a.id < b.id AND a.geom && b.geom
WHERE ST_Relate(a.geom, b.geom, '2********');
DELETE FROM bench.overlaps WHERE area_m2 < 0.5;

-- stage: value
CREATE INDEX z_geom ON bench.price_zones USING gist (geom);
DROP TABLE IF EXISTS bench.v;
CREATE TABLE bench.v AS
SELECT m.*, z.zone_id, z.position, z.price_vnd_m2,
       round(round(CASE WHEN m.area_ok THEN m.register_area_m2 ELSE m.map_area_m2::numeric END, 1)
             * z.price_vnd_m2) AS value_vnd
FROM bench.m AS m
LEFT JOIN LATERAL (SELECT z.zone_id, z.position, z.price_vnd_m2
                   FROM bench.price_zones AS z
                   WHERE z.geom && m.geom AND z.land_use = m.land_use
                     AND ST_Contains(z.geom, ST_PointOnSurface(m.geom))
                   ORDER BY z.zone_id LIMIT 1) AS z ON true;

-- stage: extract
COPY (SELECT c.new_code AS new_commune, c.new_name AS new_commune_name, v.commune AS old_commune,
             v.sheet, v.parcel, v.commune || '-' || v.sheet || '-' || v.parcel AS parcel_key,
             v.address, v.land_use,
             round(CASE WHEN v.area_ok THEN v.register_area_m2 ELSE v.map_area_m2::numeric END, 1) AS area_m2,
             CASE WHEN v.area_ok THEN 'register' ELSE 'map' END AS area_source,
             v.zone_id AS price_zone, v.position, v.price_vnd_m2 AS unit_price_vnd, v.value_vnd,
             round(v.value_vnd * 0.0003) AS tax_vnd, v.owner_name, v.owner_id, v.certificate
      FROM bench.v AS v
      JOIN (SELECT DISTINCT ON (old_code) old_code, new_code, new_name FROM bench.crosswalk
            ORDER BY old_code, new_code) AS c ON c.old_code = v.commune
      ORDER BY c.new_code, v.commune, v.sheet, v.parcel) TO STDOUT WITH (FORMAT csv, HEADER);
