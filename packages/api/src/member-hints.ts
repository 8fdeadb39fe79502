import { createHash } from "node:crypto";
import type { ContextReader, Query, RowsOfEach } from "@northstar/db";
import { LRUCache } from "lru-cache";
import type { SessionInfo } from "./auth/session.ts";

// A hot read's session and membership, checked in the read's own round trip. A read procedure
// (trpc.ts, workspaceReadProcedure) first learns who the caller is and what they are in the
// workspace, then reads: two round trips, each a transaction, a socket write and a wake-up on both
// sides (for a kept chart, one round trip instead of two gave about 8% more calls/s on the bench's
// quick size). This host remembers what the first round trip said, per session and workspace: a hint,
// never an answer. The handler's first statements go out behind the same session and membership
// statements, in the same transaction and snapshot, with the user set by the session statement
// itself; nothing the handler read reaches it until those rows agree with the hint. A signed-out
// session, a removed member or a lost permission are refused as on the first call; any other
// change (a renamed workspace, a new time zone, a slid session) runs the call again the long way.

export interface MemberHint<Workspace> {
  session: SessionInfo;
  workspace: Workspace;
}

/** Hints by session token (its hash) and workspace id: bounded, and dropped when unused. */
export class MemberHints<Workspace extends { id: string }> {
  private readonly hints = new LRUCache<string, MemberHint<Workspace>>({ max: 10_000, ttl: 15 * 60_000 });

  private static key(token: string, workspaceId: string): string {
    // The token is a secret: only its hash is kept.
    return `${createHash("sha256").update(token).digest("base64url")} ${workspaceId}`;
  }

  get(token: string | null, workspaceId: string | undefined): MemberHint<Workspace> | null {
    if (!token || workspaceId === undefined) return null;
    return this.hints.get(MemberHints.key(token, workspaceId)) ?? null;
  }

  remember(token: string, hint: MemberHint<Workspace>): void {
    this.hints.set(MemberHints.key(token, hint.workspace.id), hint);
  }

  forget(token: string, workspaceId: string): void {
    this.hints.delete(MemberHints.key(token, workspaceId));
  }
}

/** What a checked reader needs: the two readers, the two statements and what to make of their rows. */
export interface MemberCheck<Member, Membership> {
  /** A reader with no user: the session statement sets it, for the rest of the transaction. */
  unchecked: ContextReader;
  /** A reader as the hinted user, for the reads after the first. */
  checked: ContextReader;
  statements: readonly [Query<SessionInfo>, Query<Membership>];
  /** The member the rows say, or throws the refusal (UNAUTHORIZED, NOT_FOUND, FORBIDDEN). */
  memberOf(sessions: SessionInfo[], memberships: Membership[]): Member;
  /** Whether the member as read is the hint the call started from. */
  agrees(member: Member): boolean;
}

/** Thrown into a handler whose hint was out of date: its call runs again the long way. */
export class StaleMemberHint extends Error {
  constructor() {
    super("The session or membership changed since this host last saw it.");
    this.name = "StaleMemberHint";
  }
}

type Outcome<Member> = { ok: true; member: Member; agreed: boolean } | { ok: false; error: unknown };

/**
 * A reader whose first round trip also reads the session and membership (see the header), and
 * `settled`, which tells the call's outcome: the member as read (read alone if the handler read
 * nothing), or the refusal thrown.
 */
export function checkedReader<Member, Membership>(
  check: MemberCheck<Member, Membership>,
): {
  read: ContextReader;
  settled(): Promise<Member>;
} {
  let outcome: Outcome<Member> | null = null;

  async function first<const Q extends readonly Query<unknown>[]>(queries: Q): Promise<RowsOfEach<Q>> {
    const [sessions, memberships, ...rows] = await check.unchecked.batch(...check.statements, ...queries);
    let member: Member;
    try {
      member = check.memberOf(sessions, memberships);
    } catch (error) {
      outcome = { ok: false, error };
      throw error;
    }
    outcome = { ok: true, member, agreed: check.agrees(member) };
    if (!outcome.agreed) throw new StaleMemberHint();
    // The rows after the two checks are the handler's, in its queries' order.
    return rows;
  }

  // Once checked, reads go as the user the check found (the hint's: the session is the same).
  function checkedUser(): boolean {
    if (outcome?.ok && !outcome.agreed) throw new StaleMemberHint();
    return outcome?.ok === true;
  }

  const read: ContextReader = {
    context: check.checked.context,
    $queryRaw: async <T>(query: Query<unknown>) =>
      checkedUser() ? check.checked.$queryRaw<T>(query) : ((await first([query]))[0] as T),
    batch: async <const Q extends readonly Query<unknown>[]>(...queries: Q) =>
      checkedUser() ? check.checked.batch(...queries) : first(queries),
  };

  return {
    read,
    async settled() {
      if (outcome?.ok) return outcome.member;
      if (outcome) throw outcome.error;
      // The handler read nothing, or its round trip failed: ask alone, so that a refusal is told as one.
      const [sessions, memberships] = await check.unchecked.batch(...check.statements);
      return check.memberOf(sessions, memberships);
    },
  };
}
