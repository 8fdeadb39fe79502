-- Sign-in and invitations: the few questions the API must ask before it knows who the user is
-- (or that cross a tenant's wall on purpose), each one a narrow SECURITY DEFINER function owned by
-- northstar_definer, executable by northstar_app only. Plus the invitations table.

-- CreateTable
CREATE TABLE "invitations" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "role" "WorkspaceRole" NOT NULL DEFAULT 'MEMBER',
    "invited_by_id" UUID,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invitations_pkey" PRIMARY KEY ("workspace_id","id")
);

-- CreateIndex
CREATE INDEX "invitations_email_idx" ON "invitations"("email");

-- CreateIndex
CREATE UNIQUE INDEX "invitations_workspace_id_email_key" ON "invitations"("workspace_id", "email");

-- AddForeignKey
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_invited_by_id_fkey" FOREIGN KEY ("invited_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE RESTRICT;

-- The same email rule as users (and emailSchema in src/schemas.ts).
ALTER TABLE invitations
  ADD CONSTRAINT invitations_email_format CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
  ADD CONSTRAINT invitations_expiry_after_creation CHECK (expires_at > created_at);

-- Invitations follow the membership rules: members see them, OWNERs and ADMINs manage them, and
-- only an OWNER invites (or withdraws an invitation) to the OWNER role.
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO northstar_app;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_select ON invitations FOR SELECT TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id()) AND (SELECT app.current_workspace_role()) IS NOT NULL);
CREATE POLICY invitations_insert ON invitations FOR INSERT TO northstar_app
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id())
              AND ((SELECT app.current_workspace_role()) = 'OWNER'
                   OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')));
CREATE POLICY invitations_update ON invitations FOR UPDATE TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id())
         AND ((SELECT app.current_workspace_role()) = 'OWNER'
              OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')))
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id())
              AND ((SELECT app.current_workspace_role()) = 'OWNER'
                   OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')));
CREATE POLICY invitations_delete ON invitations FOR DELETE TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id())
         AND ((SELECT app.current_workspace_role()) = 'OWNER'
              OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')));

-- The session a cookie's token hash names, while it has not expired. Knowing the token is the
-- proof of identity, so this is asked before any user context exists.
CREATE OR REPLACE FUNCTION app.session_for_token(hash bytea)
  RETURNS TABLE (session_id uuid, user_id uuid, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT s.id, s.user_id, s.expires_at
    FROM public.sessions AS s
   WHERE s.token_hash = hash AND s.expires_at > now()
$$;

-- The user behind a provider account, created on first sign-in; name and picture follow the
-- provider's. The email is only set on creation: an email taken by another account raises
-- unique_violation (users_email_key) instead of silently linking two identities.
CREATE OR REPLACE FUNCTION app.sign_in_user(
  user_provider text, user_provider_account_id text, user_email text, user_name text, user_image text)
  RETURNS uuid
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
  INSERT INTO public.users AS u (email, name, image, provider, provider_account_id)
  VALUES (user_email, user_name, user_image, user_provider, user_provider_account_id)
  ON CONFLICT (provider, provider_account_id) DO UPDATE
    SET name = excluded.name, image = excluded.image, updated_at = now()
  RETURNING u.id
$$;

-- Turns the context user's pending, unexpired invitations into memberships (the invitee is not a
-- member yet, so no policy could let them in). Returns the workspaces joined.
CREATE OR REPLACE FUNCTION app.accept_invitations() RETURNS SETOF uuid
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  me uuid := app.current_user_id();
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'no user in the request context' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN QUERY
    WITH accepted AS (
      DELETE FROM public.invitations AS i
       USING public.users AS u
       WHERE u.id = me AND i.email = u.email AND i.expires_at > now()
      RETURNING i.workspace_id, i.role)
    INSERT INTO public.workspace_users AS wu (workspace_id, user_id, role)
    SELECT a.workspace_id, me, a.role FROM accepted AS a
    ON CONFLICT (workspace_id, user_id) DO NOTHING
    RETURNING wu.workspace_id;
END
$$;

-- Whether a slug is free: workspaces the caller cannot see still hold their slugs.
CREATE OR REPLACE FUNCTION app.workspace_slug_available(candidate text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT NOT EXISTS (SELECT FROM public.workspaces AS w WHERE w.slug = candidate)
$$;

-- The context workspace's plan: the best current plan among its owners (FREE without one), NULL
-- for a caller who is not a member. Subscriptions are otherwise visible to their user only.
CREATE OR REPLACE FUNCTION app.workspace_plan() RETURNS public."Plan"
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT CASE WHEN app_private.is_context_member() THEN
    COALESCE((
      SELECT max(s.plan)
        FROM public.subscriptions AS s
        JOIN public.workspace_users AS wu ON wu.user_id = s.user_id
       WHERE wu.workspace_id = app.current_workspace_id()
         AND wu.role = 'OWNER'
         AND s.status IN ('ACTIVE', 'TRIALING', 'PAST_DUE')
         AND s.current_period_end > now()), 'FREE')
  END
$$;

ALTER FUNCTION app.session_for_token(bytea) OWNER TO northstar_definer;
ALTER FUNCTION app.sign_in_user(text, text, text, text, text) OWNER TO northstar_definer;
ALTER FUNCTION app.accept_invitations() OWNER TO northstar_definer;
ALTER FUNCTION app.workspace_slug_available(text) OWNER TO northstar_definer;
ALTER FUNCTION app.workspace_plan() OWNER TO northstar_definer;

-- What the definer needs for these, and nothing more.
GRANT SELECT ON sessions, subscriptions TO northstar_definer;
GRANT SELECT, INSERT ON users TO northstar_definer;
GRANT UPDATE (name, image, updated_at) ON users TO northstar_definer;
GRANT SELECT, DELETE ON invitations TO northstar_definer;

REVOKE ALL ON FUNCTION app.session_for_token(bytea), app.sign_in_user(text, text, text, text, text),
  app.accept_invitations(),
  app.workspace_slug_available(text), app.workspace_plan()
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.session_for_token(bytea), app.sign_in_user(text, text, text, text, text),
  app.accept_invitations(), app.workspace_slug_available(text), app.workspace_plan()
  TO northstar_app;
