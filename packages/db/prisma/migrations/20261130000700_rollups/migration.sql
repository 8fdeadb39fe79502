-- Rollups (issue 14): pre-aggregated buckets of each KPI's points, so that a chart reads one row per
-- hour or day instead of every point behind it (src/rollups.ts reads them).
--
-- Two levels. Hourly rows are UTC hours: they serve any bucketing whose edges fall on whole hours,
-- which is every whole-hour-offset time zone. Daily rows are days in the workspace's time zone,
-- and each row carries its own [bucket_start, bucket_end) (and, to spare readers that ask for days
-- in that zone the calendar arithmetic, the zone's name): a row is the exact aggregate of that
-- interval whatever the zone, and a reader uses a row only when the interval lies inside one of
-- its buckets. When the workspace's zone changes, its daily rows are rebuilt in the new zone in the
-- same transaction, so at any snapshot every point lies in exactly one daily row.
--
-- Each row holds what every aggregation needs: sum (numeric, so that it does not depend on the
-- order points were added in), count, min, max and the last value with its instant (of points at
-- the same instant the smallest value is "last", as src/series.ts decides).
--
-- Written only by the SECURITY DEFINER trigger functions below (owned by northstar_definer, empty
-- search_path): the app and the worker read, through the same membership policies as
-- kpi_data_points. Exact under concurrency:
-- - inserts (and COPY) merge their statement's aggregates with INSERT ... ON CONFLICT DO UPDATE,
--   whose row lock serialises writers of the same bucket and never loses an addition;
-- - updates and deletes recompute only the touched buckets from the raw points, after locking those
--   rows: the recomputation is a later statement, so its snapshot includes every writer that held
--   the lock before (READ COMMITTED takes a snapshot per statement; under REPEATABLE READ a
--   concurrent writer makes it fail with a serialization error instead of losing anything);
-- - a zone change or a rebuild takes a per-workspace advisory lock exclusively, the point triggers
--   take it shared: a rebuild waits for writers in flight and writers wait for the rebuild, so
--   neither misses the other's points.

-- CreateTable
CREATE TABLE "kpi_rollups_hourly" (
    "workspace_id" UUID NOT NULL,
    "kpi_id" UUID NOT NULL,
    "bucket_start" TIMESTAMPTZ(6) NOT NULL,
    "sum" DECIMAL NOT NULL,
    "count" INTEGER NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "last_at" TIMESTAMPTZ(6) NOT NULL,
    "last_value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "kpi_rollups_hourly_pkey" PRIMARY KEY ("workspace_id","kpi_id","bucket_start")
);

-- CreateTable
CREATE TABLE "kpi_rollups_daily" (
    "workspace_id" UUID NOT NULL,
    "kpi_id" UUID NOT NULL,
    "bucket_start" TIMESTAMPTZ(6) NOT NULL,
    "bucket_end" TIMESTAMPTZ(6) NOT NULL,
    "time_zone" VARCHAR(64) NOT NULL,
    "sum" DECIMAL NOT NULL,
    "count" INTEGER NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "last_at" TIMESTAMPTZ(6) NOT NULL,
    "last_value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "kpi_rollups_daily_pkey" PRIMARY KEY ("workspace_id","kpi_id","bucket_start")
);

-- AddForeignKey
ALTER TABLE "kpi_rollups_hourly" ADD CONSTRAINT "kpi_rollups_hourly_workspace_id_kpi_id_fkey" FOREIGN KEY ("workspace_id", "kpi_id") REFERENCES "kpis"("workspace_id", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "kpi_rollups_daily" ADD CONSTRAINT "kpi_rollups_daily_workspace_id_kpi_id_fkey" FOREIGN KEY ("workspace_id", "kpi_id") REFERENCES "kpis"("workspace_id", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

ALTER TABLE kpi_rollups_hourly
  ADD CONSTRAINT kpi_rollups_hourly_whole_hour CHECK (bucket_start = date_trunc('hour', bucket_start, 'UTC')),
  ADD CONSTRAINT kpi_rollups_hourly_not_empty CHECK (count > 0 OR last_at = '-infinity');
ALTER TABLE kpi_rollups_daily
  ADD CONSTRAINT kpi_rollups_daily_interval CHECK (bucket_end > bucket_start),
  ADD CONSTRAINT kpi_rollups_daily_not_empty CHECK (count > 0 OR last_at = '-infinity');

-- Row-level security: members read, like kpi_data_points; the worker reads its context workspace.
-- No role but the definer writes (no grant, no write policy).
ALTER TABLE kpi_rollups_hourly ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE kpi_rollups_daily ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY kpi_rollups_hourly_select ON kpi_rollups_hourly FOR SELECT TO northstar_app
  USING (workspace_id = (SELECT app.member_workspace_id()));
CREATE POLICY kpi_rollups_daily_select ON kpi_rollups_daily FOR SELECT TO northstar_app
  USING (workspace_id = (SELECT app.member_workspace_id()));
CREATE POLICY kpi_rollups_hourly_worker ON kpi_rollups_hourly FOR SELECT TO northstar_worker
  USING (workspace_id = (SELECT app.current_workspace_id()));
CREATE POLICY kpi_rollups_daily_worker ON kpi_rollups_daily FOR SELECT TO northstar_worker
  USING (workspace_id = (SELECT app.current_workspace_id()));
GRANT SELECT ON kpi_rollups_hourly, kpi_rollups_daily TO northstar_app, northstar_worker;

-- What the definer's functions read and write.
GRANT SELECT, INSERT, UPDATE, DELETE ON kpi_rollups_hourly, kpi_rollups_daily TO northstar_definer;
GRANT SELECT (workspace_id, kpi_id, value, "timestamp") ON kpi_data_points TO northstar_definer;
GRANT SELECT (workspace_id, id) ON kpis TO northstar_definer;
GRANT SELECT (id, time_zone) ON workspaces TO northstar_definer;

-- A point's writers hold this lock shared; a zone change or a rebuild holds it exclusively.
CREATE OR REPLACE FUNCTION app_private.kpi_rollups_lock_key(workspace uuid) RETURNS bigint
  LANGUAGE sql IMMUTABLE SET search_path = ''
AS $$
  SELECT hashtextextended('kpi_rollups_zone:' || workspace::text, 0)
$$;

-- New points: each statement's aggregates per bucket, merged into the stored rows. One pass over
-- the points: aggregates per fragment (the part of a UTC hour inside one local day: the whole hour
-- in a whole-hour-offset zone), then merged into days and into hours. The sorts give writers the
-- same lock order within each table; the row locks, not the order, are what keeps every addition.
CREATE OR REPLACE FUNCTION app_private.kpi_rollups_inserted() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(app_private.kpi_rollups_lock_key(w.workspace_id))
     FROM (SELECT DISTINCT n.workspace_id FROM new_points AS n ORDER BY 1) AS w;

  -- The zone is read after the lock above, in this statement's own snapshot. The daily upsert is a
  -- data-modifying WITH that the main statement does not read: PostgreSQL runs it after the hourly
  -- one (the order is not documented; another order could only end in a deadlock error, which
  -- aborts one writer, never in a lost addition).
  WITH fragments AS MATERIALIZED (
    SELECT n.workspace_id, n.kpi_id, date_trunc('hour', n."timestamp", 'UTC') AS hour,
           date_trunc('day', n."timestamp", w.time_zone) AS day, w.time_zone AS zone,
           sum(n.value::numeric) AS sum, count(*) AS count, min(n.value) AS min, max(n.value) AS max,
           max(n."timestamp") AS last_at, (min(ARRAY[-date_part('epoch', n."timestamp"), n.value]))[2] AS last_value
      FROM new_points AS n JOIN public.workspaces AS w ON w.id = n.workspace_id
     GROUP BY 1, 2, 3, 4, 5
  ), daily AS (
    INSERT INTO public.kpi_rollups_daily AS r (workspace_id, kpi_id, bucket_start, bucket_end, time_zone, sum, count,
                                               min, max, last_at, last_value)
    SELECT f.workspace_id, f.kpi_id, f.day, (f.day AT TIME ZONE f.zone + interval '1 day') AT TIME ZONE f.zone, f.zone,
           sum(f.sum), sum(f.count), min(f.min), max(f.max), max(f.last_at),
           (min(ARRAY[-date_part('epoch', f.last_at), f.last_value]))[2]
      FROM fragments AS f
     GROUP BY f.workspace_id, f.kpi_id, f.day, f.zone
     ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, kpi_id, bucket_start) DO UPDATE SET
      sum = r.sum + excluded.sum,
      count = r.count + excluded.count,
      min = least(r.min, excluded.min),
      max = greatest(r.max, excluded.max),
      last_at = greatest(r.last_at, excluded.last_at),
      last_value = CASE WHEN excluded.last_at > r.last_at THEN excluded.last_value
                        WHEN excluded.last_at < r.last_at THEN r.last_value
                        ELSE least(r.last_value, excluded.last_value) END
  )
  INSERT INTO public.kpi_rollups_hourly AS r (workspace_id, kpi_id, bucket_start, sum, count, min, max, last_at, last_value)
  SELECT f.workspace_id, f.kpi_id, f.hour, sum(f.sum), sum(f.count), min(f.min), max(f.max), max(f.last_at),
         (min(ARRAY[-date_part('epoch', f.last_at), f.last_value]))[2]
    FROM fragments AS f
   GROUP BY 1, 2, 3
   ORDER BY 1, 2, 3
  ON CONFLICT (workspace_id, kpi_id, bucket_start) DO UPDATE SET
    sum = r.sum + excluded.sum,
    count = r.count + excluded.count,
    min = least(r.min, excluded.min),
    max = greatest(r.max, excluded.max),
    last_at = greatest(r.last_at, excluded.last_at),
    last_value = CASE WHEN excluded.last_at > r.last_at THEN excluded.last_value
                      WHEN excluded.last_at < r.last_at THEN r.last_value
                      ELSE least(r.last_value, excluded.last_value) END;
  RETURN NULL;
END
$$;

-- Updated or deleted points: the buckets they were in (and, for an update, are in now) are
-- recomputed from the raw points. A bucket that has no row yet gets a placeholder first (count 0,
-- neutral min, max and last), so that it too is locked before the recomputation reads.
CREATE OR REPLACE FUNCTION app_private.kpi_rollups_recompute(point_workspaces uuid[], point_kpis uuid[],
                                                             point_times timestamptz[]) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  wanted integer;
  locked integer;
  attempt integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(app_private.kpi_rollups_lock_key(w.workspace_id))
     FROM (SELECT DISTINCT p.w AS workspace_id FROM unnest(point_workspaces) AS p(w) ORDER BY 1) AS w;

  -- Hourly.
  LOOP
    attempt := attempt + 1;
    INSERT INTO public.kpi_rollups_hourly (workspace_id, kpi_id, bucket_start, sum, count, min, max, last_at, last_value)
    SELECT DISTINCT p.w, p.k, date_trunc('hour', p.t, 'UTC'), 0, 0, 'Infinity'::float8, '-Infinity'::float8,
           '-infinity'::timestamptz, 'Infinity'::float8
      FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t)
      JOIN public.kpis AS k ON k.workspace_id = p.w AND k.id = p.k
     ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    SELECT count(*) INTO wanted FROM (
      SELECT DISTINCT p.w, p.k, date_trunc('hour', p.t, 'UTC')
        FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t)
        JOIN public.kpis AS k ON k.workspace_id = p.w AND k.id = p.k) AS keys;
    SELECT count(*) INTO locked FROM (
      SELECT 1 FROM public.kpi_rollups_hourly AS r
       WHERE (r.workspace_id, r.kpi_id, r.bucket_start) IN (
         SELECT p.w, p.k, date_trunc('hour', p.t, 'UTC') FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t))
       ORDER BY r.workspace_id, r.kpi_id, r.bucket_start
         FOR UPDATE) AS rows;
    -- Fewer rows than buckets: a concurrent writer deleted one while this waited for it; again.
    EXIT WHEN locked >= wanted;
    IF attempt >= 100 THEN
      RAISE EXCEPTION 'kpi rollups: could not lock % hourly buckets', wanted USING ERRCODE = 'lock_not_available';
    END IF;
  END LOOP;
  UPDATE public.kpi_rollups_hourly AS r
     SET (sum, count, min, max, last_at, last_value) = (
       SELECT coalesce(sum(p.value::numeric), 0), count(*), coalesce(min(p.value), 'Infinity'),
              coalesce(max(p.value), '-Infinity'), coalesce(max(p."timestamp"), '-infinity'),
              coalesce((min(ARRAY[-date_part('epoch', p."timestamp"), p.value]))[2], 'Infinity')
         FROM public.kpi_data_points AS p
        WHERE p.workspace_id = r.workspace_id AND p.kpi_id = r.kpi_id
          AND p."timestamp" >= r.bucket_start AND p."timestamp" < r.bucket_start + interval '1 hour')
   WHERE (r.workspace_id, r.kpi_id, r.bucket_start) IN (
     SELECT p.w, p.k, date_trunc('hour', p.t, 'UTC') FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t));
  DELETE FROM public.kpi_rollups_hourly AS r
   WHERE r.count = 0 AND (r.workspace_id, r.kpi_id, r.bucket_start) IN (
     SELECT p.w, p.k, date_trunc('hour', p.t, 'UTC') FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t));

  -- Daily, in the workspace's zone (read after the lock above).
  attempt := 0;
  LOOP
    attempt := attempt + 1;
    INSERT INTO public.kpi_rollups_daily (workspace_id, kpi_id, bucket_start, bucket_end, time_zone, sum, count, min,
                                          max, last_at, last_value)
    SELECT DISTINCT p.w, p.k, date_trunc('day', p.t, ws.time_zone),
           (date_trunc('day', p.t, ws.time_zone) AT TIME ZONE ws.time_zone + interval '1 day') AT TIME ZONE ws.time_zone,
           ws.time_zone, 0, 0, 'Infinity'::float8, '-Infinity'::float8, '-infinity'::timestamptz, 'Infinity'::float8
      FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t)
      JOIN public.kpis AS k ON k.workspace_id = p.w AND k.id = p.k
      JOIN public.workspaces AS ws ON ws.id = p.w
     ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    SELECT count(*) INTO wanted FROM (
      SELECT DISTINCT p.w, p.k, date_trunc('day', p.t, ws.time_zone)
        FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t)
        JOIN public.kpis AS k ON k.workspace_id = p.w AND k.id = p.k
        JOIN public.workspaces AS ws ON ws.id = p.w) AS keys;
    SELECT count(*) INTO locked FROM (
      SELECT 1 FROM public.kpi_rollups_daily AS r
       WHERE (r.workspace_id, r.kpi_id, r.bucket_start) IN (
         SELECT p.w, p.k, date_trunc('day', p.t, ws.time_zone)
           FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t)
           JOIN public.workspaces AS ws ON ws.id = p.w)
       ORDER BY r.workspace_id, r.kpi_id, r.bucket_start
         FOR UPDATE OF r) AS rows;
    EXIT WHEN locked >= wanted;
    IF attempt >= 100 THEN
      RAISE EXCEPTION 'kpi rollups: could not lock % daily buckets', wanted USING ERRCODE = 'lock_not_available';
    END IF;
  END LOOP;
  UPDATE public.kpi_rollups_daily AS r
     SET (sum, count, min, max, last_at, last_value) = (
       SELECT coalesce(sum(p.value::numeric), 0), count(*), coalesce(min(p.value), 'Infinity'),
              coalesce(max(p.value), '-Infinity'), coalesce(max(p."timestamp"), '-infinity'),
              coalesce((min(ARRAY[-date_part('epoch', p."timestamp"), p.value]))[2], 'Infinity')
         FROM public.kpi_data_points AS p
        WHERE p.workspace_id = r.workspace_id AND p.kpi_id = r.kpi_id
          AND p."timestamp" >= r.bucket_start AND p."timestamp" < r.bucket_end)
   WHERE (r.workspace_id, r.kpi_id) IN (SELECT p.w, p.k FROM unnest(point_workspaces, point_kpis) AS p(w, k))
     AND EXISTS (SELECT FROM unnest(point_workspaces, point_kpis, point_times) AS p(w, k, t)
                  WHERE p.w = r.workspace_id AND p.k = r.kpi_id AND p.t >= r.bucket_start AND p.t < r.bucket_end);
  DELETE FROM public.kpi_rollups_daily AS r
   WHERE r.count = 0 AND (r.workspace_id, r.kpi_id) IN (SELECT p.w, p.k FROM unnest(point_workspaces, point_kpis) AS p(w, k));
END
$$;

CREATE OR REPLACE FUNCTION app_private.kpi_rollups_updated() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  PERFORM app_private.kpi_rollups_recompute(array_agg(c.workspace_id), array_agg(c.kpi_id), array_agg(c."timestamp"))
     FROM (SELECT o.workspace_id, o.kpi_id, o."timestamp" FROM old_points AS o
           UNION SELECT n.workspace_id, n.kpi_id, n."timestamp" FROM new_points AS n) AS c
   HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION app_private.kpi_rollups_deleted() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  PERFORM app_private.kpi_rollups_recompute(array_agg(o.workspace_id), array_agg(o.kpi_id), array_agg(o."timestamp"))
     FROM old_points AS o
   HAVING count(*) > 0;
  RETURN NULL;
END
$$;

-- Rebuilds a workspace's rollups (or one KPI's) from its raw points: after a bulk load that
-- bypassed the triggers, to repair drift, and for the daily rows when the zone changes. Holds the
-- workspace's lock exclusively: point writers in flight finish first, later ones wait.
CREATE OR REPLACE FUNCTION app_private.kpi_rollups_rebuild(target_workspace uuid, target_kpi uuid, with_hourly boolean)
  RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(app_private.kpi_rollups_lock_key(target_workspace));
  IF with_hourly THEN
    DELETE FROM public.kpi_rollups_hourly AS r
     WHERE r.workspace_id = target_workspace AND (target_kpi IS NULL OR r.kpi_id = target_kpi);
    INSERT INTO public.kpi_rollups_hourly (workspace_id, kpi_id, bucket_start, sum, count, min, max, last_at, last_value)
    SELECT p.workspace_id, p.kpi_id, date_trunc('hour', p."timestamp", 'UTC'),
           sum(p.value::numeric), count(*), min(p.value), max(p.value), max(p."timestamp"),
           (min(ARRAY[-date_part('epoch', p."timestamp"), p.value]))[2]
      FROM public.kpi_data_points AS p
     WHERE p.workspace_id = target_workspace AND (target_kpi IS NULL OR p.kpi_id = target_kpi)
     GROUP BY 1, 2, 3;
  END IF;
  DELETE FROM public.kpi_rollups_daily AS r
   WHERE r.workspace_id = target_workspace AND (target_kpi IS NULL OR r.kpi_id = target_kpi);
  INSERT INTO public.kpi_rollups_daily (workspace_id, kpi_id, bucket_start, bucket_end, time_zone, sum, count, min,
                                        max, last_at, last_value)
  SELECT d.workspace_id, d.kpi_id, d.day, (d.day AT TIME ZONE d.zone + interval '1 day') AT TIME ZONE d.zone, d.zone,
         sum(d.value::numeric), count(*), min(d.value), max(d.value), max(d."timestamp"),
         (min(ARRAY[-date_part('epoch', d."timestamp"), d.value]))[2]
    FROM (SELECT p.workspace_id, p.kpi_id, p.value, p."timestamp", w.time_zone AS zone,
                 date_trunc('day', p."timestamp", w.time_zone) AS day
            FROM public.kpi_data_points AS p JOIN public.workspaces AS w ON w.id = p.workspace_id
           WHERE p.workspace_id = target_workspace AND (target_kpi IS NULL OR p.kpi_id = target_kpi)) AS d
   GROUP BY d.workspace_id, d.kpi_id, d.day, d.zone;
END
$$;

-- A new zone moves every day boundary of the workspace: its daily rows are rebuilt in this
-- transaction (the hourly rows do not depend on the zone).
CREATE OR REPLACE FUNCTION app_private.kpi_rollups_zone_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  PERFORM app_private.kpi_rollups_rebuild(NEW.id, NULL, false);
  RETURN NULL;
END
$$;

-- TRUNCATE removes every point of every workspace, so every rollup row goes with them.
CREATE OR REPLACE FUNCTION app_private.kpi_rollups_truncated() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  DELETE FROM public.kpi_rollups_hourly;
  DELETE FROM public.kpi_rollups_daily;
  RETURN NULL;
END
$$;

CREATE TRIGGER kpi_rollups_inserted AFTER INSERT ON kpi_data_points
  REFERENCING NEW TABLE AS new_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_rollups_inserted();
CREATE TRIGGER kpi_rollups_updated AFTER UPDATE ON kpi_data_points
  REFERENCING OLD TABLE AS old_points NEW TABLE AS new_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_rollups_updated();
CREATE TRIGGER kpi_rollups_deleted AFTER DELETE ON kpi_data_points
  REFERENCING OLD TABLE AS old_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_rollups_deleted();
CREATE TRIGGER kpi_rollups_truncated AFTER TRUNCATE ON kpi_data_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_rollups_truncated();
CREATE TRIGGER kpi_rollups_zone_changed AFTER UPDATE OF time_zone ON workspaces
  FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
  EXECUTE FUNCTION app_private.kpi_rollups_zone_changed();

ALTER FUNCTION app_private.kpi_rollups_lock_key(uuid) OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_rollups_inserted() OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_rollups_recompute(uuid[], uuid[], timestamptz[]) OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_rollups_updated() OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_rollups_deleted() OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_rollups_rebuild(uuid, uuid, boolean) OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_rollups_zone_changed() OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_rollups_truncated() OWNER TO northstar_definer;
REVOKE ALL ON FUNCTION app_private.kpi_rollups_lock_key(uuid), app_private.kpi_rollups_inserted(),
  app_private.kpi_rollups_recompute(uuid[], uuid[], timestamptz[]), app_private.kpi_rollups_updated(),
  app_private.kpi_rollups_deleted(), app_private.kpi_rollups_rebuild(uuid, uuid, boolean),
  app_private.kpi_rollups_zone_changed(), app_private.kpi_rollups_truncated() FROM PUBLIC;
-- Triggers fire as the writer: the trigger functions only (the rebuild is for the owner's tools).
GRANT EXECUTE ON FUNCTION app_private.kpi_rollups_inserted(), app_private.kpi_rollups_updated(),
  app_private.kpi_rollups_deleted(), app_private.kpi_rollups_zone_changed() TO northstar_app, northstar_worker;

-- The points already there.
SELECT app_private.kpi_rollups_rebuild(w.id, NULL, true) FROM workspaces AS w;
