import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import type { ScopedDb } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import {
  emailSchema,
  goalKpiWeightSchema,
  kpiInputSchema,
  slugSchema,
  workspaceInputSchema,
} from "@northstar/core/schemas";
import { arrangeTenancy, type Tenancy } from "./fixtures.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// The database keeps its rules whatever the client; the zod schemas say the same thing first,
// with a message a user can act on.

const ctx = useTestDatabase();
let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
});

function asAlice<T>(work: (db: ScopedDb) => Promise<T>): Promise<T> {
  return ctx().db.withContext({ userId: t.users.alice, workspaceId: t.workspaces.a }, work);
}

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DatabaseError);
  return error as DatabaseError;
}

describe("value rules: zod and CHECK constraints agree", () => {
  const slugs: [string, boolean][] = [
    ["acme", true],
    ["acme-inc-2", true],
    ["ab", false],
    ["a".repeat(49), false],
    ["Acme", false],
    ["-acme", false],
    ["acme-", false],
    ["ac--me", false],
    ["ac_me", false],
    ["a".repeat(48), true],
  ];
  test.each(slugs)("slug %s valid: %s", async (slug, valid) => {
    expect(slugSchema.safeParse(slug).success).toBe(valid);
    const client = await ctx().admin.connect();
    try {
      // Rolled back: the deferred owner rule would refuse an ownerless workspace at commit.
      await client.query("BEGIN");
      const insert = client.query("INSERT INTO workspaces (name, slug) VALUES ('Probe', $1)", [slug]);
      if (valid) await insert;
      else await expect(insert).rejects.toMatchObject({ code: slug.length > 48 ? "22001" : "23514" });
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });

  test("emails: zod lowercases; the database refuses what zod refuses", async () => {
    expect(emailSchema.parse("  Ada@Example.COM ")).toBe("ada@example.com");
    expect(emailSchema.safeParse("not-an-email").success).toBe(false);
    for (const email of ["Ada@example.com", "not-an-email", "a@b"]) {
      await expect(
        ctx().admin.query(
          "INSERT INTO users (email, name, provider, provider_account_id) VALUES ($1, 'Ada', 'github', $1)",
          [email],
        ),
      ).rejects.toMatchObject({ code: "23514", constraint: "users_email_format" });
    }
  });

  test("blank names, non-finite numbers and bad weights are refused with clear messages", async () => {
    const blank = workspaceInputSchema.safeParse({ name: "   ", slug: "fine-slug" });
    expect(blank.error?.issues[0]?.message).toBe("Workspace name must not be empty");
    expect(
      kpiInputSchema.safeParse({ name: "x", targetValue: Number.POSITIVE_INFINITY }).error?.issues[0]?.message,
    ).toBe("Target must be a finite number");
    expect(goalKpiWeightSchema.safeParse(0).error?.issues[0]?.message).toBe("Weight must be greater than 0");

    const checks = await Promise.all([
      failure(asAlice((db) => db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "  " } }))),
      // Prisma itself refuses NaN and infinities, so these go in as SQL.
      failure(asAlice((db) => db.$executeRaw`UPDATE kpis SET target_value = 'Infinity' WHERE id = ${t.kpis.a}::uuid`)),
      failure(
        asAlice((db) => db.$executeRaw`UPDATE kpi_data_points SET value = 'NaN' WHERE kpi_id = ${t.kpis.a}::uuid`),
      ),
      failure(asAlice((db) => db.goalKpi.updateMany({ data: { weight: 0 } }))),
      failure(asAlice((db) => db.$executeRaw`UPDATE goal_kpis SET weight = 'NaN'`)),
      failure(
        asAlice((db) =>
          db.kpiDataPoint.create({
            data: {
              workspaceId: t.workspaces.a,
              kpiId: t.kpis.a,
              value: 1,
              timestamp: new Date(),
              source: "INTEGRATION",
            },
          }),
        ),
      ),
    ]);
    for (const error of checks) expect(error.kind).toBe("check_violation");
  });
});

describe("KPIs", () => {
  test("names are unique among active KPIs only, case-insensitively", async () => {
    const duplicate = await failure(
      asAlice((db) => db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "REVENUE A" } })),
    );
    expect(duplicate.kind).toBe("unique_violation");
    await asAlice(async (db) => {
      await db.kpi.update({
        where: { workspaceId_id: { workspaceId: t.workspaces.a, id: t.kpis.a } },
        data: { isActive: false, archivedAt: new Date() },
      });
      const again = await db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Revenue a" } });
      await db.kpi.delete({ where: { workspaceId_id: { workspaceId: t.workspaces.a, id: again.id } } });
      await db.kpi.update({
        where: { workspaceId_id: { workspaceId: t.workspaces.a, id: t.kpis.a } },
        data: { isActive: true, archivedAt: null },
      });
    });
    // The same name is fine in another workspace.
    await ctx().db.withContext({ userId: t.users.carol, workspaceId: t.workspaces.b }, (db) =>
      db.kpi.create({ data: { workspaceId: t.workspaces.b, name: "Revenue a" } }),
    );
  });

  test("a KPI with history cannot be hard-deleted; one without can", async () => {
    const refused = await failure(
      asAlice((db) => db.kpi.delete({ where: { workspaceId_id: { workspaceId: t.workspaces.a, id: t.kpis.a } } })),
    );
    expect(refused.kind).toBe("foreign_key_violation");
    expect(refused.constraint).toBe("kpi_data_points_workspace_id_kpi_id_fkey");
    const fresh = await asAlice((db) =>
      db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Never measured" } }),
    );
    await asAlice((db) => db.kpi.delete({ where: { workspaceId_id: { workspaceId: t.workspaces.a, id: fresh.id } } }));
  });

  test("archived means inactive with a time, both or neither", async () => {
    const error = await failure(
      asAlice((db) =>
        db.kpi.update({
          where: { workspaceId_id: { workspaceId: t.workspaces.a, id: t.kpis.a } },
          data: { isActive: false },
        }),
      ),
    );
    expect(error.kind).toBe("check_violation");
  });

  test("the current value follows the newest data point through inserts, updates and deletes", async () => {
    const current = () =>
      asAlice((db) =>
        db.kpi.findUniqueOrThrow({
          where: { workspaceId_id: { workspaceId: t.workspaces.a, id: kpi } },
          select: { currentValue: true, currentValueAt: true },
        }),
      );
    const kpi = (await asAlice((db) => db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Followed" } }))).id;
    const at = (day: number) => new Date(Date.UTC(2026, 0, day));
    const point = (value: number, day: number) => ({
      workspaceId: t.workspaces.a,
      kpiId: kpi,
      value,
      timestamp: at(day),
    });

    expect(await current()).toEqual({ currentValue: null, currentValueAt: null });
    await asAlice((db) => db.kpiDataPoint.createMany({ data: [point(5, 5), point(3, 3), point(9, 9)] }));
    expect(await current()).toEqual({ currentValue: 9, currentValueAt: at(9) });
    await asAlice((db) => db.kpiDataPoint.create({ data: point(1, 1) }));
    expect(await current()).toEqual({ currentValue: 9, currentValueAt: at(9) });
    await asAlice((db) => db.kpiDataPoint.updateMany({ where: { kpiId: kpi, timestamp: at(9) }, data: { value: 10 } }));
    expect(await current()).toEqual({ currentValue: 10, currentValueAt: at(9) });
    await asAlice((db) => db.kpiDataPoint.deleteMany({ where: { kpiId: kpi, timestamp: at(9) } }));
    expect(await current()).toEqual({ currentValue: 5, currentValueAt: at(5) });
    await asAlice((db) => db.kpiDataPoint.deleteMany({ where: { kpiId: kpi } }));
    expect(await current()).toEqual({ currentValue: null, currentValueAt: null });
  });

  test("one value per KPI, timestamp and source", async () => {
    const at = new Date(Date.UTC(2026, 1, 1));
    await asAlice((db) =>
      db.kpiDataPoint.create({ data: { workspaceId: t.workspaces.a, kpiId: t.kpis.a, value: 1, timestamp: at } }),
    );
    const duplicate = await failure(
      asAlice((db) =>
        db.kpiDataPoint.create({ data: { workspaceId: t.workspaces.a, kpiId: t.kpis.a, value: 2, timestamp: at } }),
      ),
    );
    expect(duplicate.kind).toBe("unique_violation");
    await asAlice((db) =>
      db.kpiDataPoint.create({
        data: { workspaceId: t.workspaces.a, kpiId: t.kpis.a, value: 2, timestamp: at, source: "IMPORT" },
      }),
    );
  });
});

describe("owners", () => {
  test("two owners leaving at the same moment cannot both succeed", async () => {
    const { admin } = ctx();
    // Make Bob a second owner of workspace A.
    await admin.query("UPDATE workspace_users SET role = 'OWNER' WHERE workspace_id = $1 AND user_id = $2", [
      t.workspaces.a,
      t.users.bob,
    ]);
    const first = await admin.connect();
    const second = await admin.connect();
    try {
      const secondPid = (await second.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
      await first.query("BEGIN");
      await second.query("BEGIN");
      await first.query("DELETE FROM workspace_users WHERE workspace_id = $1 AND user_id = $2", [
        t.workspaces.a,
        t.users.alice,
      ]);
      // Blocks on the first transaction's check until it commits, then sees that Alice is gone.
      // Its outcome is captured at once: it may fail in the same tick as the COMMIT below answers.
      const secondLeaves = second
        .query("DELETE FROM workspace_users WHERE workspace_id = $1 AND user_id = $2", [t.workspaces.a, t.users.bob])
        .then(
          () => null,
          (error: unknown) => error,
        );
      // Commit only once the second is waiting on the first's lock (not after a guessed pause).
      // (A connection of its own: the admin pool's two are the transactions.)
      const observer = new pg.Client({ connectionString: ctx().database.adminUrl });
      await observer.connect();
      try {
        await expect
          .poll(
            async () =>
              (
                await observer.query<{ waiting: boolean }>(
                  "SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1",
                  [secondPid],
                )
              ).rows[0]?.waiting,
          )
          .toBe(true);
      } finally {
        await observer.end();
      }
      await first.query("COMMIT");
      expect(await secondLeaves).toMatchObject({ code: "23514", constraint: "workspaces_keep_an_owner" });
      await second.query("ROLLBACK");
    } finally {
      first.release();
      second.release();
    }
    const owners = await admin.query<{ user_id: string }>(
      "SELECT user_id FROM workspace_users WHERE workspace_id = $1 AND role = 'OWNER'",
      [t.workspaces.a],
    );
    expect(owners.rows).toEqual([{ user_id: t.users.bob }]);
  });
});
