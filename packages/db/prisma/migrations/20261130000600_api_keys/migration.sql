-- API keys for the public REST API (/api/v1), and the source its point writes are stored under.
--
-- A key is `ns_live_<public id>_<secret>`: 32 random bytes, so its SHA-256 is all that is kept
-- (a slow hash buys nothing against a secret of that entropy). The public id is shown in lists,
-- so people can tell keys apart without the secret. OWNERs and ADMINs of the context workspace
-- read, create and revoke keys; nobody reads another workspace's keys. A request with a key has
-- no user context yet: it is looked up by app.api_key_for_token, a SECURITY DEFINER function,
-- as sessions are by app.session_for_token, never through a policy that reads every workspace's keys.
-- So public_id and token_hash are unique across workspaces (unique indexes, not constraints): on a
-- database distributed by workspace_id, the lookup would need this table local or a reference table.

-- CreateEnum
CREATE TYPE "ApiKeyScope" AS ENUM ('read', 'write');

-- AlterEnum: points pushed through the API are their own source, so a push is idempotent per
-- (KPI, timestamp) without overwriting what the web form, an import or an integration wrote.
ALTER TYPE "DataPointSource" ADD VALUE 'API';

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "name" VARCHAR(80) NOT NULL,
    "public_id" VARCHAR(16) NOT NULL,
    "token_hash" BYTEA NOT NULL,
    "scopes" "ApiKeyScope"[],
    "created_by" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(6),
    "revoked_at" TIMESTAMPTZ(6),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("workspace_id","id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_public_id_key" ON "api_keys"("public_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_token_hash_key" ON "api_keys"("token_hash");

-- CreateIndex
CREATE INDEX "api_keys_created_by_idx" ON "api_keys"("created_by");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_created_by_fkey" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE RESTRICT;

ALTER TABLE api_keys
  ADD CONSTRAINT api_keys_name_not_blank CHECK (btrim(name) <> ''),
  ADD CONSTRAINT api_keys_scopes_given CHECK (scopes IS NOT NULL AND cardinality(scopes) >= 1),
  ADD CONSTRAINT api_keys_public_id_shape CHECK (public_id ~ '^[a-z0-9]{12}$'),
  ADD CONSTRAINT api_keys_token_hash_length CHECK (octet_length(token_hash) = 32);

-- Row-level security: the context workspace's OWNERs and ADMINs only, as for integrations.
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_select ON api_keys FOR SELECT TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id())
         AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN'));
CREATE POLICY api_keys_insert ON api_keys FOR INSERT TO northstar_app
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id())
              AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN')
              AND created_by = (SELECT app.current_user_id()));
CREATE POLICY api_keys_update ON api_keys FOR UPDATE TO northstar_app
  USING (workspace_id = (SELECT app.current_workspace_id())
         AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN'))
  WITH CHECK (workspace_id = (SELECT app.current_workspace_id())
              AND (SELECT app.current_workspace_role()) IN ('OWNER', 'ADMIN'));

-- Grants: the API lists keys without their hash, creates them, and revokes them (an update of
-- revoked_at only); a key is never deleted by the API, so its history stays readable.
GRANT SELECT (workspace_id, id, name, public_id, scopes, created_by, created_at, last_used_at, revoked_at)
  ON api_keys TO northstar_app;
GRANT INSERT (workspace_id, name, public_id, token_hash, scopes, created_by) ON api_keys TO northstar_app;
GRANT UPDATE (revoked_at) ON api_keys TO northstar_app;

-- The live key a token names, with the workspace it acts in (id, slug, name), the user who
-- created it and that user's role there now (NULL once they left: the caller refuses the key),
-- and when it was last used. Knowing the secret is the proof, so this is asked before any
-- context exists. STABLE, so that it runs in the one-round-trip read-only reader on every request.
CREATE OR REPLACE FUNCTION app.api_key_for_token(key_public_id text, hash bytea)
  RETURNS TABLE (key_id uuid, workspace_id uuid, workspace_slug text, workspace_name text,
                 workspace_time_zone text, user_id uuid,
                 scopes text[], creator_role text, last_used_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT k.id, k.workspace_id, w.slug::text, w.name::text, w.time_zone::text, k.created_by, k.scopes::text[], wu.role::text,
         k.last_used_at
    FROM public.api_keys AS k
    JOIN public.workspaces AS w ON w.id = k.workspace_id
    LEFT JOIN public.workspace_users AS wu ON wu.workspace_id = k.workspace_id AND wu.user_id = k.created_by
   WHERE k.public_id = key_public_id AND k.token_hash = hash AND k.revoked_at IS NULL
$$;

-- Marks a live key used, at most once a minute (the caller asks only when the lookup's
-- last_used_at is older), so that a busy key does not write a row per request. Again the secret
-- is the proof.
-- Answers whether it wrote.
CREATE OR REPLACE FUNCTION app.touch_api_key(key_public_id text, hash bytea) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
  WITH touched AS (
    UPDATE public.api_keys AS k SET last_used_at = now()
     WHERE k.public_id = key_public_id AND k.token_hash = hash AND k.revoked_at IS NULL
       AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
    RETURNING 1)
  SELECT EXISTS (SELECT FROM touched)
$$;

ALTER FUNCTION app.api_key_for_token(text, bytea) OWNER TO northstar_definer;
ALTER FUNCTION app.touch_api_key(text, bytea) OWNER TO northstar_definer;
GRANT SELECT ON api_keys TO northstar_definer;
GRANT UPDATE (last_used_at) ON api_keys TO northstar_definer;
REVOKE ALL ON FUNCTION app.api_key_for_token(text, bytea), app.touch_api_key(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.api_key_for_token(text, bytea), app.touch_api_key(text, bytea) TO northstar_app;
