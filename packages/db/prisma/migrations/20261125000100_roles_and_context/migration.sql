-- Roles and the request context that row-level security reads.
--
-- Roles are cluster-wide, so they are created only when missing (a second database in the same
-- cluster, or a reset, finds them already there). Functions live in their own schemas and are
-- written with CREATE OR REPLACE for the same reason: `prisma migrate reset` drops only `public`.
--
--   northstar_app      the API: every transaction runs as this role (SET LOCAL ROLE / set_config('role'))
--   northstar_worker   the integration sync worker: workspace context, no user
--   northstar_definer  owns the few SECURITY DEFINER functions; may read memberships across
--                      workspaces, nothing else. BYPASSRLS so that it can, NOLOGIN so nobody logs in as it.
-- None of them owns a table: the tables stay with the role that runs the migrations.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'northstar_app') THEN
    CREATE ROLE northstar_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'northstar_worker') THEN
    CREATE ROLE northstar_worker NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'northstar_definer') THEN
    CREATE ROLE northstar_definer NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS app;
CREATE SCHEMA IF NOT EXISTS app_private;
REVOKE ALL ON SCHEMA app_private FROM PUBLIC;
GRANT USAGE ON SCHEMA public, app TO northstar_app, northstar_worker;
GRANT USAGE ON SCHEMA public, app_private TO northstar_definer;
-- ALTER FUNCTION ... OWNER TO needs the new owner to hold CREATE on the function's schema.
GRANT CREATE ON SCHEMA app_private TO northstar_definer;

-- The context. A missing setting reads as '' once any set_config ran on the connection, and a
-- malformed one must not raise a cast error: both become NULL, and NULL matches no row.
CREATE OR REPLACE FUNCTION app.uuid_or_null(value text) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN value ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN value::uuid
  END
$$;

CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT app.uuid_or_null(current_setting('app.user_id', true)) $$;

CREATE OR REPLACE FUNCTION app.current_workspace_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT app.uuid_or_null(current_setting('app.workspace_id', true)) $$;
