import { randomUUID } from "node:crypto";
import {
  type Database,
  generateKeyPair,
  type Keyring,
  parseKeyring,
  parsePublicKeyring,
  type Plan,
  type PublicKeyring,
  type WorkspaceRole,
} from "@northstar/db";
import { createUser, operatorTransaction } from "@northstar/db/testing";
import { type TestContext, useTestDatabase } from "@northstar/db/testing/vitest";
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { createAuth, type SetCookie } from "../src/auth/index.ts";
import type { ChartCache } from "../src/kpi/chart-cache.ts";
import { appRouter } from "../src/root.ts";
import { createCallerFactory, createTRPCContext } from "../src/trpc.ts";

/** A superuser pool: the operator's hand, never the code under test's. */
export type AdminPool = TestContext["admin"];
export type ApiTestContext = TestContext;
export const useApiDatabase = useTestDatabase;

export { createUser };

const createCaller = createCallerFactory(appRouter);

const testKeyPair = generateKeyPair("test-current");
/** The public key every test caller seals integration credentials to (a fresh pair per run), as the host holds it. */
export const testKeyring: PublicKeyring = parsePublicKeyring(testKeyPair.publicKey);
/** Its private key, as only the worker holds it: tests open what the API sealed with it. */
export const testOpeningKeyring: Keyring = parseKeyring(testKeyPair.privateKey);

export interface CallerOptions {
  clock?: () => Date;
  cookies?: SetCookie[];
  /** null: a server without a keyring. */
  keyring?: PublicKeyring | null;
  /** The host's kept charts; none: each is read. */
  charts?: ChartCache;
}

/** A caller as the holder of `token` (or nobody), through a real context. */
export function callerFor(database: Database, token: string | null, options: CallerOptions = {}) {
  return createCaller(
    createTRPCContext({
      database,
      sessionToken: token,
      request: { ip: "127.0.0.1", userAgent: "vitest" },
      secureCookies: false,
      ...(options.clock ? { clock: options.clock } : {}),
      setCookie: (cookie) => options.cookies?.push(cookie),
      ...(options.keyring === null ? {} : { credentialsKeyring: options.keyring ?? testKeyring }),
      ...(options.charts ? { charts: options.charts } : {}),
    }),
  );
}

export type Caller = ReturnType<typeof callerFor>;

/** A session for an existing user, through the real (development) sign-in. */
export async function signIn(database: Database, userId: string, clock?: () => Date): Promise<string> {
  const auth = createAuth({
    database,
    config: {
      baseUrl: "http://localhost:3000",
      secret: "a-test-secret-that-is-long-enough-1234",
      providers: {},
      developmentSignIn: true,
    },
    ...(clock ? { clock } : {}),
  });
  return (await auth.developmentSignIn(userId)).sessionToken;
}

/** A user with a session and a caller. */
export async function signedInUser(ctx: ApiTestContext, name: string) {
  const user = await createUser(ctx.admin, name);
  const token = await signIn(ctx.db, user.id);
  return { ...user, token, caller: callerFor(ctx.db, token) };
}

export type SignedInUser = Awaited<ReturnType<typeof signedInUser>>;

/** A workspace of three signed-in users, "Owner", "Member" and "Viewer", in those roles. */
export async function ownerMemberViewer(ctx: ApiTestContext) {
  const [owner, member, viewer] = (await Promise.all(
    ["Owner", "Member", "Viewer"].map((name) => signedInUser(ctx, name)),
  )) as [SignedInUser, SignedInUser, SignedInUser];
  const workspace = await createWorkspace(ctx.admin, [
    [owner.id, "OWNER"],
    [member.id, "MEMBER"],
    [viewer.id, "VIEWER"],
  ]);
  return { owner, member, viewer, ws: { workspaceId: workspace.id } };
}

/** A workspace with the given members, arranged by the operator. */
export async function createWorkspace(
  admin: AdminPool,
  members: [string, WorkspaceRole][],
): Promise<{ id: string; slug: string }> {
  const id = randomUUID();
  const slug = `ws-${id.slice(0, 8)}`;
  await operatorTransaction(admin, async (client) => {
    await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, $2, $3)", [id, `Workspace ${slug}`, slug]);
    for (const [userId, role] of members) {
      await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, $3)", [
        id,
        userId,
        role,
      ]);
    }
  });
  return { id, slug };
}

export async function giveSubscription(admin: AdminPool, userId: string, plan: Plan): Promise<void> {
  await admin.query(
    `INSERT INTO subscriptions (user_id, plan, current_period_start, current_period_end)
     VALUES ($1, $2, now() - interval '1 day', now() + interval '30 days')`,
    [userId, plan],
  );
}

/** Awaits a call expected to fail and returns its TRPCError. */
export async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  if (!(error instanceof TRPCError)) throw new Error("expected a TRPCError");
  return error;
}

export async function expectCode(promise: Promise<unknown>, code: TRPCError["code"]): Promise<TRPCError> {
  const error = await trpcError(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}
