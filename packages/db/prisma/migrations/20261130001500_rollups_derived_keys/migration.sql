-- Rollup rows without a foreign key to their KPI (issue 14, ingest). Measured with the functions'
-- own timers (track_functions) over the ingest benchmark's 432,000 points: the rollup trigger took
-- 9.4 of the generator's 20.1 s, and 3.6 s of that was the foreign-key check of each rollup row
-- it wrote (one lookup in kpis per row: about 100,000 hourly rows per 100,000-point batch of
-- hourly data). The data versions' bump, for comparison, took 0.12 s.
--
-- The key was checking what is already true: a rollup row is written only by the definer's
-- functions, from points, and each point's KPI is checked by the points' own foreign key (which
-- also holds the KPI row against deletion until the writer commits). What the key still did is
-- the cascade, and that is now a trigger on kpis: before a KPI row goes, its rollup rows go.
--
-- A workspace's deletion (the one way the product deletes KPIs; a KPI with points cannot be
-- deleted alone) first takes the workspace's rollup lock, shared, before it locks any row of the
-- workspace: a rebuild, which holds that lock exclusively, then finishes first, and one that
-- starts later reads the points after they are gone. Taken any later, it closed a cycle: the
-- deletion held a KPI's row while waiting for the lock, and the rebuild, bumping the KPI's
-- version a second time in its transaction, waited for that row in the version's foreign-key
-- check (found in review; rollups-concurrency.test.ts reproduces it).

ALTER TABLE "kpi_rollups_hourly" DROP CONSTRAINT "kpi_rollups_hourly_workspace_id_kpi_id_fkey";
ALTER TABLE "kpi_rollups_daily" DROP CONSTRAINT "kpi_rollups_daily_workspace_id_kpi_id_fkey";

CREATE OR REPLACE FUNCTION app_private.kpi_rollups_kpi_deleting() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  DELETE FROM public.kpi_rollups_hourly AS r WHERE r.workspace_id = OLD.workspace_id AND r.kpi_id = OLD.id;
  DELETE FROM public.kpi_rollups_daily AS r WHERE r.workspace_id = OLD.workspace_id AND r.kpi_id = OLD.id;
  RETURN OLD;
END
$$;

-- Also for the KPIs a workspace's deletion cascades to (the cascade deletes them row by row).
CREATE TRIGGER kpi_rollups_kpi_deleting BEFORE DELETE ON kpis
  FOR EACH ROW EXECUTE FUNCTION app_private.kpi_rollups_kpi_deleting();

CREATE OR REPLACE FUNCTION app_private.kpi_rollups_workspace_deleting() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(app_private.kpi_rollups_lock_key(OLD.id));
  RETURN OLD;
END
$$;

CREATE TRIGGER kpi_rollups_workspace_deleting BEFORE DELETE ON workspaces
  FOR EACH ROW EXECUTE FUNCTION app_private.kpi_rollups_workspace_deleting();

ALTER FUNCTION app_private.kpi_rollups_kpi_deleting() OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_rollups_workspace_deleting() OWNER TO northstar_definer;
REVOKE ALL ON FUNCTION app_private.kpi_rollups_kpi_deleting(), app_private.kpi_rollups_workspace_deleting() FROM PUBLIC;
-- Triggers fire as the writer: whoever may delete a KPI or a workspace.
GRANT EXECUTE ON FUNCTION app_private.kpi_rollups_kpi_deleting(), app_private.kpi_rollups_workspace_deleting()
  TO northstar_app, northstar_worker;

-- The data versions' upsert, once: both bump triggers (migration 20261130001400) call it. In
-- (workspace_id, kpi_id) order, the order every writer locks version rows in; KPIs being deleted
-- get none (their row goes by cascade).
CREATE OR REPLACE FUNCTION app_private.kpi_data_versions_bump(workspaces uuid[], kpis uuid[]) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = ''
AS $$
  INSERT INTO public.kpi_data_versions AS v (workspace_id, kpi_id, version)
  SELECT c.w, c.k, nextval('app_private.kpi_data_version')
    FROM (SELECT DISTINCT u.w, u.k FROM unnest(workspaces, kpis) AS u(w, k)
           WHERE EXISTS (SELECT FROM public.kpis AS k WHERE k.workspace_id = u.w AND k.id = u.k)
           ORDER BY 1, 2) AS c
  ON CONFLICT (workspace_id, kpi_id) DO UPDATE SET version = excluded.version;
$$;
ALTER FUNCTION app_private.kpi_data_versions_bump(uuid[], uuid[]) OWNER TO northstar_definer;
REVOKE ALL ON FUNCTION app_private.kpi_data_versions_bump(uuid[], uuid[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION app_private.kpi_data_versions_bumped() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM app_private.kpi_data_versions_bump(array_agg(c.workspace_id), array_agg(c.kpi_id))
       FROM (SELECT DISTINCT o.workspace_id, o.kpi_id FROM old_rows AS o) AS c HAVING count(*) > 0;
  ELSE
    -- An update moves no row to another KPI (the primary key holds it), so the new rows name them all.
    PERFORM app_private.kpi_data_versions_bump(array_agg(c.workspace_id), array_agg(c.kpi_id))
       FROM (SELECT DISTINCT n.workspace_id, n.kpi_id FROM new_rows AS n) AS c HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION app_private.kpi_data_versions_points() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  workspaces uuid[];
  kpis uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(c.workspace_id), array_agg(c.kpi_id)
      INTO workspaces, kpis FROM (SELECT DISTINCT n.workspace_id, n.kpi_id FROM new_points AS n) AS c;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(c.workspace_id), array_agg(c.kpi_id)
      INTO workspaces, kpis
      FROM (SELECT o.workspace_id, o.kpi_id FROM old_points AS o UNION SELECT n.workspace_id, n.kpi_id FROM new_points AS n) AS c;
  ELSE
    SELECT array_agg(c.workspace_id), array_agg(c.kpi_id)
      INTO workspaces, kpis FROM (SELECT DISTINCT o.workspace_id, o.kpi_id FROM old_points AS o) AS c;
  END IF;
  IF workspaces IS NULL THEN
    RETURN NULL;
  END IF;
  -- The rollup triggers take this lock next anyway; taken first, a rebuild (which holds it
  -- exclusively, then writes daily rows and so versions) never waits for a version row held here.
  PERFORM pg_advisory_xact_lock_shared(app_private.kpi_rollups_lock_key(w.workspace_id))
     FROM (SELECT DISTINCT u.w AS workspace_id FROM unnest(workspaces) AS u(w) ORDER BY 1) AS w;
  PERFORM app_private.kpi_data_versions_bump(workspaces, kpis);
  RETURN NULL;
END
$$;
