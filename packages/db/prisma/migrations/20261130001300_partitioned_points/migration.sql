-- kpi_data_points partitioned by time (issue 14, "Partitions and size"): one partition per UTC
-- month, so that vacuum and index sizes stay bounded as history grows and a retention window drops
-- whole months instead of deleting rows one by one.
--
-- Layout: the parent stays public.kpi_data_points (what every query, policy, grant and trigger
-- names, and what Prisma models); its partitions live in schema kpi_points, which Prisma does not
-- manage (its diff sees only the parent) and on which the runtime roles have no privilege at all.
-- Row-level security and privileges are checked on the parent only when a query goes through the
-- parent: a partition reached directly would bypass both, so nobody but the owner may reach one.
--
--   kpi_points.kpi_data_points_YYYY_MM   [first instant of the month, first of the next), UTC
--   kpi_points.kpi_data_points_default   everything else (an import of 2012, a point far ahead),
--                                        so that no insert ever fails for want of a partition
--
-- app.maintain_point_partitions (the worker calls it at start and daily) creates the months ahead,
-- moves rows that landed in the default partition into months of their own, and, with a retention
-- window, drops the months before it together with their rollups.
--
-- PostgreSQL requires the partition key in every unique key: the primary key becomes
-- (workspace_id, id, "timestamp"). The unique (workspace_id, kpi_id, "timestamp", source) has it already.

CREATE SCHEMA IF NOT EXISTS kpi_points;
REVOKE ALL ON SCHEMA kpi_points FROM PUBLIC;

-- 1. The old table steps aside (the names of its indexes and statistics are schema-wide), and the
--    partitioned parent takes its place under the same names.
ALTER TABLE kpi_data_points RENAME TO kpi_data_points_unpartitioned;
ALTER INDEX kpi_data_points_pkey RENAME TO kpi_data_points_unpartitioned_pkey;
ALTER INDEX kpi_data_points_series_idx RENAME TO kpi_data_points_unpartitioned_series_idx;
ALTER INDEX kpi_data_points_workspace_id_kpi_id_timestamp_source_key
  RENAME TO kpi_data_points_unpartitioned_unique;
DROP STATISTICS IF EXISTS kpi_data_points_kpi_workspace;

CREATE TABLE "kpi_data_points" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "kpi_id" UUID NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "timestamp" TIMESTAMPTZ(6) NOT NULL,
    "source" "DataPointSource" NOT NULL DEFAULT 'MANUAL',
    "integration_id" UUID,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "kpi_data_points_pkey" PRIMARY KEY ("workspace_id","id","timestamp")
) PARTITION BY RANGE ("timestamp");

CREATE INDEX "kpi_data_points_series_idx" ON "kpi_data_points"("kpi_id", "timestamp" DESC, "workspace_id", "value");
CREATE UNIQUE INDEX "kpi_data_points_workspace_id_kpi_id_timestamp_source_key" ON "kpi_data_points"("workspace_id", "kpi_id", "timestamp", "source");
ALTER TABLE "kpi_data_points" ADD CONSTRAINT "kpi_data_points_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE RESTRICT;
ALTER TABLE "kpi_data_points" ADD CONSTRAINT "kpi_data_points_workspace_id_kpi_id_fkey" FOREIGN KEY ("workspace_id", "kpi_id") REFERENCES "kpis"("workspace_id", "id") ON DELETE NO ACTION ON UPDATE RESTRICT;
ALTER TABLE kpi_data_points
  ADD CONSTRAINT kpi_data_points_value_finite CHECK (value NOT IN ('NaN', 'Infinity', '-Infinity')),
  ADD CONSTRAINT kpi_data_points_integration_source CHECK ((source = 'INTEGRATION') = (integration_id IS NOT NULL));
CREATE STATISTICS IF NOT EXISTS kpi_data_points_kpi_workspace (dependencies) ON kpi_id, workspace_id FROM kpi_data_points;

CREATE TABLE kpi_points.kpi_data_points_default PARTITION OF kpi_data_points DEFAULT;
REVOKE ALL ON kpi_points.kpi_data_points_default FROM PUBLIC;

-- 2. One month's partition: created as a table of its own and then attached, which takes SHARE
--    UPDATE EXCLUSIVE on the parent (reads and writes go on) where CREATE TABLE ... PARTITION OF
--    would take ACCESS EXCLUSIVE. Rows of the month already in the default partition are moved in
--    first, partition to partition: the parent's statement triggers (current values, rollups) do
--    not fire, and need not, since the rows stay the same rows of the parent. Attaching scans the
--    default partition under ACCESS EXCLUSIVE to prove none is left there; it is kept small.
--    Returns the rows moved, or NULL when the month had its partition already.
CREATE OR REPLACE FUNCTION app_private.kpi_points_create_month(month timestamptz) RETURNS bigint
  LANGUAGE plpgsql SET search_path = ''
AS $$
DECLARE
  lower_bound timestamptz := date_trunc('month', month, 'UTC');
  upper_bound timestamptz := (date_trunc('month', month, 'UTC') AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
  partition_name text := 'kpi_data_points_' || to_char(date_trunc('month', month, 'UTC') AT TIME ZONE 'UTC', 'YYYY_MM');
  moved bigint;
BEGIN
  IF to_regclass(format('kpi_points.%I', partition_name)) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  -- Every lock ATTACH takes, up front and in one order: the parent; the referenced tables (the
  -- partition's foreign keys are added, which blocks their writers until commit); then the default
  -- partition. A writer that updated a KPI and then inserts a point bound for the default
  -- partition would otherwise deadlock with this.
  LOCK TABLE ONLY public.kpi_data_points IN SHARE UPDATE EXCLUSIVE MODE;
  LOCK TABLE public.workspaces, public.kpis IN SHARE ROW EXCLUSIVE MODE;
  LOCK TABLE kpi_points.kpi_data_points_default IN ACCESS EXCLUSIVE MODE;
  EXECUTE format('CREATE TABLE kpi_points.%I (LIKE public.kpi_data_points INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                 partition_name);
  EXECUTE format('REVOKE ALL ON kpi_points.%I FROM PUBLIC', partition_name);
  EXECUTE format('WITH moved AS (DELETE FROM kpi_points.kpi_data_points_default AS d
                                  WHERE d."timestamp" >= $1 AND d."timestamp" < $2 RETURNING d.*)
                  INSERT INTO kpi_points.%I SELECT * FROM moved', partition_name)
    USING lower_bound, upper_bound;
  GET DIAGNOSTICS moved = ROW_COUNT;
  -- The bound as a CHECK first: ATTACH then skips scanning the new partition's rows.
  EXECUTE format('ALTER TABLE kpi_points.%I ADD CONSTRAINT %I CHECK ("timestamp" >= %L AND "timestamp" < %L)',
                 partition_name, partition_name || '_bound', lower_bound, upper_bound);
  EXECUTE format('ALTER TABLE public.kpi_data_points ATTACH PARTITION kpi_points.%I FOR VALUES FROM (%L) TO (%L)',
                 partition_name, lower_bound, upper_bound);
  EXECUTE format('ALTER TABLE kpi_points.%I DROP CONSTRAINT %I', partition_name, partition_name || '_bound');
  RETURN moved;
END
$$;
REVOKE ALL ON FUNCTION app_private.kpi_points_create_month(timestamptz) FROM PUBLIC;

-- Every month from `first` through `last` (the owner's bulk loads create their range up front, so
-- their rows never pass through the default partition). Returns the partitions created. Under the
-- same transaction-scoped advisory lock as app.maintain_point_partitions (which calls this with
-- it held: advisory locks are re-entrant): two bulk loads at once would otherwise both see a month
-- missing, and the second CREATE TABLE would fail.
CREATE OR REPLACE FUNCTION app_private.kpi_points_create_months(first timestamptz, last timestamptz) RETURNS integer
  LANGUAGE plpgsql SET search_path = ''
AS $$
DECLARE
  month timestamptz;
  created integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('kpi_points:maintain', 0));
  FOR month IN
    SELECT m AT TIME ZONE 'UTC'
      FROM generate_series(date_trunc('month', first, 'UTC') AT TIME ZONE 'UTC',
                           date_trunc('month', last, 'UTC') AT TIME ZONE 'UTC', interval '1 month') AS m
  LOOP
    IF app_private.kpi_points_create_month(month) IS NOT NULL THEN
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END
$$;
REVOKE ALL ON FUNCTION app_private.kpi_points_create_months(timestamptz, timestamptz) FROM PUBLIC;

-- Retention's half of the rollups: the rows of the time before `cutoff` (a UTC month start) go,
-- and a local day that straddles it is recomputed from the points that remain. Owned by the
-- definer, the only role that writes rollups (it bypasses their forced row-level security).
CREATE OR REPLACE FUNCTION app_private.kpi_rollups_forget_before(cutoff timestamptz) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  hourly bigint;
  daily bigint;
BEGIN
  -- Hours are UTC hours: none straddles a UTC month start.
  DELETE FROM public.kpi_rollups_hourly AS r WHERE r.bucket_start < cutoff;
  GET DIAGNOSTICS hourly = ROW_COUNT;
  DELETE FROM public.kpi_rollups_daily AS r WHERE r.bucket_end <= cutoff;
  GET DIAGNOSTICS daily = ROW_COUNT;
  PERFORM app_private.kpi_rollups_recompute(array_agg(r.workspace_id), array_agg(r.kpi_id), array_agg(cutoff))
     FROM public.kpi_rollups_daily AS r
    WHERE r.bucket_start < cutoff AND r.bucket_end > cutoff
   HAVING count(*) > 0;
  RETURN hourly + daily;
END
$$;
ALTER FUNCTION app_private.kpi_rollups_forget_before(timestamptz) OWNER TO northstar_definer;
REVOKE ALL ON FUNCTION app_private.kpi_rollups_forget_before(timestamptz) FROM PUBLIC;

-- 3. The daily maintenance: months ahead, rows out of the default partition, and retention.
--    SECURITY DEFINER as the owner of the partitions (the migration role), for the worker alone.
--    One at a time (a transaction-scoped advisory lock): a second caller waits, then finds the
--    work done. Returns counts only.
CREATE OR REPLACE FUNCTION app.maintain_point_partitions(months_ahead integer, retention_months integer,
  OUT created integer, OUT moved bigint, OUT dropped integer, OUT dropped_points bigint, OUT dropped_rollups bigint)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  this_month timestamptz := date_trunc('month', now(), 'UTC');
  cutoff timestamptz;
  month timestamptz;
  rows_moved bigint;
  expired record;
  points bigint;
BEGIN
  IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
    RAISE EXCEPTION 'months_ahead must be 0 to 120, got %', months_ahead USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF retention_months IS NOT NULL AND retention_months < 1 THEN
    RAISE EXCEPTION 'retention_months must be at least 1, got %', retention_months USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('kpi_points:maintain', 0));
  created := 0; moved := 0; dropped := 0; dropped_points := 0; dropped_rollups := 0;

  -- Retention first, so that old rows in the default partition are not moved only to be dropped.
  -- Dropping a partition takes ACCESS EXCLUSIVE on the parent until commit: brief, once a month.
  IF retention_months IS NOT NULL THEN
    cutoff := (this_month AT TIME ZONE 'UTC' - make_interval(months => retention_months)) AT TIME ZONE 'UTC';
    FOR expired IN
      SELECT c.relname AS name
        FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
       WHERE i.inhparent = 'public.kpi_data_points'::regclass AND n.nspname = 'kpi_points'
         AND c.relname ~ '^kpi_data_points_[0-9]{4}_[0-9]{2}$'
         AND make_timestamptz(substr(c.relname, 17, 4)::int, substr(c.relname, 22, 2)::int, 1, 0, 0, 0, 'UTC') < cutoff
       ORDER BY 1
    LOOP
      EXECUTE format('SELECT count(*) FROM kpi_points.%I', expired.name) INTO points;
      EXECUTE format('DROP TABLE kpi_points.%I', expired.name);
      dropped := dropped + 1;
      dropped_points := dropped_points + points;
    END LOOP;
    DELETE FROM kpi_points.kpi_data_points_default AS d WHERE d."timestamp" < cutoff;
    GET DIAGNOSTICS points = ROW_COUNT;
    dropped_points := dropped_points + points;
    IF dropped > 0 OR points > 0 THEN
      dropped_rollups := app_private.kpi_rollups_forget_before(cutoff);
    END IF;
  END IF;

  -- Months of the rows that landed in the default partition (a point outside years 1000 to 9998
  -- stays there), then this month and the months ahead.
  FOR month IN
    SELECT DISTINCT date_trunc('month', d."timestamp", 'UTC')
      FROM kpi_points.kpi_data_points_default AS d
     WHERE d."timestamp" >= '1000-01-01 00:00Z' AND d."timestamp" < '9999-01-01 00:00Z'
     UNION
    SELECT (this_month AT TIME ZONE 'UTC' + make_interval(months => ahead)) AT TIME ZONE 'UTC'
      FROM generate_series(0, months_ahead) AS ahead
     ORDER BY 1
  LOOP
    rows_moved := app_private.kpi_points_create_month(month);
    IF rows_moved IS NOT NULL THEN
      created := created + 1;
      moved := moved + rows_moved;
    END IF;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION app.maintain_point_partitions(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.maintain_point_partitions(integer, integer) TO northstar_worker;
-- The maintenance (owned by the migration role) calls the definer's function.
DO $$
BEGIN
  EXECUTE format('GRANT EXECUTE ON FUNCTION app_private.kpi_rollups_forget_before(timestamptz) TO %I', current_user);
END
$$;

-- 4. The months that hold points, and this month and three ahead, then the rows. No trigger is on
--    the parent yet: current values and rollups already describe exactly these rows.
SELECT app_private.kpi_points_create_month(m)
  FROM (SELECT DISTINCT date_trunc('month', p."timestamp", 'UTC') AS m FROM kpi_data_points_unpartitioned AS p
         WHERE p."timestamp" >= '1000-01-01 00:00Z' AND p."timestamp" < '9999-01-01 00:00Z') AS months;
SELECT app_private.kpi_points_create_months(now(), now() + interval '3 months');
INSERT INTO kpi_data_points (id, workspace_id, kpi_id, value, "timestamp", source, integration_id, created_at)
SELECT id, workspace_id, kpi_id, value, "timestamp", source, integration_id, created_at
  FROM kpi_data_points_unpartitioned;

-- 5. What hung on the old table, carried over as it was: grants (table and column), policies and
--    user triggers (current values, rollups). Copied from the catalog so that nothing is missed.
DO $$
DECLARE
  item record;
BEGIN
  FOR item IN
    SELECT a.privilege_type, a.grantee::regrole::text AS grantee
      FROM pg_class AS c, aclexplode(c.relacl) AS a
     WHERE c.oid = 'kpi_data_points_unpartitioned'::regclass AND a.grantee <> c.relowner AND a.grantee <> 0
  LOOP
    EXECUTE format('GRANT %s ON kpi_data_points TO %s', item.privilege_type, item.grantee);
  END LOOP;
  FOR item IN
    SELECT a.privilege_type, a.grantee::regrole::text AS grantee, att.attname
      FROM pg_attribute AS att, aclexplode(att.attacl) AS a
     WHERE att.attrelid = 'kpi_data_points_unpartitioned'::regclass AND att.attnum > 0 AND NOT att.attisdropped
       AND a.grantee <> 0
  LOOP
    EXECUTE format('GRANT %s (%I) ON kpi_data_points TO %s', item.privilege_type, item.attname, item.grantee);
  END LOOP;
  FOR item IN
    SELECT policyname, permissive, roles, cmd, qual, with_check
      FROM pg_policies WHERE schemaname = 'public' AND tablename = 'kpi_data_points_unpartitioned'
  LOOP
    EXECUTE format('CREATE POLICY %I ON kpi_data_points AS %s FOR %s TO %s%s%s', item.policyname, item.permissive,
                   item.cmd, (SELECT string_agg(quote_ident(r), ', ') FROM unnest(item.roles) AS r),
                   CASE WHEN item.qual IS NOT NULL THEN ' USING (' || item.qual || ')' ELSE '' END,
                   CASE WHEN item.with_check IS NOT NULL THEN ' WITH CHECK (' || item.with_check || ')' ELSE '' END);
  END LOOP;
  FOR item IN
    SELECT pg_get_triggerdef(t.oid) AS definition
      FROM pg_trigger AS t WHERE t.tgrelid = 'kpi_data_points_unpartitioned'::regclass AND NOT t.tgisinternal
  LOOP
    EXECUTE regexp_replace(item.definition, ' ON (public\.)?kpi_data_points_unpartitioned ', ' ON public.kpi_data_points ');
  END LOOP;
END
$$;
ALTER TABLE kpi_data_points ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

DROP TABLE kpi_data_points_unpartitioned;
ANALYZE kpi_data_points;
