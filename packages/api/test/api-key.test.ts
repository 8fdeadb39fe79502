import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, test } from "vitest";
import { appRouter } from "../src/root.ts";
import { apiKeyPrincipalOf, createCallerFactory, createTRPCContext } from "../src/trpc.ts";
import { type ApiTestContext, ownerMemberViewer, useApiDatabase } from "./support.ts";

// API keys through the API's own procedures: made, listed and revoked by owners and admins; a
// key acts in its workspace with its scope's role, never beyond its creator's role today, and
// only on KPIs; a revoked key, or one whose creator left, is refused.

const ctx = useApiDatabase();
const createCaller = createCallerFactory(appRouter);
let team: Awaited<ReturnType<typeof ownerMemberViewer>>;

function keyCaller(key: string) {
  return createCaller(createTRPCContext({ database: ctx().db, sessionToken: null, apiKey: key }));
}

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (error === null) return null;
  if (error instanceof TRPCError) return error.code;
  throw error instanceof Error ? error : new Error("a refusal that is not an Error");
}

async function setRole(context: ApiTestContext, userId: string, role: string | null) {
  if (role === null)
    await context.admin.query("DELETE FROM workspace_users WHERE workspace_id = $1 AND user_id = $2", [
      team.ws.workspaceId,
      userId,
    ]);
  else
    await context.admin.query(`UPDATE workspace_users SET "role" = $3 WHERE workspace_id = $1 AND user_id = $2`, [
      team.ws.workspaceId,
      userId,
      role,
    ]);
}

beforeAll(async () => {
  team = await ownerMemberViewer(ctx());
});

describe("apiKey procedures", () => {
  test("only owners and admins make keys; the key is answered once and never listed", async () => {
    expect(await codeOf(team.member.caller.apiKey.create({ ...team.ws, name: "Mine", scopes: ["write"] }))).toBe(
      "FORBIDDEN",
    );
    const created = await team.owner.caller.apiKey.create({ ...team.ws, name: "Export", scopes: ["read", "read"] });
    expect(created.key.startsWith(`ns_live_${created.publicId}_`)).toBe(true);
    const listed = await team.owner.caller.apiKey.list(team.ws);
    expect(listed).toEqual([
      expect.objectContaining({ id: created.id, name: "Export", scopes: ["read"], lastUsedAt: null, revokedAt: null }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(await codeOf(team.owner.caller.apiKey.revoke({ ...team.ws, keyId: crypto.randomUUID() }))).toBe("NOT_FOUND");
    await team.owner.caller.apiKey.revoke({ ...team.ws, keyId: created.id });
    await team.owner.caller.apiKey.revoke({ ...team.ws, keyId: created.id });
    expect(await codeOf(keyCaller(created.key).kpi.list(team.ws))).toBe("UNAUTHORIZED");
  });
});

describe("a key's calls", () => {
  test("act in the key's workspace only, on KPIs only, with the scope's role", async () => {
    const { key } = await team.owner.caller.apiKey.create({ ...team.ws, name: "Writer", scopes: ["write"] });
    const reader = (await team.owner.caller.apiKey.create({ ...team.ws, name: "Reader", scopes: ["read"] })).key;
    const asKey = keyCaller(key);
    const kpi = await asKey.kpi.create({ ...team.ws, name: "Signups", aggregation: "SUM" });
    expect(kpi.aggregation).toBe("SUM");
    expect(await codeOf(keyCaller(reader).kpi.create({ ...team.ws, name: "Nope" }))).toBe("FORBIDDEN");
    expect((await keyCaller(reader).kpi.list(team.ws)).items.map((item) => item.id)).toEqual([kpi.id]);
    // Not the members, the workspace, or the keys: those are a person's.
    expect(await codeOf(asKey.workspace.members.list(team.ws))).toBe("FORBIDDEN");
    expect(await codeOf(asKey.workspace.members.leave(team.ws))).toBe("FORBIDDEN");
    expect(await codeOf(asKey.apiKey.list(team.ws))).toBe("FORBIDDEN");
    expect(await codeOf(asKey.me.get())).toBe("UNAUTHORIZED");
    // Another workspace does not exist for it.
    expect(await codeOf(asKey.kpi.list({ workspaceId: crypto.randomUUID() }))).toBe("NOT_FOUND");
    expect(await codeOf(keyCaller("ns_live_aaaaaaaaaaaa_" + "A".repeat(43)).kpi.list(team.ws))).toBe("UNAUTHORIZED");
  });

  test("never exceed the creator's role today: a demoted creator's key reads, a departed creator's key is refused", async () => {
    // The admin makes the key; the owner then demotes them, then removes them.
    await setRole(ctx(), team.member.id, "ADMIN");
    const { key } = await team.member.caller.apiKey.create({ ...team.ws, name: "Admin's", scopes: ["write"] });
    expect(await codeOf(keyCaller(key).kpi.create({ ...team.ws, name: "While admin" }))).toBeNull();
    await setRole(ctx(), team.member.id, "VIEWER");
    expect(await codeOf(keyCaller(key).kpi.create({ ...team.ws, name: "While viewer" }))).toBe("FORBIDDEN");
    expect(await codeOf(keyCaller(key).kpi.list(team.ws))).toBeNull();
    await setRole(ctx(), team.member.id, null);
    expect(await codeOf(keyCaller(key).kpi.list(team.ws))).toBe("UNAUTHORIZED");
  });
});

describe("the database's own check of a key", () => {
  // The API's checks are bypassed on purpose here (the request's principal is swapped for a
  // mistaken one before any procedure runs): what stops the key then is row-level security, which
  // learns the key from the context the procedures hand the database (app.api_key_id).
  async function callerBelieving(key: string, mistake: { role: "OWNER"; scopes: ("read" | "write")[] }) {
    const context = createTRPCContext({ database: ctx().db, sessionToken: null, apiKey: key });
    const principal = await apiKeyPrincipalOf(context);
    if (!principal) throw new Error("the key was refused before the test could mistake it");
    context.apiKeyLookup.promise = Promise.resolve({ ...principal, ...mistake });
    return createCaller(context);
  }

  test("a read key taken for an owner's write key still cannot write, and a revoked key reads nothing", async () => {
    const { key, id } = await team.owner.caller.apiKey.create({ ...team.ws, name: "Mistaken", scopes: ["read"] });
    const mistaken = await callerBelieving(key, { role: "OWNER", scopes: ["read", "write"] });
    expect(await codeOf(mistaken.kpi.create({ ...team.ws, name: "Past the API's check" }))).toBe("FORBIDDEN");
    const visible = (await mistaken.kpi.list(team.ws)).items.length;
    expect(visible).toBeGreaterThan(0);
    // Revoked after the API looked it up: the database refuses it from then on.
    const late = await callerBelieving(key, { role: "OWNER", scopes: ["read"] });
    await team.owner.caller.apiKey.revoke({ ...team.ws, keyId: id });
    expect((await late.kpi.list(team.ws)).items).toEqual([]);
  });
});
