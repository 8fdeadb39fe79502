import { createHash, randomBytes } from "node:crypto";
import { type Database, type Query, queryRows, type ScopedDb, sql } from "@northstar/db";
import { cookieNameFor, cookieValues, serializeCookie, type SetCookie } from "./cookies.ts";

// Sessions: a random 32-byte token lives only in the client's cookie; the database keeps its
// SHA-256. They last 30 days and slide: a session used when less than half of that remains is
// extended. Signing out deletes the row.

/** The session cookie's name on plain-http localhost; wherever cookies are Secure, see sessionCookieNameFor. */
export const sessionCookieName = "northstar_session";

/** `__Host-northstar_session` wherever cookies are Secure, so that no sibling host can plant one. */
export function sessionCookieNameFor(secure: boolean): string {
  return cookieNameFor(sessionCookieName, secure);
}

/**
 * The session cookie a request carries. Two of them mean a cookie we did not set shadows ours
 * (planted by a sibling host or an old path): neither can be trusted to be the person's own.
 */
export type SessionCookie = { kind: "none" } | { kind: "one"; token: string } | { kind: "several" };

export function sessionCookieFrom(cookieHeader: string | null | undefined, secure: boolean): SessionCookie {
  const [token, ...others] = cookieValues(cookieHeader, sessionCookieNameFor(secure));
  if (token === undefined) return { kind: "none" };
  return others.length === 0 ? { kind: "one", token } : { kind: "several" };
}
export const sessionTtlMs = 30 * 24 * 60 * 60 * 1000;

export interface SessionInfo {
  id: string;
  userId: string;
  expiresAt: Date;
}

const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSessionToken(token: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(createHash("sha256").update(token).digest());
}

/**
 * The statement that finds a token's session (id, "userId", "expiresAt"), or null for a malformed
 * token. Before any user context: only the definer function may look a session up by its hash.
 */
export function sessionLookupSql(token: string): Query<SessionInfo> | null {
  if (!tokenPattern.test(token)) return null;
  return sql<SessionInfo>`SELECT session_id::text AS id, user_id::text AS "userId", expires_at AS "expiresAt"
    FROM app.session_for_token(${hashSessionToken(token)})`;
}

/** The session if it is still live at `now`. */
export function liveSession(session: SessionInfo | undefined, now: Date): SessionInfo | null {
  return session && session.expiresAt.getTime() > now.getTime()
    ? { id: session.id, userId: session.userId, expiresAt: session.expiresAt }
    : null;
}

/** The live session a token names, or null (unknown, revoked, malformed or expired at `now`). */
export async function findSession(database: Database, token: string, now: Date): Promise<SessionInfo | null> {
  const lookup = sessionLookupSql(token);
  if (!lookup) return null;
  const rows = await queryRows(database.reader({ userId: null, workspaceId: null }), lookup);
  return liveSession(rows[0], now);
}

/** Creates a session for the context user (db must be scoped to that user). */
export async function createSession(
  db: ScopedDb,
  userId: string,
  now: Date,
  userAgent: string | null,
): Promise<{ token: string; expiresAt: Date }> {
  const token = newSessionToken();
  const expiresAt = new Date(now.getTime() + sessionTtlMs);
  await db.session.create({
    data: {
      userId,
      tokenHash: hashSessionToken(token),
      expiresAt,
      lastUsedAt: now,
      userAgent: userAgent?.slice(0, 512) ?? null,
    },
    select: { id: true },
  });
  return { token, expiresAt };
}

export function needsExtension(session: SessionInfo, now: Date): boolean {
  return session.expiresAt.getTime() - now.getTime() < sessionTtlMs / 2;
}

/** Slides the session's expiry; returns the new one. */
export async function extendSession(db: ScopedDb, session: SessionInfo, now: Date): Promise<Date> {
  const expiresAt = new Date(now.getTime() + sessionTtlMs);
  await db.session.updateMany({ where: { id: session.id }, data: { expiresAt, lastUsedAt: now } });
  return expiresAt;
}

export function sessionCookie(token: string, expiresAt: Date, now: Date, secure: boolean): SetCookie {
  return serializeCookie(sessionCookieNameFor(secure), token, {
    secure,
    maxAgeSeconds: (expiresAt.getTime() - now.getTime()) / 1000,
  });
}

export function clearedSessionCookie(secure: boolean): SetCookie {
  return serializeCookie(sessionCookieNameFor(secure), "", { secure, maxAgeSeconds: 0 });
}
