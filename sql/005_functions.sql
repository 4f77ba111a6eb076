-- 005_functions.sql: server-side helpers for DDL that carries values (DDL takes no $n
-- parameters): landrec calls them with every value as a $n parameter; identifiers are quoted
-- with format('%I'). p_schema is the warehouse schema (the one these functions live in).

-- Create TABLE_lLOAD shaped like the partitioned TABLE, with load_no and run_id defaulting to
-- this load, ready for COPY. Returns the new table's name (unquoted).
CREATE OR REPLACE FUNCTION @schema@.lr_load_table(p_schema text, p_table text, p_load bigint,
                                                  p_run text)
RETURNS text
LANGUAGE plpgsql
AS $fn$
DECLARE
    part text := p_table || '_l' || p_load;
BEGIN
    EXECUTE format('CREATE TABLE %I.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   p_schema, part, p_schema, p_table);
    -- The CHECK lets ATTACH PARTITION skip its validation scan; COPY checks each row.
    EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN load_no SET DEFAULT %s, '
                   'ALTER COLUMN run_id SET DEFAULT %L, ADD CONSTRAINT %I CHECK (load_no = %s)',
                   p_schema, part, p_load, p_run, part || '_load', p_load);
    RETURN part;
END
$fn$;

-- Attach TABLE_lLOAD as TABLE's partition for load_no = LOAD (builds the partitioned indexes
-- on it). Not visible through the views until `published` names the load.
CREATE OR REPLACE FUNCTION @schema@.lr_attach_table(p_schema text, p_table text, p_load bigint)
RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
    part text := p_table || '_l' || p_load;
BEGIN
    EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN load_no DROP DEFAULT, '
                   'ALTER COLUMN run_id DROP DEFAULT',
                   p_schema, part);
    EXECUTE format('ALTER TABLE %I.%I ATTACH PARTITION %I.%I FOR VALUES IN (%s)',
                   p_schema, p_table, p_schema, part, p_load);
    EXECUTE format('ANALYZE %I.%I', p_schema, part);
END
$fn$;

-- Drop every table of a load and forget it.
CREATE OR REPLACE FUNCTION @schema@.lr_drop_load(p_schema text, p_load bigint)
RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['parcels', 'issues', 'register_only', 'lineage', 'findings',
                             'tax_extract_rows'] LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I.%I', p_schema, t || '_l' || p_load);
    END LOOP;
    DELETE FROM @schema@.loads WHERE load_no = p_load;
END
$fn$;

-- Drop loads no run points at (a re-run's replaced load, a load whose publish never happened)
-- and apply retention: keep the rows of the newest p_keep published runs (the published one
-- included; 0 keeps all); older runs stay in `runs` as expired. Returns the loads dropped.
CREATE OR REPLACE FUNCTION @schema@.lr_cleanup(p_schema text, p_keep integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN SELECT d.load_no FROM @schema@.loads AS d
             WHERE NOT EXISTS (SELECT 1 FROM @schema@.runs AS u WHERE u.load_no = d.load_no)
               AND d.load_no <> coalesce((SELECT p.load_no FROM @schema@.published AS p), -1)
             ORDER BY d.load_no LOOP
        PERFORM @schema@.lr_drop_load(p_schema, r.load_no);
        n := n + 1;
    END LOOP;
    IF p_keep > 0 THEN
        FOR r IN SELECT u.run_id, u.load_no FROM @schema@.runs AS u
                 WHERE u.load_no IS NOT NULL AND u.status = 'superseded'
                 ORDER BY u.published_at DESC, u.run_id DESC
                 OFFSET p_keep - 1 LOOP
            PERFORM @schema@.lr_drop_load(p_schema, r.load_no);
            UPDATE @schema@.runs SET status = 'expired', load_no = NULL WHERE run_id = r.run_id;
            n := n + 1;
        END LOOP;
    END IF;
    RETURN n;
END
$fn$;
