-- The version of each KPI's chart data (issue 14): a number that changes in the transaction of
-- every change to what a chart of the KPI reads, so that a host can keep a chart it has computed
-- and serve it again while the version it reads with the KPI is the same (packages/api
-- src/kpi/chart-cache.ts). Versions come from one sequence: they never repeat, not after a KPI's
-- points are all deleted, nor after a TRUNCATE.
--
-- Bumped by statement triggers in two places:
-- - on kpi_data_points, before any other trigger there (triggers of one event fire in name order,
--   and kpi_data_versions_* sorts before kpi_points_* and kpi_rollups_*): a point writer takes the
--   rollups' workspace lock shared, then its KPIs' version rows in (workspace_id, kpi_id) order,
--   before it touches a kpis or rollup row. Locked any later, the version row closed a cycle: a
--   transaction holding it from one statement waited in its next for a daily row that another
--   writer of the same KPI held while waiting for the version row (a deadlock, found in review).
--   Writers of one KPI are serialised on its version row until they commit;
-- - on kpi_rollups_daily, for the writers of what a chart reads that are not point writes: a
--   rebuild, a zone change, retention, a TRUNCATE's cleanup (each rewrites the KPI's daily rows).
--   For a point writer this second bump meets a row it already holds.
--
-- Operations: a point-in-time restore, or a failover to an asynchronous replica, can hand out
-- numbers the lost timeline already used, so hosts must drop their kept charts (restart) after
-- either; and a load with triggers off (session_replication_role = replica) bumps nothing, so
-- after one, restart the hosts too.
--
-- A KPI with no row has had no data written since this migration: its version reads as NULL,
-- which a later write replaces, so a chart kept under NULL is never served after one.

-- CreateTable
CREATE TABLE "kpi_data_versions" (
    "workspace_id" UUID NOT NULL,
    "kpi_id" UUID NOT NULL,
    "version" BIGINT NOT NULL,

    CONSTRAINT "kpi_data_versions_pkey" PRIMARY KEY ("workspace_id","kpi_id")
);

-- AddForeignKey
ALTER TABLE "kpi_data_versions" ADD CONSTRAINT "kpi_data_versions_workspace_id_kpi_id_fkey" FOREIGN KEY ("workspace_id", "kpi_id") REFERENCES "kpis"("workspace_id", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

CREATE SEQUENCE app_private.kpi_data_version AS bigint;

-- Row-level security: members read, like the rollups; the worker reads its context workspace.
-- No role but the definer writes (no grant, no write policy).
ALTER TABLE kpi_data_versions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY kpi_data_versions_select ON kpi_data_versions FOR SELECT TO northstar_app
  USING (workspace_id = (SELECT app.member_workspace_id()));
CREATE POLICY kpi_data_versions_worker ON kpi_data_versions FOR SELECT TO northstar_worker
  USING (workspace_id = (SELECT app.current_workspace_id()));
GRANT SELECT ON kpi_data_versions TO northstar_app, northstar_worker;

GRANT SELECT, INSERT, UPDATE ON kpi_data_versions TO northstar_definer;
GRANT USAGE ON SEQUENCE app_private.kpi_data_version TO northstar_definer;

-- One function for the three events: PL/pgSQL plans a statement when it first runs it, so each
-- branch names only the transition tables its event has. A KPI being deleted (its daily rows go by
-- cascade) gets no new version: its row goes with it.
CREATE OR REPLACE FUNCTION app_private.kpi_data_versions_bumped() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO public.kpi_data_versions AS v (workspace_id, kpi_id, version)
    SELECT c.workspace_id, c.kpi_id, nextval('app_private.kpi_data_version')
      FROM (SELECT DISTINCT o.workspace_id, o.kpi_id FROM old_rows AS o ORDER BY 1, 2) AS c
     WHERE EXISTS (SELECT FROM public.kpis AS k WHERE k.workspace_id = c.workspace_id AND k.id = c.kpi_id)
    ON CONFLICT (workspace_id, kpi_id) DO UPDATE SET version = excluded.version;
  ELSE
    -- An update moves no row to another KPI (the primary key holds it), so the new rows name them all.
    INSERT INTO public.kpi_data_versions AS v (workspace_id, kpi_id, version)
    SELECT c.workspace_id, c.kpi_id, nextval('app_private.kpi_data_version')
      FROM (SELECT DISTINCT n.workspace_id, n.kpi_id FROM new_rows AS n ORDER BY 1, 2) AS c
    ON CONFLICT (workspace_id, kpi_id) DO UPDATE SET version = excluded.version;
  END IF;
  RETURN NULL;
END
$$;

-- The point writers' bump, first of the points' triggers.
CREATE OR REPLACE FUNCTION app_private.kpi_data_versions_points() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  workspaces uuid[];
  kpis uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(c.workspace_id ORDER BY c.workspace_id, c.kpi_id), array_agg(c.kpi_id ORDER BY c.workspace_id, c.kpi_id)
      INTO workspaces, kpis FROM (SELECT DISTINCT n.workspace_id, n.kpi_id FROM new_points AS n) AS c;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(c.workspace_id ORDER BY c.workspace_id, c.kpi_id), array_agg(c.kpi_id ORDER BY c.workspace_id, c.kpi_id)
      INTO workspaces, kpis
      FROM (SELECT o.workspace_id, o.kpi_id FROM old_points AS o UNION SELECT n.workspace_id, n.kpi_id FROM new_points AS n) AS c;
  ELSE
    SELECT array_agg(c.workspace_id ORDER BY c.workspace_id, c.kpi_id), array_agg(c.kpi_id ORDER BY c.workspace_id, c.kpi_id)
      INTO workspaces, kpis FROM (SELECT DISTINCT o.workspace_id, o.kpi_id FROM old_points AS o) AS c;
  END IF;
  IF workspaces IS NULL THEN
    RETURN NULL;
  END IF;
  -- The rollup triggers take this lock next anyway; taken first, a rebuild (which holds it
  -- exclusively, then writes daily rows and so versions) never waits for a version row held here.
  PERFORM pg_advisory_xact_lock_shared(app_private.kpi_rollups_lock_key(w.workspace_id))
     FROM (SELECT DISTINCT u.w AS workspace_id FROM unnest(workspaces) AS u(w) ORDER BY 1) AS w;
  INSERT INTO public.kpi_data_versions AS v (workspace_id, kpi_id, version)
  SELECT c.w, c.k, nextval('app_private.kpi_data_version')
    FROM (SELECT u.w, u.k FROM unnest(workspaces, kpis) WITH ORDINALITY AS u(w, k, n) ORDER BY u.n) AS c
   WHERE EXISTS (SELECT FROM public.kpis AS k WHERE k.workspace_id = c.w AND k.id = c.k)
  ON CONFLICT (workspace_id, kpi_id) DO UPDATE SET version = excluded.version;
  RETURN NULL;
END
$$;

CREATE TRIGGER kpi_data_versions_points_inserted AFTER INSERT ON kpi_data_points
  REFERENCING NEW TABLE AS new_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_data_versions_points();
CREATE TRIGGER kpi_data_versions_points_updated AFTER UPDATE ON kpi_data_points
  REFERENCING OLD TABLE AS old_points NEW TABLE AS new_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_data_versions_points();
CREATE TRIGGER kpi_data_versions_points_deleted AFTER DELETE ON kpi_data_points
  REFERENCING OLD TABLE AS old_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_data_versions_points();

CREATE TRIGGER kpi_data_versions_inserted AFTER INSERT ON kpi_rollups_daily
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_data_versions_bumped();
CREATE TRIGGER kpi_data_versions_updated AFTER UPDATE ON kpi_rollups_daily
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_data_versions_bumped();
CREATE TRIGGER kpi_data_versions_deleted AFTER DELETE ON kpi_rollups_daily
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_data_versions_bumped();

ALTER FUNCTION app_private.kpi_data_versions_bumped() OWNER TO northstar_definer;
ALTER FUNCTION app_private.kpi_data_versions_points() OWNER TO northstar_definer;
REVOKE ALL ON FUNCTION app_private.kpi_data_versions_bumped(), app_private.kpi_data_versions_points() FROM PUBLIC;
-- Triggers fire as the writer: as for the rollups' trigger functions.
GRANT EXECUTE ON FUNCTION app_private.kpi_data_versions_points() TO northstar_app, northstar_worker;
