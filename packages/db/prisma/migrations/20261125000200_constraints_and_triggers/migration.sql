-- Rules the database keeps whatever client writes: value shapes (the same rules as the zod schemas
-- in src/schemas.ts), the active-KPI name rule, a KPI's current value, and a workspace's owner.
-- Float checks spell out NaN and infinity: in PostgreSQL 'NaN' > 0 is true.

ALTER TABLE users
  ADD CONSTRAINT users_email_format CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
  ADD CONSTRAINT users_name_not_blank CHECK (btrim(name) <> ''),
  ADD CONSTRAINT users_image_url CHECK (image IS NULL OR image ~ '^https?://'),
  ADD CONSTRAINT users_provider_format CHECK (provider ~ '^[a-z][a-z0-9_-]*$'),
  ADD CONSTRAINT users_provider_account_id_not_blank CHECK (btrim(provider_account_id) <> '');

ALTER TABLE sessions
  ADD CONSTRAINT sessions_token_hash_sha256 CHECK (octet_length(token_hash) = 32),
  ADD CONSTRAINT sessions_expiry_after_creation CHECK (expires_at > created_at);

ALTER TABLE workspaces
  ADD CONSTRAINT workspaces_name_not_blank CHECK (btrim(name) <> ''),
  ADD CONSTRAINT workspaces_slug_format CHECK (length(slug) BETWEEN 3 AND 48 AND slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$');

ALTER TABLE kpis
  ADD CONSTRAINT kpis_name_not_blank CHECK (btrim(name) <> ''),
  ADD CONSTRAINT kpis_category_not_blank CHECK (btrim(category) <> ''),
  ADD CONSTRAINT kpis_target_value_finite CHECK (target_value IS NULL OR target_value NOT IN ('NaN', 'Infinity', '-Infinity')),
  ADD CONSTRAINT kpis_archived_when_inactive CHECK (is_active = (archived_at IS NULL));

-- KPI names are unique among the active KPIs of a workspace (case-insensitively); an archived KPI
-- frees its name.
CREATE UNIQUE INDEX kpis_active_name_key ON kpis (workspace_id, lower(name)) WHERE is_active;

ALTER TABLE kpi_data_points
  ADD CONSTRAINT kpi_data_points_value_finite CHECK (value NOT IN ('NaN', 'Infinity', '-Infinity')),
  ADD CONSTRAINT kpi_data_points_integration_source CHECK ((source = 'INTEGRATION') = (integration_id IS NOT NULL));

ALTER TABLE goals
  ADD CONSTRAINT goals_title_not_blank CHECK (btrim(title) <> '');

ALTER TABLE goal_kpis
  ADD CONSTRAINT goal_kpis_weight_positive CHECK (weight > 0 AND weight <= 1000 AND weight <> 'NaN');

ALTER TABLE integrations
  ADD CONSTRAINT integrations_name_not_blank CHECK (btrim(name) <> ''),
  ADD CONSTRAINT integrations_provider_format CHECK (provider ~ '^[a-z][a-z0-9_-]*$'),
  ADD CONSTRAINT integrations_config_object CHECK (jsonb_typeof(config) = 'object'),
  ADD CONSTRAINT integrations_credentials_sealed CHECK ((credentials IS NULL) = (credentials_key_id IS NULL)),
  ADD CONSTRAINT integrations_sync_interval_range CHECK (sync_interval_seconds BETWEEN 60 AND 2592000),
  ADD CONSTRAINT integrations_failures_not_negative CHECK (consecutive_failures >= 0);

-- The dispatcher's question: which integrations are due now?
CREATE INDEX integrations_due_idx ON integrations (next_sync_at)
  WHERE sync_status IN ('IDLE', 'SUCCEEDED', 'FAILED');

ALTER TABLE sync_runs
  ADD CONSTRAINT sync_runs_points_not_negative CHECK (points_written >= 0),
  ADD CONSTRAINT sync_runs_finished_after_start CHECK (finished_at IS NULL OR finished_at >= started_at);

ALTER TABLE subscriptions
  ADD CONSTRAINT subscriptions_period_order CHECK (current_period_end > current_period_start);

-- A KPI's current value is the value of its newest data point. Statement-level triggers with
-- transition tables: one UPDATE per statement, so a COPY of a million points costs one pass.
-- They run as the caller, so row-level security applies to what they read and write.
CREATE OR REPLACE FUNCTION app_private.kpi_points_inserted() RETURNS trigger
  LANGUAGE plpgsql
AS $$
BEGIN
  UPDATE public.kpis AS k
     SET current_value = newest.value, current_value_at = newest."timestamp"
    FROM (
      SELECT DISTINCT ON (p.workspace_id, p.kpi_id) p.workspace_id, p.kpi_id, p.value, p."timestamp"
        FROM new_points AS p
       ORDER BY p.workspace_id, p.kpi_id, p."timestamp" DESC, p.source DESC
    ) AS newest
   WHERE k.workspace_id = newest.workspace_id
     AND k.id = newest.kpi_id
     AND (k.current_value_at IS NULL OR newest."timestamp" >= k.current_value_at);
  RETURN NULL;
END
$$;

-- After an update or delete the newest point may be gone or changed: read it again from the
-- series index for each KPI the statement touched.
CREATE OR REPLACE FUNCTION app_private.kpi_points_changed() RETURNS trigger
  LANGUAGE plpgsql
AS $$
BEGIN
  UPDATE public.kpis AS k
     SET (current_value, current_value_at) = (
       SELECT p.value, p."timestamp"
         FROM public.kpi_data_points AS p
        WHERE p.kpi_id = k.id AND p.workspace_id = k.workspace_id
        ORDER BY p."timestamp" DESC, p.source DESC
        LIMIT 1)
   WHERE (k.workspace_id, k.id) IN (SELECT DISTINCT o.workspace_id, o.kpi_id FROM old_points AS o);
  RETURN NULL;
END
$$;

CREATE TRIGGER kpi_points_inserted AFTER INSERT ON kpi_data_points
  REFERENCING NEW TABLE AS new_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_points_inserted();
CREATE TRIGGER kpi_points_updated AFTER UPDATE ON kpi_data_points
  REFERENCING OLD TABLE AS old_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_points_changed();
CREATE TRIGGER kpi_points_deleted AFTER DELETE ON kpi_data_points
  REFERENCING OLD TABLE AS old_points
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.kpi_points_changed();

-- A workspace always keeps at least one owner; a workspace that is itself being deleted is exempt.
-- A new workspace is checked at commit (its owner's membership is inserted after it). Changes to
-- memberships are checked at the end of each statement, so a refusal arrives as the statement's
-- error, never as a failed COMMIT (Prisma 6.19 does not release a connection whose COMMIT fails).
-- A transfer promotes the new owner first, then demotes the old one.
-- SECURITY DEFINER: it must see every membership of the workspace, not only the caller's.
CREATE OR REPLACE FUNCTION app_private.check_workspace_has_owner() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  target uuid;
BEGIN
  IF TG_TABLE_NAME = 'workspaces' THEN
    target := NEW.id;
  ELSE
    target := OLD.workspace_id;
  END IF;
  -- Serialise the check per workspace: two owners leaving at once must not both see the other.
  -- Taken after this statement's change, so a waiter re-reads the committed state below.
  PERFORM pg_advisory_xact_lock(hashtextextended('workspaces_keep_an_owner:' || target::text, 0));
  IF EXISTS (SELECT FROM public.workspaces AS w WHERE w.id = target)
     AND NOT EXISTS (SELECT FROM public.workspace_users AS wu WHERE wu.workspace_id = target AND wu.role = 'OWNER') THEN
    RAISE EXCEPTION 'a workspace must keep at least one owner'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'workspaces_keep_an_owner',
            HINT = 'Make another member an owner first.';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER workspaces_keep_an_owner AFTER INSERT ON workspaces
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION app_private.check_workspace_has_owner();
CREATE CONSTRAINT TRIGGER workspace_users_keep_an_owner AFTER UPDATE OF role OR DELETE ON workspace_users
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION app_private.check_workspace_has_owner();
