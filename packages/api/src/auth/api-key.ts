import { createHash, randomBytes } from "node:crypto";
import { can, type WorkspaceRole } from "@northstar/core/permissions";
import { type ApiKeyScope, apiKeyScopes } from "@northstar/core/schemas";
import { type Query, sql } from "@northstar/db";

// API keys for the public REST API: `ns_live_<public id>_<secret>`. The secret is 32 random bytes,
// so the database keeps a plain SHA-256 of the whole key (a slow hash buys nothing against that
// entropy) and the 12-character public id, which lists show so that people can tell keys apart
// and find one in a log without the secret. A key acts for the person who created it, in its
// workspace only, with at most its scope's role: `read` a VIEWER's, `write` a MEMBER's. The API
// checks that role, and so does row-level security: the key's id goes into the request's database
// context (app.api_key_id), which caps the creator's role there the same way (migration
// 20261130001200_api_key_scope) and refuses everything once the key is revoked.

const keyPrefix = "ns_live_";
const publicIdAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
const keyPattern = /^ns_live_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** A new key (shown once) with what the database keeps of it. */
export function newApiKey(): { key: string; publicId: string; tokenHash: Uint8Array<ArrayBuffer> } {
  const idBytes = randomBytes(12);
  const publicId = Array.from(idBytes, (byte) => publicIdAlphabet[byte % 32]).join("");
  const key = `${keyPrefix}${publicId}_${randomBytes(32).toString("base64url")}`;
  return { key, publicId, tokenHash: hashApiKey(key) };
}

export function hashApiKey(key: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(createHash("sha256").update(key).digest());
}

/** The public id of a well-formed key, or null. */
export function apiKeyPublicId(key: string): string | null {
  return keyPattern.exec(key)?.[1] ?? null;
}

/** What a live key may do, as found by app.api_key_for_token. */
export interface ApiKeyPrincipal {
  keyId: string;
  publicId: string;
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  /** The workspace's time zone: its days and months, and dates without an offset. */
  workspaceTimeZone: string;
  /** The key's creator: row-level security sees the key's requests as theirs, capped by keyId's scope. */
  userId: string;
  scopes: ApiKeyScope[];
  /** The role the key acts with: its scope's, never more than its creator's role today. */
  role: WorkspaceRole;
}

export interface ApiKeyRow {
  keyId: string;
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  workspaceTimeZone: string;
  userId: string;
  scopes: string[];
  creatorRole: WorkspaceRole | null;
  lastUsedAt: Date | null;
}

/**
 * The statement that finds a key's row, or null for a malformed key. Before any context: only
 * the definer function may look a key up by its hash.
 */
export function apiKeyLookupSql(key: string): Query<ApiKeyRow> | null {
  const publicId = apiKeyPublicId(key);
  if (!publicId) return null;
  return sql<ApiKeyRow>`SELECT key_id::text AS "keyId", workspace_id::text AS "workspaceId",
      workspace_slug AS "workspaceSlug", workspace_name AS "workspaceName",
      workspace_time_zone AS "workspaceTimeZone", user_id::text AS "userId",
      scopes, creator_role AS "creatorRole", last_used_at AS "lastUsedAt"
    FROM app.api_key_for_token(${publicId}, ${hashApiKey(key)})`;
}

/** How often a key's last use is written: a busy key costs one write a minute, not one a request. */
export const apiKeyUseResolutionMs = 60_000;

/** Whether a key found at `now` should be marked used (app.touch_api_key writes at most once a minute). */
export function apiKeyUseDue(row: ApiKeyRow, now: Date): boolean {
  return !row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= apiKeyUseResolutionMs;
}

/** The statement that marks a key used (a no-op within a minute of the last mark), or null for a malformed key. */
export function apiKeyTouchSql(key: string): Query<{ touched: boolean }> | null {
  const publicId = apiKeyPublicId(key);
  if (!publicId) return null;
  return sql<{ touched: boolean }>`SELECT app.touch_api_key(${publicId}, ${hashApiKey(key)}) AS touched`;
}

const roleRank: Record<WorkspaceRole, number> = { VIEWER: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };

/**
 * The principal of a found key, or null when it may not act: its creator has left the workspace.
 * A creator demoted to VIEWER takes the key's writes with them.
 */
export function apiKeyPrincipal(key: string, row: ApiKeyRow | undefined): ApiKeyPrincipal | null {
  const publicId = apiKeyPublicId(key);
  if (!row || !publicId || !row.creatorRole) return null;
  const scopes = apiKeyScopes.filter((scope) => row.scopes.includes(scope));
  const scopeRole: WorkspaceRole = scopes.includes("write") ? "MEMBER" : "VIEWER";
  const role = roleRank[row.creatorRole] < roleRank[scopeRole] ? row.creatorRole : scopeRole;
  if (!can(role, "kpi.read")) return null;
  return {
    keyId: row.keyId,
    publicId,
    workspaceId: row.workspaceId,
    workspaceSlug: row.workspaceSlug,
    workspaceName: row.workspaceName,
    workspaceTimeZone: row.workspaceTimeZone,
    userId: row.userId,
    scopes,
    role,
  };
}
