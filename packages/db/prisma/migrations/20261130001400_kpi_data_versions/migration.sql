-- The version of each KPI's chart data (issue 14): a number that changes in the transaction of
-- every change to what a chart of the KPI reads, so that a host can keep a chart it has computed
-- and serve it again while the version it reads with the KPI is the same (packages/api
-- src/kpi/chart-cache.ts). Versions come from one sequence: they never repeat, not after a KPI's
-- points are all deleted, nor after a TRUNCATE.
--
-- Bumped by statement triggers on kpi_rollups_daily, not on kpi_data_points: every writer of what
-- a chart reads writes the KPI's daily rows in the same statement (a point's insert, update or
-- delete through the rollup triggers, a rebuild, a zone change, a TRUNCATE's cleanup), and a
-- statement's daily rows are far fewer than its points, which keeps ingest's cost down. The bump
-- upserts in (workspace_id, kpi_id) order, after the daily rows' own locks: writers of the same
-- KPI are already serialised there.
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
REVOKE ALL ON FUNCTION app_private.kpi_data_versions_bumped() FROM PUBLIC;
