-- Invitations with consent, and a database no looser than the API (issue 10, items 3-5).
--
-- 1. An invitation waits for its invitee: they list, accept or decline it themselves through three
--    SECURITY DEFINER functions that match only their own verified email (the one the provider
--    sent at their last sign-in). Nothing joins a workspace at sign-in any more. Accepting creates
--    the membership with the invited role and deletes the invitation; declining keeps it, DECLINED,
--    so that the inviter sees the answer. A workspace's plan counts its OWNER memberships, which
--    now exist only once accepted.
-- 2. sign_in_user refreshes the email from the provider on every sign-in; an email that another
--    account holds still raises unique_violation (users_email_key): no takeover, no silent link.
-- 3. northstar_app may change only what the API changes: users' name and picture, a membership's
--    role; memberships are created only by app.create_workspace and app.accept_invitation.
-- 4. northstar_worker loses the membership helpers and the other context functions it never calls.
-- Existing memberships stay; existing invitations become PENDING.

-- CreateEnum
CREATE TYPE "InvitationStatus" AS ENUM ('PENDING', 'DECLINED');

-- AlterTable
ALTER TABLE "invitations" ADD COLUMN     "responded_at" TIMESTAMPTZ(6),
ADD COLUMN     "status" "InvitationStatus" NOT NULL DEFAULT 'PENDING';

-- An answer has a time; a pending invitation has none.
ALTER TABLE invitations
  ADD CONSTRAINT invitations_responded_when_answered CHECK ((status = 'PENDING') = (responded_at IS NULL));

-- Sign-in no longer accepts anything: the invitee decides, one invitation at a time.
DROP FUNCTION IF EXISTS app.accept_invitations();

-- The user behind a provider account, created on first sign-in. Email, name and picture follow
-- the provider's on every sign-in (the profile's email is verified: see src/auth/profile.ts), so
-- invitations match the address the provider vouches for today. An email that another account
-- holds raises unique_violation (users_email_key) instead of linking or taking over that account.
CREATE OR REPLACE FUNCTION app.sign_in_user(
  user_provider text, user_provider_account_id text, user_email text, user_name text, user_image text)
  RETURNS uuid
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
  INSERT INTO public.users AS u (email, name, image, provider, provider_account_id)
  VALUES (user_email, user_name, user_image, user_provider, user_provider_account_id)
  ON CONFLICT (provider, provider_account_id) DO UPDATE
    SET email = excluded.email, name = excluded.name, image = excluded.image, updated_at = now()
  RETURNING u.id
$$;

-- The context user's pending, unexpired invitations (to their current email), with what they need
-- to decide: the workspace's name, the role, who invited them. The invitee is not a member yet, so
-- no policy could show them these rows.
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
   WHERE me.id = app.current_user_id()
     AND i.status = 'PENDING'
     AND i.expires_at > now()
   ORDER BY i.created_at DESC, i.id
$$;

-- Accepts one of the context user's pending, unexpired invitations: the membership is created with
-- the invited role and the invitation deleted. Returns the workspace, or NULL when there is no such
-- invitation for this user (another email's, answered, expired, withdrawn). Someone who is already
-- a member keeps their role.
CREATE OR REPLACE FUNCTION app.accept_invitation(invitation_id uuid) RETURNS uuid
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  me uuid := app.current_user_id();
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

-- Declines one of the context user's pending invitations; whether there was one to decline.
CREATE OR REPLACE FUNCTION app.decline_invitation(invitation_id uuid) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
  WITH declined AS (
    UPDATE public.invitations AS i
       SET status = 'DECLINED', responded_at = now()
      FROM public.users AS u
     WHERE i.id = invitation_id AND u.id = app.current_user_id() AND i.email = u.email
       AND i.status = 'PENDING' AND i.expires_at > now()
    RETURNING i.id)
  SELECT EXISTS (SELECT FROM declined)
$$;

ALTER FUNCTION app.my_invitations() OWNER TO northstar_definer;
ALTER FUNCTION app.accept_invitation(uuid) OWNER TO northstar_definer;
ALTER FUNCTION app.decline_invitation(uuid) OWNER TO northstar_definer;
REVOKE ALL ON FUNCTION app.my_invitations(), app.accept_invitation(uuid), app.decline_invitation(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.my_invitations(), app.accept_invitation(uuid), app.decline_invitation(uuid)
  TO northstar_app;

-- What the definer needs for these, and nothing more.
GRANT UPDATE (email) ON users TO northstar_definer;
GRANT UPDATE (status, responded_at) ON invitations TO northstar_definer;

-- users: the API reads people and changes nothing but a name and a picture (sign-in does, through
-- sign_in_user). The email above all: it is what invitations match.
REVOKE INSERT, UPDATE, DELETE ON users FROM northstar_app;
GRANT UPDATE (name, image, updated_at) ON users TO northstar_app;
DROP POLICY IF EXISTS users_insert ON users;
DROP POLICY IF EXISTS users_delete ON users;

-- workspace_users: rows come into being only through app.create_workspace (the creator, OWNER) and
-- app.accept_invitation (the invitee, with the invited role). The API changes a role (changeRole;
-- Prisma sets updated_at with it) and deletes (remove, leave); a row never moves to another user
-- or workspace.
REVOKE INSERT, UPDATE ON workspace_users FROM northstar_app;
GRANT UPDATE (role, updated_at) ON workspace_users TO northstar_app;
DROP POLICY IF EXISTS workspace_users_insert ON workspace_users;

-- invitations: OWNERs and ADMINs invite (only an OWNER to the OWNER role) and withdraw; an
-- invitation starts PENDING in the inviter's own name; only its invitee answers it
-- (app.decline_invitation), so nobody can turn a declined invitation back into a pending one.
REVOKE UPDATE ON invitations FROM northstar_app;
DROP POLICY IF EXISTS invitations_update ON invitations;
DROP POLICY IF EXISTS invitations_insert ON invitations;
CREATE POLICY invitations_insert ON invitations FOR INSERT TO northstar_app
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id())
              AND invited_by_id = (SELECT app.current_user_id())
              AND status = 'PENDING' AND responded_at IS NULL
              AND ((SELECT app.current_workspace_role()) = 'OWNER'
                   OR ((SELECT app.current_workspace_role()) = 'ADMIN' AND role <> 'OWNER')));

-- The worker acts for a workspace, never for a user: its policies read the context workspace only.
-- It has no use for who belongs where, nor for the user context.
REVOKE EXECUTE ON FUNCTION app_private.is_context_member(), app_private.context_member_user_ids(),
  app_private.check_workspace_has_owner(), app.current_user_id(), app.current_workspace_role(),
  app.member_workspace_id()
  FROM northstar_worker;
