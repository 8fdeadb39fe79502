import { TRPCClientError } from "@trpc/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { beforeAll, describe, expect, test } from "vitest";
import { createNorthstarClient } from "../src/client.ts";
import { appRouter, type AppRouter } from "../src/root.ts";
import type { CallBudget, CallLimits } from "../src/call-limits.ts";
import {
  authedProcedure,
  createCallerFactory,
  createTRPCContext,
  createTRPCRouter,
  workspaceProcedure,
} from "../src/trpc.ts";
import { callerFor, createWorkspace, expectCode, signedInUser, useApiDatabase } from "./support.ts";

// The procedure layers themselves: who gets in, what a handler can reach, what a failure leaves.

const ctx = useApiDatabase();
let owner: Awaited<ReturnType<typeof signedInUser>>;
let viewer: Awaited<ReturnType<typeof signedInUser>>;
let outsider: Awaited<ReturnType<typeof signedInUser>>;
let workspace: { id: string; slug: string };

beforeAll(async () => {
  owner = await signedInUser(ctx(), "Owner");
  viewer = await signedInUser(ctx(), "Viewer");
  outsider = await signedInUser(ctx(), "Outsider");
  workspace = await createWorkspace(ctx().admin, [
    [owner.id, "OWNER"],
    [viewer.id, "VIEWER"],
  ]);
});

describe("procedure layers", () => {
  test("public -> authed: no session, UNAUTHORIZED before any workspace question", async () => {
    const anonymous = callerFor(ctx().db, null);
    await expectCode(anonymous.me.get(), "UNAUTHORIZED");
    await expectCode(anonymous.kpi.list({ workspaceId: workspace.id }), "UNAUTHORIZED");
  });

  test("a workspace the caller is not in does not exist, by id or by slug", async () => {
    const byId = await expectCode(outsider.caller.kpi.list({ workspaceId: workspace.id }), "NOT_FOUND");
    const bySlug = await expectCode(outsider.caller.kpi.list({ workspaceSlug: workspace.slug }), "NOT_FOUND");
    const missing = await expectCode(outsider.caller.kpi.list({ workspaceId: crypto.randomUUID() }), "NOT_FOUND");
    expect(byId.message).toBe(missing.message);
    expect(bySlug.message).toBe(missing.message);
  });

  test("the workspace is named by exactly one of id and slug", async () => {
    const neither = await expectCode(owner.caller.kpi.list({}), "BAD_REQUEST");
    expect(neither.message).toContain("workspaceId or by workspaceSlug");
    await expectCode(
      owner.caller.kpi.list({ workspaceId: workspace.id, workspaceSlug: workspace.slug }),
      "BAD_REQUEST",
    );
    await expectCode(owner.caller.kpi.list({ workspaceId: "not-a-uuid" }), "BAD_REQUEST");
  });

  test("writes work with the workspace named by slug as well as by id", async () => {
    const ref = { workspaceSlug: workspace.slug };
    const kpi = await owner.caller.kpi.create({ ...ref, name: "Named by slug" });
    expect(await owner.caller.kpi.update({ ...ref, kpiId: kpi.id, unit: "EUR" })).toMatchObject({
      name: "Named by slug",
      unit: "EUR",
    });
    const goal = await owner.caller.goal.create({ ...ref, title: "By slug", kpis: [{ kpiId: kpi.id }] });
    expect(await owner.caller.goal.update({ ...ref, goalId: goal.id, title: "Still by slug" })).toMatchObject({
      title: "Still by slug",
    });
  });

  test("a role without the permission gets FORBIDDEN, naming the role", async () => {
    const error = await expectCode(viewer.caller.kpi.create({ workspaceId: workspace.id, name: "Nope" }), "FORBIDDEN");
    expect(error.message).toContain("VIEWER");
  });

  test("handlers see a scoped ctx.db and no Database", async () => {
    const probe = createTRPCRouter({
      probe: workspaceProcedure("kpi.read").query(async ({ ctx: handlerCtx }) => {
        const settings = await handlerCtx.db.$queryRaw<{ user_id: string; workspace_id: string; role: string }[]>`
          SELECT current_setting('app.user_id', true) AS user_id,
                 current_setting('app.workspace_id', true) AS workspace_id, current_user AS role`;
        const values: unknown[] = Object.values(handlerCtx);
        const reachable = values.filter(
          (value) =>
            typeof value === "object" &&
            value !== null &&
            ("withContext" in value || "reader" in value || "pool" in value),
        );
        return { keys: Object.keys(handlerCtx).sort(), settings, reachable: reachable.length };
      }),
    });
    const caller = createCallerFactory(probe)(createTRPCContext({ database: ctx().db, sessionToken: viewer.token }));
    const seen = await caller.probe({ workspaceSlug: workspace.slug });
    expect(seen.keys).not.toContain("database");
    expect(seen.reachable).toBe(0);
    expect(seen.settings).toEqual([{ user_id: viewer.id, workspace_id: workspace.id, role: "northstar_app" }]);
  });

  test("a procedure that fails after writing leaves nothing behind", async () => {
    const kpi = await owner.caller.kpi.create({ workspaceId: workspace.id, name: "Linked twice" });
    // The goal is written, then linking the same KPI twice violates a unique constraint.
    const error = await expectCode(
      owner.caller.goal.create({
        workspaceId: workspace.id,
        title: "Half-written goal",
        kpis: [{ kpiId: kpi.id }, { kpiId: kpi.id }],
      }),
      "CONFLICT",
    );
    expect(error.message).toBe("This KPI is already linked to the goal.");
    const goals = await ctx().admin.query("SELECT 1 FROM goals WHERE title = 'Half-written goal'");
    expect(goals.rowCount).toBe(0);
  });
});

/** CallLimits that write down what each call asked for, and refuse what the test says. */
function recordingLimits(refuse: { budget?: CallBudget; slots?: boolean } = {}) {
  const log: string[] = [];
  let running = 0;
  const limits: CallLimits = {
    charge(budget, key) {
      log.push(`charge ${budget} ${key}`);
      return budget === refuse.budget ? { allowed: false, retryAfterSeconds: 7 } : { allowed: true };
    },
    enter(key) {
      log.push(`enter ${key}`);
      if (refuse.slots === true) return Promise.resolve(null);
      running += 1;
      return Promise.resolve({
        release: () => {
          running -= 1;
          log.push(`release ${key}`);
        },
      });
    },
  };
  return { limits, log, running: () => running };
}

describe("per-call limits (the host's CallLimits)", () => {
  function limitedCaller(token: string | null, limits: CallLimits) {
    return createCallerFactory(appRouter)(
      createTRPCContext({ database: ctx().db, sessionToken: token, request: { ip: "192.0.2.7" }, limits }),
    );
  }

  test("each call is charged to its user's read or write budget and holds a slot while it runs", async () => {
    const recorded = recordingLimits();
    const caller = limitedCaller(owner.token, recorded.limits);
    await caller.me.get();
    await caller.kpi.list({ workspaceId: workspace.id });
    // A mutation that runs and finds no such invitation: charged all the same.
    await expect(
      caller.me.declineInvitation({ invitationId: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const key = `user:${owner.id}`;
    expect(recorded.log).toEqual([
      `charge query ${key}`,
      `enter ${key}`,
      `release ${key}`,
      `charge query ${key}`,
      `enter ${key}`,
      `release ${key}`,
      `charge mutation ${key}`,
      `enter ${key}`,
      `release ${key}`,
    ]);
  });

  test("a call that fails gives its slot back", async () => {
    const recorded = recordingLimits();
    const failing = createTRPCRouter({
      fail: authedProcedure.mutation(() => {
        throw new Error("boom");
      }),
    });
    const caller = createCallerFactory(failing)(
      createTRPCContext({ database: ctx().db, sessionToken: owner.token, limits: recorded.limits }),
    );
    await expectCode(caller.fail(), "INTERNAL_SERVER_ERROR");
    expect(recorded.running()).toBe(0);
    expect(recorded.log.at(-1)).toBe(`release user:${owner.id}`);
  });

  test("refusals are TOO_MANY_REQUESTS naming the wait, before the handler runs", async () => {
    const writes = limitedCaller(owner.token, recordingLimits({ budget: "mutation" }).limits);
    const refused = await expectCode(
      writes.kpi.create({ workspaceId: workspace.id, name: "Never" }),
      "TOO_MANY_REQUESTS",
    );
    expect(refused.message).toBe("Too many changes in a short time; try again in 7 seconds.");
    const kpis = await ctx().admin.query("SELECT 1 FROM kpis WHERE name = 'Never'");
    expect(kpis.rowCount).toBe(0);

    const busy = recordingLimits({ slots: true });
    const crowded = await expectCode(limitedCaller(owner.token, busy.limits).me.get(), "TOO_MANY_REQUESTS");
    expect(crowded.message).toBe("Too many of your requests are still running; try again in 1 second.");
  });

  test("a call without a live session is charged to its address; once that is spent, 429 instead of 401", async () => {
    const counted = recordingLimits();
    await expectCode(limitedCaller(null, counted.limits).me.get(), "UNAUTHORIZED");
    await expectCode(
      limitedCaller("A".repeat(43), counted.limits).kpi.list({ workspaceId: workspace.id }),
      "UNAUTHORIZED",
    );
    expect(counted.log).toEqual(["charge anonymous address:192.0.2.7", "charge anonymous address:192.0.2.7"]);
    const spent = recordingLimits({ budget: "anonymous" });
    const refused = await expectCode(limitedCaller(null, spent.limits).me.get(), "TOO_MANY_REQUESTS");
    expect(refused.message).toBe("Too many requests from your address; try again in 7 seconds.");
  });
});

describe("over HTTP: the typed client, superjson and error shapes", () => {
  function client(token: string | null) {
    const handler: typeof fetch = (input, init) =>
      fetchRequestHandler<AppRouter>({
        endpoint: "/trpc",
        req: new Request(input, init),
        router: appRouter,
        createContext: () => createTRPCContext({ database: ctx().db, sessionToken: token }),
      });
    return createNorthstarClient("http://localhost/trpc", handler);
  }

  test("dates arrive as dates; batched calls work", async () => {
    const api = client(owner.token);
    const [me, created] = await Promise.all([
      api.me.get.query(),
      api.kpi.create.mutate({ workspaceId: workspace.id, name: "Over HTTP", targetValue: 10 }),
    ]);
    expect(me.createdAt).toBeInstanceOf(Date);
    expect(created.createdAt).toBeInstanceOf(Date);
  });

  test("validation errors come back flattened per field, with the code", async () => {
    const error: unknown = await client(owner.token)
      .kpi.create.mutate({ workspaceId: workspace.id, name: "   ", targetValue: Number.NaN })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(TRPCClientError);
    if (!(error instanceof TRPCClientError)) return;
    const shape = error.shape as {
      code: number;
      data: { code: string; zodError: { fieldErrors: Record<string, string[]> } };
    };
    expect(shape.data.code).toBe("BAD_REQUEST");
    expect(shape.data.zodError.fieldErrors.name).toEqual(["KPI name must not be empty"]);
    expect(shape.data.zodError.fieldErrors.targetValue?.[0]).toContain("finite number");
    expect(error.message).toBe("KPI name must not be empty; Target must be a finite number");
  });

  test("a rejected import lists its bad lines", async () => {
    const api = client(owner.token);
    const kpi = await api.kpi.create.mutate({ workspaceId: workspace.id, name: "Imported over HTTP" });
    const error: unknown = await api.kpi.importPoints
      .mutate({
        workspaceId: workspace.id,
        kpiId: kpi.id,
        data: `${new Date(Date.now() - 60_000).toISOString()},1\nlater,2`,
      })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(TRPCClientError);
    if (!(error instanceof TRPCClientError)) return;
    expect((error.shape as { data: { lineErrors: unknown } }).data.lineErrors).toEqual([
      { line: 2, message: 'Line 2, column "column 1": "later" is not a date in the format YYYY-MM-DD' },
    ]);
  });

  test("unexpected errors do not leak their text", async () => {
    const broken = createTRPCRouter({
      boom: workspaceProcedure("kpi.read").query(() => {
        throw new Error('relation "secret_table" does not exist');
      }),
    });
    const input = encodeURIComponent(JSON.stringify({ json: { workspaceId: workspace.id } }));
    const response = await fetchRequestHandler({
      endpoint: "/trpc",
      req: new Request(`http://localhost/trpc/boom?input=${input}`),
      router: broken,
      createContext: () => createTRPCContext({ database: ctx().db, sessionToken: owner.token }),
    });
    const body = await response.text();
    expect(response.status).toBe(500);
    expect(body).toContain("Something went wrong on our side");
    expect(body).not.toContain("secret_table");
  });

  test("database failures carry a stable code and our words, not the database's", async () => {
    const api = client(owner.token);
    await api.kpi.create.mutate({ workspaceId: workspace.id, name: "Unique name" });
    const error: unknown = await api.kpi.create.mutate({ workspaceId: workspace.id, name: "UNIQUE NAME" }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TRPCClientError);
    if (!(error instanceof TRPCClientError)) return;
    expect((error.shape as { data: { code: string } }).data.code).toBe("CONFLICT");
    expect(error.message).toBe("An active KPI already has this name; choose another name or archive the other KPI.");
    expect(error.message).not.toMatch(/duplicate key|constraint|violat/i);
  });
});
