-- The integration sync worker (issue 4): which KPI each provider metric writes into, the worker's
-- lease on an integration, the two questions the worker must ask across workspaces (each a narrow
-- SECURITY DEFINER function owned by northstar_definer, executable by northstar_worker only), and
-- the job queue's own role and schema.

-- AlterTable
ALTER TABLE "integrations" ADD COLUMN     "lease_expires_at" TIMESTAMPTZ(6),
ADD COLUMN     "lease_token" UUID;

-- CreateTable
CREATE TABLE "integration_metrics" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "integration_id" UUID NOT NULL,
    "metric_key" VARCHAR(64) NOT NULL,
    "kpi_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "integration_metrics_pkey" PRIMARY KEY ("workspace_id","id")
);

-- CreateIndex
CREATE INDEX "integration_metrics_workspace_id_kpi_id_idx" ON "integration_metrics"("workspace_id", "kpi_id");

-- CreateIndex
CREATE UNIQUE INDEX "integration_metrics_workspace_id_integration_id_metric_key_key" ON "integration_metrics"("workspace_id", "integration_id", "metric_key");

-- AddForeignKey
ALTER TABLE "integration_metrics" ADD CONSTRAINT "integration_metrics_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "integration_metrics" ADD CONSTRAINT "integration_metrics_workspace_id_integration_id_fkey" FOREIGN KEY ("workspace_id", "integration_id") REFERENCES "integrations"("workspace_id", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "integration_metrics" ADD CONSTRAINT "integration_metrics_workspace_id_kpi_id_fkey" FOREIGN KEY ("workspace_id", "kpi_id") REFERENCES "kpis"("workspace_id", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- Metric keys are the providers' own (src/providers.ts): lower-case identifiers.
ALTER TABLE integration_metrics
  ADD CONSTRAINT integration_metrics_metric_key_format CHECK (metric_key ~ '^[a-z][a-z0-9_]{0,63}$');

-- A lease is a token and its expiry, set and cleared together.
ALTER TABLE integrations
  ADD CONSTRAINT integrations_lease_whole CHECK ((lease_token IS NULL) = (lease_expires_at IS NULL));

-- The dispatcher's question now also covers QUEUED rows ("sync now" whose job was lost) and SYNCING
-- rows whose worker died (their lease expired); disabled rows and rows waiting on new credentials
-- never come due.
DROP INDEX IF EXISTS integrations_due_idx;
CREATE INDEX integrations_due_idx ON integrations (next_sync_at)
  WHERE sync_status <> 'DISABLED' AND auth_failed_at IS NULL;

-- Row-level security: like integrations (members read, OWNER and ADMIN write); the worker reads
-- the mappings of its context workspace and writes none.
GRANT SELECT, INSERT, UPDATE, DELETE ON integration_metrics TO northstar_app;
GRANT SELECT ON integration_metrics TO northstar_worker;
ALTER TABLE integration_metrics ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY integration_metrics_select ON integration_metrics FOR SELECT TO northstar_app
  USING (workspace_id = (SELECT app.member_workspace_id()));
CREATE POLICY integration_metrics_insert ON integration_metrics FOR INSERT TO northstar_app
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id())
              AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN'));
CREATE POLICY integration_metrics_update ON integration_metrics FOR UPDATE TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id()) AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN'))
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id()) AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN'));
CREATE POLICY integration_metrics_delete ON integration_metrics FOR DELETE TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id()) AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN'));
CREATE POLICY integration_metrics_worker ON integration_metrics FOR SELECT TO northstar_worker
  USING (workspace_id = (SELECT app.current_workspace_id()));

-- The worker claims and releases its lease.
GRANT UPDATE (lease_token, lease_expires_at) ON integrations TO northstar_worker;

-- Integrations due to sync, in every workspace: ids only. Round-robin over workspaces (each
-- workspace's most overdue first, then each one's second, ...) so that one tenant's thousand due
-- integrations cannot push the others out of a batch. Reads the due index.
CREATE OR REPLACE FUNCTION app.due_integrations(max_count integer)
  RETURNS TABLE (workspace_id uuid, integration_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT due.workspace_id, due.id
    FROM (
      SELECT i.workspace_id, i.id, i.next_sync_at,
             row_number() OVER (PARTITION BY i.workspace_id ORDER BY i.next_sync_at, i.id) AS turn
        FROM public.integrations AS i
       WHERE i.sync_status <> 'DISABLED'::public."SyncStatus"
         AND i.auth_failed_at IS NULL
         AND i.next_sync_at <= now()
         AND (i.lease_expires_at IS NULL OR i.lease_expires_at <= now())
    ) AS due
   ORDER BY due.turn, due.next_sync_at, due.id
   LIMIT least(greatest(max_count, 0), 10000)
$$;

-- Integrations whose credentials are sealed under another key than the current one (key
-- rotation): ids only; the worker re-seals each inside its workspace's context.
CREATE OR REPLACE FUNCTION app.integrations_to_reseal(current_key_id text, max_count integer)
  RETURNS TABLE (workspace_id uuid, integration_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT i.workspace_id, i.id
    FROM public.integrations AS i
   WHERE i.credentials_key_id IS NOT NULL
     AND i.credentials_key_id <> current_key_id
   ORDER BY i.workspace_id, i.id
   LIMIT least(greatest(max_count, 0), 10000)
$$;

ALTER FUNCTION app.due_integrations(integer) OWNER TO northstar_definer;
ALTER FUNCTION app.integrations_to_reseal(text, integer) OWNER TO northstar_definer;
-- What the definer needs for these, and nothing more: the columns they read.
GRANT SELECT (workspace_id, id, sync_status, auth_failed_at, next_sync_at, lease_expires_at, credentials_key_id)
  ON integrations TO northstar_definer;
REVOKE ALL ON FUNCTION app.due_integrations(integer), app.integrations_to_reseal(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.due_integrations(integer), app.integrations_to_reseal(text, integer) TO northstar_worker;

-- The job queue (pg-boss) lives in schema pgboss, owned by northstar_queue, a NOLOGIN role that
-- owns nothing else and has no grant on the application's tables. pg-boss installs and migrates
-- its own tables there at start, connecting through a login that may SET ROLE northstar_queue
-- (see src/queue.ts); that login needs no CREATE on the database. Cluster-wide, so created once.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'northstar_queue') THEN
    CREATE ROLE northstar_queue NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
CREATE SCHEMA IF NOT EXISTS pgboss AUTHORIZATION northstar_queue;
ALTER SCHEMA pgboss OWNER TO northstar_queue;
REVOKE ALL ON SCHEMA pgboss FROM PUBLIC;
