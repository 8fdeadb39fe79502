-- An API key's scope enforced by row-level security too, not only by the API's permission checks.
--
-- A request made with a key runs as the key's creator (app.user_id), so until now the policies let
-- a `read` key's requests write whatever its creator, an OWNER or ADMIN, may write. Such requests
-- now also carry the key's id (app.api_key_id, set by packages/db client.ts next to the user and
-- workspace), and while it is set:
--   - app.current_workspace_role() answers the key's role: `read` -> VIEWER, `write` -> MEMBER,
--     never above the creator's role in the workspace today;
--   - app.current_user_id() answers the creator only while the key is live, belongs to the context
--     workspace and was created by the context user; otherwise NULL, so a revoked, unknown or
--     malformed key id reads and writes nothing at all (every policy and definer function asks it).
-- Every workspace policy goes through these two functions. The policies that let a user reach
-- their own rows, whatever the workspace, change: a key reaches its own workspace only, never its
-- creator's memberships elsewhere (nor so their other workspaces), sessions, subscription,
-- profile or invitations, creates no workspace, and does not make its creator leave the workspace.
--
-- Why forging the setting can only lower rights: settings are writable by the application role,
-- so the key id is never trusted to grant anything. The lookup answers only a key created by the
-- context user in the context workspace, and then at most that user's own role there; any other
-- value answers no user and no role. Setting it (to anything) yields the same rights as without it
-- or fewer. Clearing it yields the creator's rights: this wall stops a request path of the API that
-- forgot a check, not SQL run by an attacker, who could reset any setting.
--
-- Speed: without the setting (sessions, the worker) the functions take their old path after one
-- more current_setting() call; app.current_user_id() stays an inlinable SQL function. With a key,
-- the lookup is one primary-key probe of api_keys (workspace_id, id) per evaluation, and policies
-- evaluate it once per statement (wrapped in scalar sub-selects, see row_level_security).
-- Measured (PostgreSQL 15, 1.1M points in 51 workspaces, EXPLAIN ANALYZE of a KPI's 90-day daily
-- series as northstar_app, p50 of 8, three runs each): 1.23-1.33 ms before this migration;
-- after it 1.23-1.29 ms without a key and 1.18-1.24 ms with one.

-- Whether the request acts with an API key: the setting is there, well-formed or not (a malformed
-- one then matches no key). Plain SQL, so that it inlines into its callers.
CREATE OR REPLACE FUNCTION app.acting_with_api_key() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(current_setting('app.api_key_id', true), '') <> '' $$;

-- The capped role of the context's key, or NULL. SECURITY DEFINER: the application role may not
-- read api_keys of a workspace where it is not OWNER or ADMIN (a key's own requests never are), and
-- a policy on workspace_users must not query it as the caller. It reads the settings itself, not
-- through app.current_user_id(), which asks this function.
CREATE OR REPLACE FUNCTION app_private.context_api_key_role() RETURNS public."WorkspaceRole"
  LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = ''
AS $$
  -- The enum runs OWNER, ADMIN, MEMBER, VIEWER: GREATEST is the lesser of the two roles.
  SELECT GREATEST(wu.role, CASE WHEN 'write' = ANY (k.scopes) THEN 'MEMBER' ELSE 'VIEWER' END::public."WorkspaceRole")
    FROM public.api_keys AS k
    JOIN public.workspace_users AS wu ON wu.workspace_id = k.workspace_id AND wu.user_id = k.created_by
   WHERE k.workspace_id = app.uuid_or_null(current_setting('app.workspace_id', true))
     AND k.id = app.uuid_or_null(current_setting('app.api_key_id', true))
     AND k.created_by = app.uuid_or_null(current_setting('app.user_id', true))
     AND k.revoked_at IS NULL
$$;
ALTER FUNCTION app_private.context_api_key_role() OWNER TO northstar_definer;

-- Keeps its old body when no key is set; the context user only while the key lets them act.
CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN NOT app.acting_with_api_key() THEN app.uuid_or_null(current_setting('app.user_id', true))
    WHEN app_private.context_api_key_role() IS NOT NULL THEN app.uuid_or_null(current_setting('app.user_id', true))
  END
$$;

-- The old body when no key is set (PL/pgSQL caches its plan per connection); with a key, its cap.
CREATE OR REPLACE FUNCTION app.current_workspace_role() RETURNS public."WorkspaceRole"
  LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  IF app.acting_with_api_key() THEN
    RETURN app_private.context_api_key_role();
  END IF;
  RETURN (
    SELECT wu.role
      FROM public.workspace_users AS wu
     WHERE wu.workspace_id = app.current_workspace_id()
       AND wu.user_id = app.current_user_id());
END
$$;

-- The read policies' helper (policy_speed), likewise: with a key, its workspace when the key may
-- act (the lookup already found its creator a member there), one lookup instead of a membership
-- query whose policy would ask for the key again.
CREATE OR REPLACE FUNCTION app.member_workspace_id() RETURNS uuid
  LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  IF app.acting_with_api_key() THEN
    RETURN CASE WHEN app_private.context_api_key_role() IS NOT NULL THEN app.current_workspace_id() END;
  END IF;
  RETURN (
    SELECT wu.workspace_id
      FROM public.workspace_users AS wu
     WHERE wu.workspace_id = app.current_workspace_id()
       AND wu.user_id = app.current_user_id());
END
$$;

-- A person's own rows are theirs, not a script's. Each policy keeps its old shape and adds
-- `NOT (SELECT app.acting_with_api_key())`, one InitPlan per statement, to the branch that matches
-- on the user alone.
DROP POLICY workspace_users_select ON workspace_users;
CREATE POLICY workspace_users_select ON workspace_users FOR SELECT TO northstar_app
  USING ((user_id = (SELECT app.current_user_id()) AND NOT (SELECT app.acting_with_api_key()))
         OR (workspace_id = (SELECT app.current_workspace_id()) AND (SELECT app_private.is_context_member())));

DROP POLICY users_update ON users;
CREATE POLICY users_update ON users FOR UPDATE TO northstar_app
  USING (id = (SELECT app.current_user_id()) AND NOT (SELECT app.acting_with_api_key()))
  WITH CHECK (id = (SELECT app.current_user_id()) AND NOT (SELECT app.acting_with_api_key()));

DROP POLICY sessions_own ON sessions;
CREATE POLICY sessions_own ON sessions FOR ALL TO northstar_app
  USING (user_id = (SELECT app.current_user_id()) AND NOT (SELECT app.acting_with_api_key()))
  WITH CHECK (user_id = (SELECT app.current_user_id()) AND NOT (SELECT app.acting_with_api_key()));

DROP POLICY subscriptions_select ON subscriptions;
CREATE POLICY subscriptions_select ON subscriptions FOR SELECT TO northstar_app
  USING (user_id = (SELECT app.current_user_id()) AND NOT (SELECT app.acting_with_api_key()));

-- A person's own acts through definer functions (creating a workspace, answering invitations)
-- are theirs too: these ask for the signed-in person, who is nobody while a key acts. Their bodies
-- are those of row_level_security and invitation_consent with app.current_person_id() for
-- app.current_user_id().
CREATE OR REPLACE FUNCTION app.current_person_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN NOT app.acting_with_api_key() THEN app.current_user_id() END $$;

CREATE OR REPLACE FUNCTION app.create_workspace(workspace_name text, workspace_slug text) RETURNS uuid
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  creator uuid := app.current_person_id();
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

CREATE OR REPLACE FUNCTION app.my_invitations()
  RETURNS TABLE (invitation_id uuid, workspace_id uuid, workspace_name text, role public."WorkspaceRole",
                 invited_by_name text, expires_at timestamptz, created_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT i.id, i.workspace_id, w.name::text, i.role, inviter.name::text, i.expires_at, i.created_at
    FROM public.users AS me
    JOIN public.invitations AS i ON i.email = me.email
    JOIN public.workspaces AS w ON w.id = i.workspace_id
    LEFT JOIN public.users AS inviter ON inviter.id = i.invited_by_id
   WHERE me.id = app.current_person_id()
     AND i.status = 'PENDING'
     AND i.expires_at > now()
   ORDER BY i.created_at DESC, i.id
$$;

CREATE OR REPLACE FUNCTION app.accept_invitation(invitation_id uuid) RETURNS uuid
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  me uuid := app.current_person_id();
  accepted_workspace uuid;
  accepted_role public."WorkspaceRole";
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'no user in the request context' USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM public.invitations AS i
   USING public.users AS u
   WHERE i.id = invitation_id AND u.id = me AND i.email = u.email
     AND i.status = 'PENDING' AND i.expires_at > now()
  RETURNING i.workspace_id, i.role INTO accepted_workspace, accepted_role;
  IF accepted_workspace IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO public.workspace_users (workspace_id, user_id, role)
  VALUES (accepted_workspace, me, accepted_role)
  ON CONFLICT (workspace_id, user_id) DO NOTHING;
  RETURN accepted_workspace;
END
$$;

CREATE OR REPLACE FUNCTION app.decline_invitation(invitation_id uuid) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
  WITH declined AS (
    UPDATE public.invitations AS i
       SET status = 'DECLINED', responded_at = now()
      FROM public.users AS u
     WHERE i.id = invitation_id AND u.id = app.current_person_id() AND i.email = u.email
       AND i.status = 'PENDING' AND i.expires_at > now()
    RETURNING i.id)
  SELECT EXISTS (SELECT FROM declined)
$$;

-- Leaving a workspace is a person's choice too (OWNERs and ADMINs managing others are already
-- capped out by the key's role).
DROP POLICY workspace_users_delete ON workspace_users;
CREATE POLICY workspace_users_delete ON workspace_users FOR DELETE TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id())
         AND ((user_id = (SELECT app.current_user_id()) AND NOT (SELECT app.acting_with_api_key()))
              OR (SELECT app.current_workspace_role()) = 'OWNER'
              OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')));

-- Whoever asks app.current_user_id() needs these: the application, and the definer functions that
-- run as northstar_definer (which owns the lookup). Not the worker: the user context is not its.
REVOKE ALL ON FUNCTION app_private.context_api_key_role(), app.acting_with_api_key() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_private.context_api_key_role() TO northstar_app;
GRANT EXECUTE ON FUNCTION app.acting_with_api_key() TO northstar_app, northstar_definer;
REVOKE ALL ON FUNCTION app.current_person_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.current_person_id() TO northstar_app, northstar_definer;
