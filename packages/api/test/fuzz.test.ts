import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import fc from "fast-check";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { appRouter } from "../src/root.ts";
import {
  type AdminPool,
  callerFor,
  type Caller,
  createWorkspace,
  signedInUser,
  signIn,
  useApiDatabase,
} from "./support.ts";
import { edgeDates, type IdPools, procedureInput, uniformInput } from "./fuzz-inputs.ts";

// Every procedure of the router, called with hostile inputs (fuzz-inputs.ts) by the OWNER of
// workspace A. Properties: every failure is a TRPCError with a 4xx status (never a 500), no
// answer carries anything of workspace B, B's rows are byte-identical afterwards, and
// Object.prototype is untouched. fast-check prints the seed and path of any failing case;
// `fc.assert(..., { seed, path })` replays it.

const ctx = useApiDatabase();
const seed = 20261130;
/**
 * Random runs per procedure, after the nine fixed examples: about 60 procedures, so some 1,700 calls
 * in CI. Deeper searches (200 runs, other seeds) were run while writing this and found nothing more.
 */
const numRuns = 20;
const markerB = "tenant-b-private";
const yesterday = new Date(Date.now() - 86_400_000);
const uniformTexts = ["a\u0000b", "\uD800x", "'; DROP TABLE kpis; --", "<script>alert(1)</script>", "😀".repeat(60)];

let caller: Caller;
let ownerId = "";
let workspaceA = "";
let ids: IdPools;
let workspaceB: { id: string; slug: string };
let usersB: string[] = [];
let checksumBefore = "";
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

const github = (name: string) =>
  ({ provider: "github", name, credentials: { token: `ghp_${name}1234` }, config: { owner: "o", repo: "r" } }) as const;

beforeAll(async () => {
  const alice = await signedInUser(ctx(), "Alice");
  const [carol, bob] = await Promise.all([signedInUser(ctx(), "Carol"), signedInUser(ctx(), "Bob")]);
  caller = alice.caller;
  ownerId = alice.id;
  workspaceA = (await createWorkspace(ctx().admin, [[alice.id, "OWNER"]])).id;
  workspaceB = await createWorkspace(ctx().admin, [
    [carol.id, "OWNER"],
    [bob.id, "MEMBER"],
  ]);
  usersB = [carol.id, bob.id];
  const a = { workspaceId: workspaceA };
  const b = { workspaceId: workspaceB.id };

  const kpiA = (await alice.caller.kpi.create({ ...a, name: "A's KPI", targetValue: 10 })).id;
  const pointA = (await alice.caller.kpi.recordPoint({ ...a, kpiId: kpiA, value: 1, timestamp: yesterday })).id;
  const goalA = (await alice.caller.goal.create({ ...a, title: "A's goal", kpis: [{ kpiId: kpiA }] })).id;
  const integrationA = (await alice.caller.integration.connect({ ...a, ...github("a") })).id;
  const invitationA = (await alice.caller.workspace.members.invite({ ...a, email: "a-invitee@example.com" })).id;

  const kpiB = (await carol.caller.kpi.create({ ...b, name: `${markerB} KPI`, targetValue: 10 })).id;
  const pointB = (await carol.caller.kpi.recordPoint({ ...b, kpiId: kpiB, value: 5, timestamp: yesterday })).id;
  const goalB = (await carol.caller.goal.create({ ...b, title: `${markerB} goal`, kpis: [{ kpiId: kpiB }] })).id;
  const integrationB = (await carol.caller.integration.connect({ ...b, ...github("b") })).id;
  await carol.caller.integration.mapMetric({ ...b, integrationId: integrationB, metricKey: "stars", kpiId: kpiB });
  const invitationB = (await carol.caller.workspace.members.invite({ ...b, email: "b-invitee@example.com" })).id;
  ids = {
    own: [workspaceA, kpiA, pointA, goalA, integrationA, invitationA, alice.id],
    other: [workspaceB.id, kpiB, pointB, goalB, integrationB, invitationB, carol.id, bob.id],
    ownByField: {
      workspaceId: workspaceA,
      kpiId: kpiA,
      pointId: pointA,
      goalId: goalA,
      integrationId: integrationA,
      invitationId: invitationA,
      userId: alice.id,
    },
  };
  checksumBefore = await checksumOfB(ctx().admin);
});

afterAll(() => {
  // A polluted prototype would make every later test in this process lie: fail loudly here.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
});

/** Every row of workspace B, and of its members' accounts and sessions, as one digest (read as superuser). */
async function checksumOfB(admin: AdminPool): Promise<string> {
  const tables = await admin.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'workspace_id' ORDER BY table_name`,
  );
  const digests: string[] = [];
  const digestOf = async (sql: string, params: unknown[]) =>
    (await admin.query<{ digest: string }>(sql, params)).rows[0]?.digest ?? "";
  for (const { table_name: table } of tables.rows) {
    const quoted = `"${table.replaceAll('"', '""')}"`;
    digests.push(
      `${table}:${await digestOf(
        `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS digest FROM ${quoted} t WHERE workspace_id = $1`,
        [workspaceB.id],
      )}`,
    );
  }
  digests.push(
    await digestOf(`SELECT md5(coalesce(string_agg(w::text, ''), '')) AS digest FROM workspaces w WHERE id = $1`, [
      workspaceB.id,
    ]),
    await digestOf(
      `SELECT md5(coalesce(string_agg(u::text, E'\\n' ORDER BY u::text), '')) AS digest FROM users u WHERE id = ANY($1::uuid[])`,
      [usersB],
    ),
    await digestOf(
      `SELECT md5(coalesce(string_agg(s::text, E'\\n' ORDER BY s::text), '')) AS digest FROM sessions s WHERE user_id = ANY($1::uuid[])`,
      [usersB],
    ),
  );
  return digests.join("\n");
}

/** The caller's procedure at a dotted path ("workspace.members.list"). */
function procedureAt(root: Caller, path: string): (input: unknown) => Promise<unknown> {
  let target: unknown = root;
  for (const part of path.split(".")) {
    if ((typeof target !== "object" && typeof target !== "function") || target === null) break;
    target = Reflect.get(target, part);
  }
  if (typeof target !== "function") throw new Error(`no procedure at ${path}`);
  const procedure = target;
  return async (input) => {
    const result: unknown = await Reflect.apply(procedure, undefined, [input]);
    return result;
  };
}

/** The zod schemas tRPC stacked for a procedure (workspace layer first, then the handler's own). */
function inputSchemas(path: string): z.ZodType[] {
  const procedure: unknown = Reflect.get(appRouter._def.procedures, path);
  const def: unknown = typeof procedure === "function" ? Reflect.get(procedure, "_def") : undefined;
  const inputs: unknown = typeof def === "object" && def !== null ? Reflect.get(def, "inputs") : undefined;
  if (!Array.isArray(inputs)) throw new Error(`no inputs for ${path}`);
  return inputs.map((schema: unknown) => {
    if (!(schema instanceof z.ZodType)) throw new Error(`${path}: an input that is not a zod schema`);
    return schema;
  });
}

/** Puts Alice back as A's owner with a live session, whatever the last calls did to her. */
async function restoreOwner(): Promise<void> {
  await ctx().admin.query(
    `INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')
     ON CONFLICT (workspace_id, user_id) DO UPDATE SET "role" = EXCLUDED."role"`,
    [workspaceA, ownerId],
  );
  caller = callerFor(ctx().db, await signIn(ctx().db, ownerId));
}

const paths = Object.keys(appRouter._def.procedures).sort();

describe("every procedure under hostile input", () => {
  test("the router has procedures to fuzz", () => {
    expect(paths.length).toBeGreaterThan(50);
  });

  test.each(paths)("%s: no 500, nothing of workspace B in an answer", async (path) => {
    await restoreOwner();
    const otherIds = new Set(ids.other);
    await fc.assert(
      fc.asyncProperty(procedureInput(inputSchemas(path), ids, workspaceA), async (input) => {
        const call = procedureAt(caller, path);
        const outcome: { result?: unknown; error?: unknown } = await call(input).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        if ("error" in outcome) {
          const { error } = outcome;
          expect(error, String(error)).toBeInstanceOf(TRPCError);
          if (!(error instanceof TRPCError)) return;
          const status = getHTTPStatusCodeFromError(error);
          expect(status, `${error.code}: ${error.message} ${String(error.cause)}`).toBeGreaterThanOrEqual(400);
          expect(
            status,
            `${error.code}: ${error.message} ${String(error.cause)} ${error.cause instanceof Error ? String(error.cause.stack) : ""}`,
          ).toBeLessThan(500);
        } else {
          const text = JSON.stringify(outcome.result ?? null);
          expect(text).not.toContain(markerB);
          for (const id of otherIds) expect(text).not.toContain(id);
        }
        if (path === "me.signOut" || path.endsWith("members.leave") || path.endsWith("changeRole")) {
          await restoreOwner();
        }
      }),
      {
        seed,
        numRuns,
        // Tried first, whatever the seed: every string a NUL byte, a lone surrogate, SQL, markup;
        // every date at or just past the ends of four-digit years.
        examples: [
          ...uniformTexts.map((text) => ({ text, date: yesterday })),
          ...edgeDates.map((date) => ({ text: "plain", date })),
        ].map((fill): [unknown] => [uniformInput(inputSchemas(path), fill, ids, workspaceA)]),
      },
    );
  });

  test("afterwards workspace B's rows are byte-identical and Object.prototype is clean", async () => {
    expect(await checksumOfB(ctx().admin)).toBe(checksumBefore);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(Reflect.get({}, "polluted")).toBeUndefined();
  });
});
