import { expect, test } from "vitest";
import { arrangeTenancy } from "./fixtures.ts";
import { useTestDatabase } from "./support.ts";

const ctx = useTestDatabase();

test("smoke", async () => {
  const { db, admin } = ctx();
  const t = await arrangeTenancy(admin);
  const kpis = await db.withContext({ userId: t.users.alice, workspaceId: t.workspaces.a }, (tx) => tx.kpi.findMany());
  expect(kpis.map((k) => k.id)).toEqual([t.kpis.a]);
  const who = await db.withContext({ userId: t.users.alice, workspaceId: t.workspaces.a }, (tx) => tx.$queryRaw`select current_user, session_user`);
  console.log(who, kpis[0]);
});
