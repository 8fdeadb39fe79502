import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mutate, query, signedIn } from "./api-calls.ts";
import { type RunningHost, startHost, useHostDatabase } from "./support.ts";

// The API's per-call limits over real HTTP: a batch is capped and costs a token per call, reads
// and writes have their own budgets per user, a user's calls in flight are capped, callers
// without a session are counted by address, and workspace URL checks are budgeted like sign-in.
// Budgets here refill one token an hour, so none comes back while a test runs, however slow.

const ctx = useHostDatabase();
const hourly = (burst: number) => ({ burst, perSecond: 1 / 3600 });
const hosts: RunningHost[] = [];

async function host(options: Omit<Parameters<typeof startHost>[0], "database"> = {}): Promise<RunningHost> {
  const started = await startHost({ database: ctx().db, auth: { developmentSignIn: true }, ...options });
  hosts.push(started);
  return started;
}

afterAll(async () => {
  await Promise.all(hosts.map((started) => started.close()));
});

// Declining an invitation that does not exist: a mutation that runs, changes nothing and answers
// NOT_FOUND. A refused call answers TOO_MANY_REQUESTS (or BAD_REQUEST) before it runs.
function noops(on: RunningHost, cookie: string, count: number) {
  const paths = Array.from({ length: count }, () => "me.declineInvitation");
  return mutate(
    on,
    cookie,
    paths,
    paths.map(() => ({ invitationId: "00000000-0000-4000-8000-000000000000" })),
  );
}
const ran = (count: number) => Array.from({ length: count }, () => "NOT_FOUND");

describe("batches", () => {
  test("a batch over 20 calls is refused whole, before any call runs or is charged", async () => {
    const limited = await host({ rateLimits: { mutations: hourly(20) } });
    const { cookie } = await signedIn(limited, ctx().admin);
    const tooLong = await noops(limited, cookie, 21);
    expect(tooLong.status).toBe(400);
    expect(tooLong.codes).toEqual(Array.from({ length: 21 }, () => "BAD_REQUEST"));
    expect(tooLong.messages[0]).toBe("A batch may carry at most 20 calls; this one carries 21.");
    // Nothing was charged: the whole budget of 20 is still there.
    expect(await noops(limited, cookie, 20)).toMatchObject({ codes: ran(20) });
  });

  test("a batch of 20 mutations costs 20 tokens: the next call is refused", async () => {
    const limited = await host({ rateLimits: { mutations: hourly(20) } });
    const { cookie } = await signedIn(limited, ctx().admin);
    const batch = await noops(limited, cookie, 20);
    expect(batch.codes).toEqual(ran(20));
    const next = await noops(limited, cookie, 1);
    expect(next.status).toBe(429);
    expect(next.codes).toEqual(["TOO_MANY_REQUESTS"]);
    expect(next.messages[0]).toMatch(/^Too many changes in a short time; try again in \d+ seconds\.$/);
    expect(Number(next.retryAfter)).toBeGreaterThanOrEqual(1);
    // Part of a batch over the budget: the calls within it run, the rest are refused (207).
    const other = await signedIn(limited, ctx().admin);
    await noops(limited, other.cookie, 18);
    const mixed = await noops(limited, other.cookie, 4);
    expect(mixed.status).toBe(207);
    // The calls of a batch run side by side: which two get the last tokens is theirs to race for.
    expect([...mixed.codes].sort()).toEqual(["NOT_FOUND", "NOT_FOUND", "TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"]);
    expect(Number(mixed.retryAfter)).toBeGreaterThanOrEqual(1);
  });
});

describe("budgets per user", () => {
  test("queries are limited per user, apart from mutations; another user from the same address is not", async () => {
    const limited = await host({ rateLimits: { queries: hourly(3), mutations: hourly(5) } });
    const busy = await signedIn(limited, ctx().admin);
    const calm = await signedIn(limited, ctx().admin);
    expect(await query(limited, busy.cookie, ["me.get", "me.workspaces", "me.get"])).toMatchObject({
      status: 200,
      codes: [null, null, null],
    });
    const refused = await query(limited, busy.cookie, ["me.get"]);
    expect(refused).toMatchObject({ status: 429, codes: ["TOO_MANY_REQUESTS"] });
    expect(refused.messages[0]).toMatch(/^Too many requests in a short time; try again in \d+ seconds\.$/);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // Writes have their own budget; the other user (same address, 127.0.0.1) has their own.
    expect(await noops(limited, busy.cookie, 1)).toMatchObject({ codes: ran(1) });
    expect(await query(limited, calm.cookie, ["me.get"])).toMatchObject({ status: 200 });
  });

  test("callers without a session are counted by address: 401 until the budget is spent, then 429", async () => {
    const limited = await host({ rateLimits: { anonymous: hourly(2) } });
    expect(await query(limited, "", ["me.get"])).toMatchObject({ status: 401, codes: ["UNAUTHORIZED"] });
    // A made-up session token is no way around it.
    const forged = `northstar_session=${"A".repeat(43)}`;
    expect(await query(limited, forged, ["me.get"])).toMatchObject({ status: 401 });
    const refused = await query(limited, "", ["me.get"]);
    expect(refused).toMatchObject({ status: 429, codes: ["TOO_MANY_REQUESTS"] });
    expect(refused.messages[0]).toMatch(/^Too many requests from your address; try again in \d+ seconds\.$/);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // Signed-in people at the same address are counted as themselves.
    const person = await signedIn(limited, ctx().admin);
    expect(await query(limited, person.cookie, ["me.get"])).toMatchObject({ status: 200 });
  });
});

describe("calls in flight per user", () => {
  // workspace.create takes a transaction-level advisory lock per user before it counts the
  // user's workspaces (plans.ts lockLimit): holding that lock here keeps the calls running.
  async function holdWorkspaceLimitLock(userId: string) {
    const client = await ctx().admin.connect();
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
      `northstar:limit:workspaces:${userId}`,
    ]);
    return {
      release: async () => {
        await client.query("ROLLBACK");
        client.release();
      },
    };
  }

  const blockedOnLock = async () => {
    const rows = await ctx().admin.query<{ count: string }>(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    return Number(rows.rows[0]?.count);
  };

  test("beyond the cap a user's next call is refused with 429 until one ends; others are not held up", async () => {
    const limited = await host({ rateLimits: { inFlight: { running: 2, waiting: 0 } } });
    const busy = await signedIn(limited, ctx().admin);
    const other = await signedIn(limited, ctx().admin);
    const lock = await holdWorkspaceLimitLock(busy.id);
    const held: Promise<unknown>[] = [];
    try {
      held.push(
        ...[1, 2].map((n) =>
          mutate(
            limited,
            busy.cookie,
            ["workspace.create"],
            [{ name: `Held ${n}`, slug: `held-${n}-${busy.id.slice(0, 8)}` }],
          ),
        ),
      );
      // Both calls are inside their transactions, waiting for the lock: two slots taken.
      await expect.poll(blockedOnLock).toBe(2);
      const refused = await query(limited, busy.cookie, ["me.get"]);
      expect(refused).toMatchObject({ status: 429, codes: ["TOO_MANY_REQUESTS"], retryAfter: "1" });
      expect(refused.messages[0]).toBe("Too many of your requests are still running; try again in 1 second.");
      expect(await query(limited, other.cookie, ["me.get"])).toMatchObject({ status: 200 });
    } finally {
      await lock.release();
    }
    await Promise.all(held);
    // Their slots are free again.
    expect(await query(limited, busy.cookie, ["me.get"])).toMatchObject({ status: 200 });
  });

  test("a batch larger than the cap runs whole: its calls wait their turn", async () => {
    const limited = await host({ rateLimits: { inFlight: { running: 2, waiting: 18 } } });
    const { cookie } = await signedIn(limited, ctx().admin);
    const paths = Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? "me.get" : "me.workspaces"));
    const batch = await query(limited, cookie, paths);
    expect(batch.status).toBe(200);
    expect(batch.codes).toEqual(paths.map(() => null));
  });
});

describe("workspace URL checks", () => {
  let limited: RunningHost;
  beforeAll(async () => {
    limited = await host({ rateLimits: { existenceChecks: hourly(2) } });
  });

  test("slugAvailable over the budget is refused with 429, per user and per address", async () => {
    const first = await signedIn(limited, ctx().admin);
    const check = (cookie: string, slug: string) => query(limited, cookie, ["workspace.slugAvailable"], [{ slug }]);
    expect(await check(first.cookie, "some-team")).toMatchObject({ status: 200, codes: [null] });
    expect(await check(first.cookie, "other-team")).toMatchObject({ status: 200 });
    const refused = await check(first.cookie, "third-team");
    expect(refused).toMatchObject({ status: 429, codes: ["TOO_MANY_REQUESTS"] });
    expect(refused.messages[0]).toMatch(/^Too many workspace URL checks; try again in \d+ seconds\.$/);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // A second account from the same address does not get a fresh budget.
    const second = await signedIn(limited, ctx().admin);
    expect(await check(second.cookie, "fourth-team")).toMatchObject({ status: 429 });
    // suggestSlug answers the same question and shares the budget.
    const suggested = await query(limited, second.cookie, ["workspace.suggestSlug"], [{ name: "Some team" }]);
    expect(suggested).toMatchObject({ status: 429 });
  });
});
