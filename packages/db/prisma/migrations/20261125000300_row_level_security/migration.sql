-- Row-level security: the last wall between tenants.
--
-- A row of a workspace is visible only when it belongs to the context workspace
-- (app.workspace_id) AND the context user (app.user_id) is a member of it. VIEWERs read; MEMBERs
-- also write KPIs, data points and goals; ADMINs and OWNERs also manage integrations, members and
-- the workspace. With no context, or a malformed one, every predicate is NULL: nothing is visible
-- and every write fails.
--
-- Speed: settings and the role lookup are wrapped in scalar sub-selects so PostgreSQL evaluates
-- them once per statement (an InitPlan), never per row; every policy compares the row's
-- workspace_id, which leads an index on each table.

-- The context user's role in the context workspace, or NULL. Runs as the caller: the caller may
-- always read its own membership rows (see the workspace_users policy), so no definer is needed
-- on this hot path and PL/pgSQL caches its plan per connection.
CREATE OR REPLACE FUNCTION app.current_workspace_role() RETURNS public."WorkspaceRole"
  LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
    SELECT wu.role
      FROM public.workspace_users AS wu
     WHERE wu.workspace_id = app.current_workspace_id()
       AND wu.user_id = app.current_user_id());
END
$$;

-- Is the context user a member of the context workspace? SECURITY DEFINER because the
-- workspace_users policy itself asks it (a policy that queried its own table would recurse).
CREATE OR REPLACE FUNCTION app_private.is_context_member() RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT EXISTS (
    SELECT FROM public.workspace_users AS wu
     WHERE wu.workspace_id = app.current_workspace_id()
       AND wu.user_id = app.current_user_id())
$$;

-- The users who share the context workspace with the context user (to show member names).
CREATE OR REPLACE FUNCTION app_private.context_member_user_ids() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT wu.user_id
    FROM public.workspace_users AS wu
   WHERE wu.workspace_id = app.current_workspace_id()
     AND EXISTS (
       SELECT FROM public.workspace_users AS me
        WHERE me.workspace_id = wu.workspace_id AND me.user_id = app.current_user_id())
$$;

-- Creating a workspace makes its creator the OWNER in the same statement. Going through this
-- function is the only way the application creates a workspace: an INSERT policy could not
-- return the new row (the creator is not a member until the membership exists).
CREATE OR REPLACE FUNCTION app.create_workspace(workspace_name text, workspace_slug text) RETURNS uuid
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  creator uuid := app.current_user_id();
  created uuid;
BEGIN
  IF creator IS NULL THEN
    RAISE EXCEPTION 'no user in the request context' USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO public.workspaces (name, slug) VALUES (workspace_name, workspace_slug) RETURNING id INTO created;
  INSERT INTO public.workspace_users (workspace_id, user_id, role) VALUES (created, creator, 'OWNER');
  RETURN created;
END
$$;

ALTER FUNCTION app_private.is_context_member() OWNER TO northstar_definer;
ALTER FUNCTION app_private.context_member_user_ids() OWNER TO northstar_definer;
ALTER FUNCTION app_private.check_workspace_has_owner() OWNER TO northstar_definer;
ALTER FUNCTION app.create_workspace(text, text) OWNER TO northstar_definer;
GRANT USAGE ON SCHEMA app TO northstar_definer;
GRANT SELECT ON workspaces, workspace_users TO northstar_definer;
GRANT INSERT ON workspaces, workspace_users TO northstar_definer;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app, app_private FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO northstar_app, northstar_worker, northstar_definer;
REVOKE EXECUTE ON FUNCTION app.create_workspace(text, text) FROM northstar_worker;
-- Policies and triggers call these as the caller.
GRANT EXECUTE ON FUNCTION app_private.is_context_member(), app_private.context_member_user_ids(),
  app_private.kpi_points_inserted(), app_private.kpi_points_changed(),
  app_private.check_workspace_has_owner()
  TO northstar_app, northstar_worker;
GRANT USAGE ON SCHEMA app_private TO northstar_app, northstar_worker;

-- Grants: exactly the statements each role needs; policies then pick the rows.
GRANT SELECT, INSERT, UPDATE, DELETE ON users, sessions, workspace_users, kpis, kpi_data_points,
  goals, goal_kpis, integrations, sync_runs TO northstar_app;
GRANT SELECT, UPDATE, DELETE ON workspaces TO northstar_app;
GRANT SELECT ON subscriptions TO northstar_app;

GRANT SELECT ON kpis, integrations TO northstar_worker;
GRANT UPDATE (current_value, current_value_at) ON kpis TO northstar_worker;
GRANT SELECT, INSERT, UPDATE ON kpi_data_points TO northstar_worker;
GRANT UPDATE (sync_status, sync_started_at, last_synced_at, last_attempt_at, next_sync_at,
  consecutive_failures, last_error_code, last_error_message, last_error_at, auth_failed_at,
  sync_cursor, credentials, credentials_key_id, updated_at) ON integrations TO northstar_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON sync_runs TO northstar_worker;

ALTER TABLE users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE workspace_users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE kpis ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE kpi_data_points ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE goals ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE goal_kpis ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE integrations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE sync_runs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- users: yourself, and the people you share the context workspace with.
CREATE POLICY users_select ON users FOR SELECT TO northstar_app
  USING (id = (SELECT app.current_user_id()) OR id IN (SELECT app_private.context_member_user_ids()));
CREATE POLICY users_insert ON users FOR INSERT TO northstar_app
  WITH CHECK (id = (SELECT app.current_user_id()));
CREATE POLICY users_update ON users FOR UPDATE TO northstar_app
  USING (id = (SELECT app.current_user_id())) WITH CHECK (id = (SELECT app.current_user_id()));
CREATE POLICY users_delete ON users FOR DELETE TO northstar_app
  USING (id = (SELECT app.current_user_id()));

CREATE POLICY sessions_own ON sessions FOR ALL TO northstar_app
  USING (user_id = (SELECT app.current_user_id())) WITH CHECK (user_id = (SELECT app.current_user_id()));

-- Subscriptions are written by the billing webhook (a privileged path), read by their user.
CREATE POLICY subscriptions_select ON subscriptions FOR SELECT TO northstar_app
  USING (user_id = (SELECT app.current_user_id()));

-- workspaces: the ones you belong to (for "my workspaces", with or without a context workspace).
CREATE POLICY workspaces_select ON workspaces FOR SELECT TO northstar_app
  USING (id IN (SELECT wu.workspace_id FROM workspace_users AS wu WHERE wu.user_id = (SELECT app.current_user_id())));
CREATE POLICY workspaces_update ON workspaces FOR UPDATE TO northstar_app
  USING (id = (SELECT app.current_workspace_id()) AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN'))
  WITH CHECK (id = (SELECT app.current_workspace_id()));
CREATE POLICY workspaces_delete ON workspaces FOR DELETE TO northstar_app
  USING (id = (SELECT app.current_workspace_id()) AND (SELECT app.current_workspace_role()) = 'OWNER');

-- workspace_users: your own memberships, and every membership of the context workspace you are in.
-- Only an OWNER grants, changes or removes the OWNER role; ADMINs manage everyone else; anyone may leave.
CREATE POLICY workspace_users_select ON workspace_users FOR SELECT TO northstar_app
  USING (user_id = (SELECT app.current_user_id())
         OR (workspace_id = (SELECT app.current_workspace_id()) AND (SELECT app_private.is_context_member())));
CREATE POLICY workspace_users_insert ON workspace_users FOR INSERT TO northstar_app
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id())
              AND ((SELECT app.current_workspace_role()) = 'OWNER'
                   OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')));
CREATE POLICY workspace_users_update ON workspace_users FOR UPDATE TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id())
         AND ((SELECT app.current_workspace_role()) = 'OWNER'
              OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')))
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id())
              AND ((SELECT app.current_workspace_role()) = 'OWNER'
                   OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')));
CREATE POLICY workspace_users_delete ON workspace_users FOR DELETE TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id())
         AND (user_id = (SELECT app.current_user_id())
              OR (SELECT app.current_workspace_role()) = 'OWNER'
              OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')));

-- Workspace data: members read; OWNER, ADMIN and MEMBER write (data tables) or OWNER and ADMIN
-- write (integration tables). The same four policies on each table, spelled out by one loop.
DO $$
DECLARE
  spec record;
  in_context constant text := 'workspace_id = (SELECT app.current_workspace_id())';
  readers constant text := '(SELECT app.current_workspace_role()) IS NOT NULL';
  writers text;
BEGIN
  FOR spec IN
    SELECT * FROM (VALUES
      ('kpis', '''OWNER'', ''ADMIN'', ''MEMBER'''),
      ('kpi_data_points', '''OWNER'', ''ADMIN'', ''MEMBER'''),
      ('goals', '''OWNER'', ''ADMIN'', ''MEMBER'''),
      ('goal_kpis', '''OWNER'', ''ADMIN'', ''MEMBER'''),
      ('integrations', '''OWNER'', ''ADMIN'''),
      ('sync_runs', '''OWNER'', ''ADMIN''')
    ) AS t(table_name, writer_roles)
  LOOP
    writers := format('(SELECT app.current_workspace_role()) IN (%s)', spec.writer_roles);
    EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO northstar_app USING (%s AND %s)',
                   spec.table_name || '_select', spec.table_name, in_context, readers);
    EXECUTE format('CREATE POLICY %I ON %I FOR INSERT TO northstar_app WITH CHECK (%s AND %s)',
                   spec.table_name || '_insert', spec.table_name, in_context, writers);
    EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE TO northstar_app USING (%s AND %s) WITH CHECK (%s AND %s)',
                   spec.table_name || '_update', spec.table_name, in_context, writers, in_context, writers);
    EXECUTE format('CREATE POLICY %I ON %I FOR DELETE TO northstar_app USING (%s AND %s)',
                   spec.table_name || '_delete', spec.table_name, in_context, writers);
  END LOOP;
END
$$;

-- The worker acts for a workspace, not for a user: context workspace only, and only the tables
-- (and, through the grants above, the columns) a sync touches.
CREATE POLICY kpis_worker ON kpis FOR ALL TO northstar_worker
  USING (workspace_id = (SELECT app.current_workspace_id()))
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id()));
CREATE POLICY kpi_data_points_worker ON kpi_data_points FOR ALL TO northstar_worker
  USING (workspace_id = (SELECT app.current_workspace_id()))
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id()));
CREATE POLICY integrations_worker ON integrations FOR ALL TO northstar_worker
  USING (workspace_id = (SELECT app.current_workspace_id()))
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id()));
CREATE POLICY sync_runs_worker ON sync_runs FOR ALL TO northstar_worker
  USING (workspace_id = (SELECT app.current_workspace_id()))
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id()));
