import type { ContextReader, Database } from "@northstar/db";
import { describe, expect, test } from "vitest";
import { openWorkspaceExport } from "../src/export/open.ts";
import { createTRPCContext } from "../src/trpc.ts";
import { callerFor, createWorkspace, expectCode, signedInUser, useApiDatabase } from "./support.ts";

// A read procedure called again by the same session for the same workspace sends the session and
// membership statements with its first read, in one round trip (src/member-hints.ts). What the
// host remembered is never the answer: a session signed out, a member removed, a role that lost the
// permission are refused on the very next call, and a workspace whose time zone changed is read
// in its new zone.

const ctx = useApiDatabase();

/** The test database, counting the readers' round trips (each batch or $queryRaw is one). */
function countingDatabase(database: Database): { database: Database; trips: () => number } {
  let trips = 0;
  const counted = (reader: ContextReader): ContextReader => ({
    context: reader.context,
    $queryRaw: (query) => {
      trips += 1;
      return reader.$queryRaw(query);
    },
    batch: (...queries) => {
      trips += 1;
      return reader.batch(...queries);
    },
  });
  return {
    database: { ...database, reader: (context) => counted(database.reader(context)) },
    trips: () => trips,
  };
}

async function ownerWithKpi(name: string) {
  const owner = await signedInUser(ctx(), name);
  const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
  const ws = { workspaceId: workspace.id };
  const kpi = await owner.caller.kpi.create({ ...ws, name: "Signups", aggregation: "SUM" });
  return { owner, ws, kpi };
}

describe("a read's session and membership go with its first statements", () => {
  test("the first call takes two round trips, the next ones one; the answers are the same", async () => {
    const { owner, ws } = await ownerWithKpi("Counted");
    const { database, trips } = countingDatabase(ctx().db);
    const caller = callerFor(database, owner.token);
    const first = await caller.kpi.list(ws);
    expect(trips()).toBe(2);
    const again = await caller.kpi.list(ws);
    expect(trips()).toBe(3);
    expect(again).toEqual(first);
    expect(first.items.map((item) => item.name)).toEqual(["Signups"]);
    // By slug the host cannot name the workspace before reading it: two round trips, every time.
    const slug = (await caller.workspace.get(ws)).slug;
    const before = trips();
    await caller.kpi.list({ workspaceSlug: slug });
    await caller.kpi.list({ workspaceSlug: slug });
    expect(trips() - before).toBe(4);
  });

  test("signed out, or the session deleted: the next call is UNAUTHORIZED", async () => {
    const { owner, ws } = await ownerWithKpi("Leaver");
    await owner.caller.kpi.list(ws);
    await owner.caller.goal.list(ws);
    await owner.caller.me.signOut();
    await expectCode(owner.caller.kpi.list(ws), "UNAUTHORIZED");
    await expectCode(owner.caller.goal.list(ws), "UNAUTHORIZED");

    const other = await ownerWithKpi("Deleted");
    await other.owner.caller.kpi.list(other.ws);
    await ctx().admin.query("DELETE FROM sessions WHERE user_id = $1", [other.owner.id]);
    await expectCode(other.owner.caller.kpi.list(other.ws), "UNAUTHORIZED");
  });

  test("a member removed is answered NOT_FOUND; a role that lost the permission, FORBIDDEN", async () => {
    const { owner, ws, kpi } = await ownerWithKpi("Stays");
    const member = await signedInUser(ctx(), "Goes");
    const admin = await signedInUser(ctx(), "Demoted");
    await ctx().admin.query(
      `INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'MEMBER'), ($1, $3, 'OWNER')`,
      [ws.workspaceId, member.id, admin.id],
    );
    const series = { ...ws, kpiId: kpi.id, from: new Date("2026-01-01"), to: new Date("2026-02-01"), buckets: 31 };
    await member.caller.kpi.series(series);
    await member.caller.kpi.series(series);
    await ctx().admin.query("DELETE FROM workspace_users WHERE workspace_id = $1 AND user_id = $2", [
      ws.workspaceId,
      member.id,
    ]);
    await expectCode(member.caller.kpi.series(series), "NOT_FOUND");
    await expectCode(member.caller.kpi.list(ws), "NOT_FOUND");

    // Exporting is an owner's: opened twice as one, then refused once the role is ADMIN.
    const context = () => createTRPCContext({ database: ctx().db, sessionToken: admin.token });
    for (let i = 0; i < 2; i++) {
      const opened = await openWorkspaceExport(context(), { ...ws, format: "json" });
      await opened.body.return(undefined);
    }
    await ctx().admin.query(`UPDATE workspace_users SET "role" = 'ADMIN' WHERE workspace_id = $1 AND user_id = $2`, [
      ws.workspaceId,
      admin.id,
    ]);
    await expectCode(openWorkspaceExport(context(), { ...ws, format: "json" }), "FORBIDDEN");
    expect((await owner.caller.kpi.list(ws)).items).toHaveLength(1);
  });

  test("a workspace's new time zone: the next chart is in it, read again the long way", async () => {
    const { owner, ws, kpi } = await ownerWithKpi("Zoned");
    const day = 24 * 3_600_000;
    const day0 = Math.floor(Date.now() / day) * day - 5 * day;
    // 20:00 UTC on day 1 is 01:30 on day 2 in Kolkata (+05:30 all year).
    const at = day0 + day + 20 * 3_600_000;
    await owner.caller.kpi.recordPoint({ ...ws, kpiId: kpi.id, value: 5, timestamp: new Date(at) });
    const { database, trips } = countingDatabase(ctx().db);
    const caller = callerFor(database, owner.token);
    const series = {
      ...ws,
      kpiId: kpi.id,
      from: new Date(day0),
      to: new Date(day0 + 3 * day),
      calendar: "day" as const,
      compare: false,
    };
    const utc = await caller.kpi.series(series);
    expect(utc.timeZone).toBe("UTC");
    expect(utc.columns.value).toEqual([null, 5, null]);
    await ctx().admin.query(`UPDATE workspaces SET time_zone = 'Asia/Kolkata' WHERE id = $1`, [ws.workspaceId]);
    const before = trips();
    const kolkata = await caller.kpi.series(series);
    expect(kolkata.timeZone).toBe("Asia/Kolkata");
    const bucket = kolkata.columns.value.findIndex((value) => value === 5);
    expect(kolkata.columns.start[bucket]).toBe(day0 + day + 18.5 * 3_600_000);
    // The hinted round trip, then the call again as read: the KPI, then the chart (this caller
    // keeps no charts). The next call is hinted again: the KPI with the checks, then the chart.
    expect(trips() - before).toBe(3);
    const after = trips();
    expect((await caller.kpi.series(series)).columns).toEqual(kolkata.columns);
    expect(trips() - after).toBe(2);
  });
});
