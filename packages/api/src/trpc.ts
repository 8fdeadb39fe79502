/**
 * YOU PROBABLY DON'T NEED TO EDIT THIS FILE, UNLESS:
 * 1. You want to change what a request's context carries (section 1).
 * 2. You want a new kind of procedure (section 3): most routers only import the procedures.
 */
import { can, type Permission } from "@northstar/core/permissions";
import {
  type Database,
  Prisma,
  type ContextReader,
  type PublicKeyring,
  type Query,
  queryRows,
  type RequestContext,
  type ScopedDb,
  sql,
  type WorkspaceRole,
} from "@northstar/db";
import { slugSchema } from "@northstar/core/schemas";
import { initTRPC, type ProcedureType, TRPCError } from "@trpc/server";
import { transformer } from "@northstar/core/transformer";
import { z, ZodError } from "zod";
import type { SetCookie } from "./auth/cookies.ts";
import { callerKey, type CallLimits, tooManyCalls } from "./call-limits.ts";
import {
  extendSession,
  findSession,
  liveSession,
  needsExtension,
  sessionCookie,
  sessionLookupSql,
  type SessionInfo,
} from "./auth/session.ts";
import { toTRPCError } from "./errors.ts";
import { checkedReader, type MemberHint, MemberHints } from "./member-hints.ts";
import {
  type ApiKeyPrincipal,
  apiKeyLookupSql,
  apiKeyPrincipal,
  apiKeyTouchSql,
  apiKeyUseDue,
} from "./auth/api-key.ts";
import { ImportLinesError } from "./kpi/import.ts";
import type { Billing } from "./billing/config.ts";
import type { ChartCache } from "./kpi/chart-cache.ts";

/**
 * 1. CONTEXT
 *
 * Plain inputs, never a framework request, so tests build it directly. The Database is kept out
 * of reach: the context carries only an opaque key to it, which nothing outside this module can
 * turn back into the Database. Handlers get `ctx.db`, a transaction already scoped to the user
 * (and workspace) by the procedures below, or for hot reads `ctx.read`, and nothing else.
 */
export interface RequestMetadata {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface CreateContextOptions {
  database: Database;
  /** The session cookie's value (or a getter for it, read once when a procedure needs it). */
  sessionToken: string | null | undefined | (() => string | null | undefined);
  request?: Partial<RequestMetadata>;
  /** The time as procedures see it (session expiry, plan history window). */
  clock?: () => Date;
  /** Whether cookies set by procedures carry Secure: everywhere but plain-http localhost. */
  secureCookies?: boolean;
  /** Receives each Set-Cookie header a procedure wants sent (sliding session, sign-out). */
  setCookie?: (cookie: SetCookie) => void;
  /** Seals integration credentials to the worker's public key (the host cannot open them); none: connecting is refused. */
  credentialsKeyring?: PublicKeyring;
  /** Hands work to the integration worker's queue; none: "sync now" only marks the row due. */
  jobs?: Jobs;
  /**
   * Each call's budget and in-flight slot (see call-limits.ts). The host always passes them;
   * none (server-side callers, tests of other things): calls are not limited.
   */
  limits?: CallLimits;
  /** Plans from Stripe, or one configured plan (billing off); none: subscriptions decide, no checkout. */
  billing?: Billing;
  /** Charts this host keeps under their KPI's data version (kpi/chart-cache.ts); none: each is read. */
  charts?: ChartCache;
  /**
   * An API key (the REST API's `Authorization: Bearer`), read instead of a session: workspace
   * procedures then act as the key (apiKeyPrincipalOf). Never set together with a session token.
   */
  apiKey?: string | null;
}

/** What the API asks of the worker's job queue (the host wires it to pg-boss). */
export interface Jobs {
  /** Queues one sync of this integration now; a sync already queued for it absorbs this one. */
  requestSync(job: { workspaceId: string; integrationId: string }): Promise<void>;
}

/** Opaque: names the request's Database, which only this module can look up. */
class DatabaseKey {
  declare private readonly brand: never;
}
const databases = new WeakMap<DatabaseKey, Database>();

export function createTRPCContext(options: CreateContextOptions) {
  const connection = new DatabaseKey();
  databases.set(connection, options.database);
  const source = options.sessionToken;
  let token: string | null | undefined;
  return {
    connection,
    sessionToken: (): string | null => {
      if (token === undefined) token = (typeof source === "function" ? source() : source) ?? null;
      return token;
    },
    request: {
      ip: options.request?.ip ?? null,
      userAgent: options.request?.userAgent ?? null,
      requestId: options.request?.requestId ?? null,
    } satisfies RequestMetadata,
    clock: options.clock ?? (() => new Date()),
    secureCookies: options.secureCookies ?? true,
    setCookie: options.setCookie ?? ((): void => undefined),
    credentialsKeyring: options.credentialsKeyring ?? null,
    jobs: options.jobs ?? null,
    limits: options.limits ?? null,
    billing: options.billing ?? null,
    charts: options.charts ?? null,
    apiKey: options.apiKey ?? null,
    // The key's principal, looked up once per request (see apiKeyPrincipalOf).
    apiKeyLookup: { promise: null as Promise<ApiKeyPrincipal | null> | null },
  };
}

export type Context = ReturnType<typeof createTRPCContext>;

function databaseOf(ctx: Pick<Context, "connection">): Database {
  const database = databases.get(ctx.connection);
  if (!database)
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "The request context has no database." });
  return database;
}

/**
 * 2. INITIALIZATION
 *
 * superjson carries dates (and other non-JSON values) to clients as they are, and charts' columns
 * as JSON text written once (@northstar/core's transformer.ts). Validation errors
 * come back as their rules and flattened per field (`data.zodError`), a rejected import with its
 * bad lines (`data.lineErrors`); unexpected errors come back without their text, which may be
 * the database's.
 */
const t = initTRPC.context<Context>().create({
  transformer,
  // Stacks belong in the host's logs (onError), never in a response.
  isDev: false,
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    let message = shape.message;
    // zod's own message is its issues as JSON; a person reads the rules instead.
    if (zodError) message = zodError.issues.map((issue) => issue.message).join("; ");
    if (error.code === "INTERNAL_SERVER_ERROR") message = "Something went wrong on our side; try again.";
    const lineErrors = error.cause instanceof ImportLinesError ? error.cause.lines : null;
    return {
      ...shape,
      message,
      data: { ...shape.data, zodError: zodError ? z.flattenError(zodError) : null, lineErrors },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

// In a `u` regex a surrogate pair is one code point, so only unpaired halves match.
const loneSurrogate = /[\uD800-\uDFFF]/u;

/**
 * Whether any string (or key) in the input holds half a UTF-16 surrogate pair, as a JSON `\ud800`
 * escape makes. PostgreSQL cannot store one and Prisma's engine fails on it with an unknown error
 * (a 500), so it is refused up front. Iterative: inputs may nest deeper than the stack.
 */
function holdsLoneSurrogate(input: unknown): boolean {
  const pending: unknown[] = [input];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") {
      if (loneSurrogate.test(value)) return true;
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (loneSurrogate.test(key)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

/**
 * 3. PROCEDURES
 *
 * publicProcedure -> authedProcedure (a live session; ctx.db scoped to the user) ->
 * workspaceProcedure(permission) (a member whose role has the permission; ctx.db scoped to the
 * user and the workspace), or workspaceReadProcedure(permission) for hot reads (ctx.read). Each
 * ctx.db call runs in ONE transaction: whatever the handler wrote is rolled back when it fails
 * (tRPC's next() returns errors rather than throwing them, so the transaction rethrows them).
 * Before its transaction or reads, a signed-in call is charged to its user's budget and takes one
 * of their in-flight slots (withinLimits); a call without a session is charged to its address.
 */
export const publicProcedure = t.procedure.use(async ({ getRawInput, next }) => {
  if (holdsLoneSurrogate(await getRawInput())) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "Text must be valid Unicode (a lone surrogate was sent)." });
  }
  return next();
});

/** Refuses a call without a live session: UNAUTHORIZED, or 429 once its address has made too many. */
function signInRequired(ctx: Context): TRPCError {
  const decision = ctx.limits?.charge("anonymous", callerKey.address(ctx.request.ip)) ?? { allowed: true };
  if (!decision.allowed)
    return tooManyCalls(
      `Too many requests from your address; try again in ${decision.retryAfterSeconds} seconds.`,
      decision.retryAfterSeconds,
    );
  return new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
}

/**
 * Runs a signed-in user's call within their limits: one token from their budget for its kind
 * (reads and writes apart), then one of their in-flight slots for as long as it runs. Before
 * the call's transaction or reads, so that a refused call takes no connection.
 */
async function withinLimits<R>(
  ctx: Context,
  userId: string,
  call: { type: ProcedureType; signal: AbortSignal | undefined },
  run: () => Promise<R>,
): Promise<R> {
  const limits = ctx.limits;
  if (!limits) return run();
  const key = callerKey.user(userId);
  const budget = call.type === "mutation" ? "mutation" : "query";
  const decision = limits.charge(budget, key);
  if (!decision.allowed) {
    const what = budget === "mutation" ? "changes" : "requests";
    throw tooManyCalls(
      `Too many ${what} in a short time; try again in ${decision.retryAfterSeconds} seconds.`,
      decision.retryAfterSeconds,
    );
  }
  const slot = await limits.enter(key, call.signal);
  if (!slot) throw tooManyCalls("Too many of your requests are still running; try again in 1 second.", 1);
  try {
    return await run();
  } finally {
    slot.release();
  }
}

const signedInProcedure = publicProcedure.use(async ({ ctx, next, type, signal }) => {
  const token = ctx.sessionToken();
  let session: SessionInfo | null = null;
  if (token) {
    try {
      session = await findSession(databaseOf(ctx), token, ctx.clock());
    } catch (error) {
      throw toTRPCError(error);
    }
  }
  if (!session || !token) throw signInRequired(ctx);
  const signedIn = session;
  return withinLimits(ctx, signedIn.userId, { type, signal }, () =>
    next({ ctx: { session: signedIn, sessionToken: () => token } }),
  );
});

type SignedInContext = Context & { session: SessionInfo };

/**
 * Runs `work` in one transaction for the signed-in user (and workspace, and API key: the database
 * then caps the user's role at the key's scope), sliding the session.
 */
async function inTransaction<R extends { ok: boolean }>(
  ctx: SignedInContext,
  scope: Omit<RequestContext, "userId">,
  work: (db: ScopedDb) => Promise<R>,
): Promise<R> {
  const now = ctx.clock();
  try {
    return await databaseOf(ctx).withContext({ ...scope, userId: ctx.session.userId }, async (db) => {
      if (needsExtension(ctx.session, now)) {
        const token = ctx.sessionToken();
        const expiresAt = await extendSession(db, ctx.session, now);
        // Before the handler, so that a sign-out's cleared cookie comes last.
        if (token) ctx.setCookie(sessionCookie(token, expiresAt, now, ctx.secureCookies));
      }
      const outcome = await work(db);
      if (!outcome.ok && "error" in outcome) throw outcome.error;
      return outcome;
    });
  } catch (error) {
    throw toTRPCError(error);
  }
}

export const authedProcedure = signedInProcedure.use(({ ctx, next }) =>
  inTransaction(ctx, { workspaceId: null }, (db) => next({ ctx: { db } })),
);

/**
 * Like authedProcedure, for a question whose answer tells whether something outside the
 * caller's reach exists (is this workspace URL taken?): budgeted like sign-in, per user and per
 * address, so that it cannot be used to list other tenants' workspaces.
 */
export const existenceCheckProcedure = signedInProcedure
  .use(({ ctx, next }) => {
    for (const key of [callerKey.user(ctx.session.userId), callerKey.address(ctx.request.ip)]) {
      const decision = ctx.limits?.charge("existence", key) ?? { allowed: true };
      if (!decision.allowed)
        throw tooManyCalls(
          `Too many workspace URL checks; try again in ${decision.retryAfterSeconds} seconds.`,
          decision.retryAfterSeconds,
        );
    }
    return next();
  })
  .use(({ ctx, next }) => inTransaction(ctx, { workspaceId: null }, (db) => next({ ctx: { db } })));

export interface WorkspaceMembership {
  id: string;
  slug: string;
  name: string;
  role: WorkspaceRole;
  /** The workspace's IANA time zone: calendar buckets and periods start at its midnight. */
  timeZone: string;
}

const workspaceInput = z
  .object({
    workspaceId: z.uuid({ error: "Workspace id must be a UUID" }).optional(),
    workspaceSlug: slugSchema.optional(),
  })
  .refine((value) => (value.workspaceId === undefined) !== (value.workspaceSlug === undefined), {
    error: "Name the workspace by workspaceId or by workspaceSlug (one of them)",
    path: ["workspaceId"],
  });

/** A workspace procedure's input without the workspace reference, for spreading into a write. */
export function withoutWorkspaceRef<T extends { workspaceId?: string | undefined; workspaceSlug?: string | undefined }>(
  input: T,
): Omit<T, "workspaceId" | "workspaceSlug"> {
  const fields: Partial<T> = { ...input };
  delete fields.workspaceId;
  delete fields.workspaceSlug;
  return fields as Omit<T, "workspaceId" | "workspaceSlug">;
}

interface Member {
  session: SessionInfo;
  token: string;
  workspace: WorkspaceMembership;
  /** The API key the caller acts with, handed to the database context (null: a session). */
  apiKeyId: string | null;
}

/** What an API key may be used for: KPIs and their points, nothing about people or settings. */
const apiKeyPermissions: ReadonlySet<Permission> = new Set<Permission>(["kpi.read", "kpi.write"]);

/**
 * The request's API key as a principal, or null (no key, or one that is malformed, unknown,
 * revoked, or whose creator has left the workspace). Looked up once per request by the definer
 * function (no context exists yet), in the one-round-trip reader; marking the key used is a write
 * of its own, about once a minute per key.
 */
export function apiKeyPrincipalOf(ctx: Context): Promise<ApiKeyPrincipal | null> {
  const key = ctx.apiKey;
  ctx.apiKeyLookup.promise ??= (async () => {
    const lookup = key ? apiKeyLookupSql(key) : null;
    const touch = key ? apiKeyTouchSql(key) : null;
    if (!key || !lookup || !touch) return null;
    try {
      const database = databaseOf(ctx);
      const rows = await queryRows(database.reader({ userId: null, workspaceId: null }), lookup);
      const row = rows[0];
      if (row && apiKeyUseDue(row, ctx.clock()))
        await database.withContext({ userId: null, workspaceId: null }, (db) => queryRows(db, touch));
      return apiKeyPrincipal(key, row);
    } catch (error) {
      throw toTRPCError(error);
    }
  })();
  return ctx.apiKeyLookup.promise;
}

/**
 * A key's caller as a member of its own workspace. Row-level security sees the key's creator
 * with the key's role (its scope's, capped by the creator's; app.api_key_id), which is checked
 * here too, with apiKeyPermissions. A key never slides or names a session: its "session" expires
 * never and has the key's id.
 */
async function resolveKeyMember(
  ctx: Context,
  ref: z.infer<typeof workspaceInput>,
  permission: Permission,
): Promise<Member> {
  const principal = await apiKeyPrincipalOf(ctx);
  if (!principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "The API key is missing, unknown or revoked." });
  const named =
    ref.workspaceId !== undefined
      ? ref.workspaceId === principal.workspaceId
      : ref.workspaceSlug === principal.workspaceSlug;
  // A key knows one workspace: any other is answered as a workspace that does not exist.
  if (!named) throw new TRPCError({ code: "NOT_FOUND", message: "Workspace not found." });
  if (!apiKeyPermissions.has(permission))
    throw new TRPCError({ code: "FORBIDDEN", message: "API keys reach KPIs and their points only; sign in for this." });
  if (!can(principal.role, permission)) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: principal.scopes.includes("write")
        ? "This API key's creator may no longer change data in this workspace; ask an owner or admin for a new key."
        : "This API key may only read; use a key with the write scope to change data.",
    });
  }
  const workspace: WorkspaceMembership = {
    id: principal.workspaceId,
    slug: principal.workspaceSlug,
    name: principal.workspaceName,
    timeZone: principal.workspaceTimeZone,
    role: principal.role,
  };
  const session: SessionInfo = { id: principal.keyId, userId: principal.userId, expiresAt: keyNeverExpires };
  return { session, token: "", workspace, apiKeyId: principal.keyId };
}

// Far enough that needsExtension never slides a key's "session".
const keyNeverExpires = new Date(8_640_000_000_000_000);

/**
 * The statements that read the caller's session and membership of the named workspace together, in
 * one round trip: the first finds the session and makes its user the context user, so the second
 * reads the membership under that user's row-level security.
 */
function memberStatements(
  lookup: Query<SessionInfo>,
  ref: z.infer<typeof workspaceInput>,
): readonly [Query<SessionInfo>, Query<WorkspaceMembership>] {
  const match =
    ref.workspaceId !== undefined
      ? Prisma.sql`w.id = ${ref.workspaceId}::uuid`
      : Prisma.sql`w.slug = ${ref.workspaceSlug ?? ""}`;
  return [
    sql<SessionInfo>`SELECT s.*, set_config('app.user_id', s."userId", true) FROM (${lookup}) AS s`,
    sql<WorkspaceMembership>`
      SELECT w.id::text AS id, w.slug, w.name, wu.role::text AS role, w.time_zone AS "timeZone"
        FROM workspaces AS w
        JOIN workspace_users AS wu ON wu.workspace_id = w.id AND wu.user_id = app.current_user_id()
       WHERE ${match}`,
  ];
}

/**
 * What memberStatements' rows say: the caller as a member, or the refusal. UNAUTHORIZED without a
 * live session, NOT_FOUND for a workspace the caller is not in (or that does not exist), FORBIDDEN
 * for a role without the permission.
 */
function memberFrom(
  ctx: Context,
  token: string,
  rows: { sessions: SessionInfo[]; memberships: WorkspaceMembership[] },
  permission: Permission,
): Member {
  const session = liveSession(rows.sessions[0], ctx.clock());
  if (!session) throw signInRequired(ctx);
  const found = rows.memberships[0];
  // Never reveal that a workspace exists to someone outside it.
  if (!found) throw new TRPCError({ code: "NOT_FOUND", message: "Workspace not found." });
  if (!can(found.role, permission)) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `Your role in this workspace (${found.role}) does not allow this; ask an owner or admin.`,
    });
  }
  const workspace = { id: found.id, slug: found.slug, name: found.name, role: found.role, timeZone: found.timeZone };
  return { session, token, workspace, apiKeyId: null };
}

/**
 * The caller's session and membership of the named workspace (memberStatements, memberFrom).
 * A request with an API key instead: see resolveKeyMember.
 */
async function resolveMember(
  ctx: Context,
  ref: z.infer<typeof workspaceInput>,
  permission: Permission,
): Promise<Member> {
  if (ctx.apiKey !== null) return resolveKeyMember(ctx, ref, permission);
  const token = ctx.sessionToken();
  const lookup = token ? sessionLookupSql(token) : null;
  if (!token || !lookup) throw signInRequired(ctx);
  let sessions: SessionInfo[];
  let memberships: WorkspaceMembership[];
  try {
    [sessions, memberships] = await databaseOf(ctx)
      .reader({ userId: null, workspaceId: null })
      .batch(...memberStatements(lookup, ref));
  } catch (error) {
    throw toTRPCError(error);
  }
  return memberFrom(ctx, token, { sessions, memberships }, permission);
}

// What this host last read of a session's membership, for read procedures (member-hints.ts).
const memberHints = new MemberHints<WorkspaceMembership>();

/** Whether two reads of a member say the same, field by field. */
function sameMember(a: MemberHint<WorkspaceMembership>, b: MemberHint<WorkspaceMembership>): boolean {
  return (
    a.session.id === b.session.id &&
    a.session.userId === b.session.userId &&
    a.session.expiresAt.getTime() === b.session.expiresAt.getTime() &&
    a.workspace.id === b.workspace.id &&
    a.workspace.slug === b.workspace.slug &&
    a.workspace.name === b.workspace.name &&
    a.workspace.role === b.workspace.role &&
    a.workspace.timeZone === b.workspace.timeZone
  );
}

/** A member whose role has `permission`; the handler's `ctx.db` is one transaction in the user's and workspace's context. */
export function workspaceProcedure(permission: Permission) {
  return publicProcedure.input(workspaceInput).use(async ({ ctx, input, next, type, signal }) => {
    const { session, token, workspace, apiKeyId } = await resolveMember(ctx, input, permission);
    const signedIn = { ...ctx, session, sessionToken: () => token };
    return withinLimits(ctx, session.userId, { type, signal }, () =>
      inTransaction(signedIn, { workspaceId: workspace.id, apiKeyId }, (db) =>
        next({ ctx: { session, sessionToken: signedIn.sessionToken, db, workspace } }),
      ),
    );
  });
}

/**
 * For hot reads: like workspaceProcedure, but the handler gets `ctx.read`, a one-round-trip
 * reader in the user's and workspace's context (read-only; `read.batch` for several statements
 * in one snapshot) instead of a Prisma transaction. A call this host has seen before from the
 * same session, for the same workspace by id, reads the session and membership in the handler's
 * first round trip instead of one of their own (member-hints.ts).
 */
export function workspaceReadProcedure(permission: Permission) {
  return publicProcedure.input(workspaceInput).use(async ({ ctx, input, next, type, signal }) => {
    const database = databaseOf(ctx);
    const now = ctx.clock();
    // The handler as `member`; its reader's refusals (input the database rejects) are mapped as
    // inTransaction maps them, not left a 500.
    const runAs = async (member: Member, read?: ContextReader) => {
      const { session, token, workspace, apiKeyId } = member;
      const result = await next({
        ctx: {
          session,
          sessionToken: () => token,
          workspace,
          read: read ?? database.reader({ userId: session.userId, workspaceId: workspace.id, apiKeyId }),
        },
      });
      return { result, error: result.ok ? null : toTRPCError(result.error) };
    };
    const outcomeOf = ({ result, error }: Awaited<ReturnType<typeof runAs>>) => {
      if (error) throw error;
      return result;
    };
    // Sliding the session is a write: its own short transaction, about once in 15 days per session.
    const slide = async (member: Member) => {
      if (needsExtension(member.session, now))
        await inTransaction(
          { ...ctx, session: member.session, sessionToken: () => member.token },
          { workspaceId: null },
          () => Promise.resolve({ ok: true }),
        );
    };

    const token = ctx.apiKey === null ? ctx.sessionToken() : null;
    const lookup = token ? sessionLookupSql(token) : null;
    const hint = token && lookup ? memberHints.get(token, input.workspaceId) : null;
    // Sliding the session is a write, and a role without the permission is refused the long way.
    if (token && lookup && hint && !needsExtension(hint.session, now) && can(hint.workspace.role, permission)) {
      const hinted: Member = { ...hint, token, apiKeyId: null };
      return withinLimits(ctx, hint.session.userId, { type, signal }, async () => {
        const checked = checkedReader({
          unchecked: database.reader({ userId: null, workspaceId: hint.workspace.id }),
          checked: database.reader({ userId: hint.session.userId, workspaceId: hint.workspace.id }),
          statements: memberStatements(lookup, input),
          memberOf: (sessions, memberships) => memberFrom(ctx, token, { sessions, memberships }, permission),
          agrees: (member) => sameMember(member, hint),
        });
        const run = await runAs(hinted, checked.read);
        let member: Member;
        try {
          member = await checked.settled();
        } catch (error) {
          memberHints.forget(token, hint.workspace.id);
          throw toTRPCError(error);
        }
        if (sameMember(member, hint)) return outcomeOf(run);
        // Something about the session or workspace changed: the call again, as read.
        memberHints.remember(token, { session: member.session, workspace: member.workspace });
        await slide(member);
        return outcomeOf(await runAs(member));
      });
    }

    const member = await resolveMember(ctx, input, permission);
    if (token && member.apiKeyId === null && input.workspaceId !== undefined)
      memberHints.remember(token, { session: member.session, workspace: member.workspace });
    return withinLimits(ctx, member.session.userId, { type, signal }, async () => {
      await slide(member);
      return outcomeOf(await runAs(member));
    });
  });
}
