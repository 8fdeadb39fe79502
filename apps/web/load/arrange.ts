import { createHash, randomBytes, randomUUID } from "node:crypto";
import { sessionCookieName } from "@northstar/api";
import type { WorkspaceRole } from "@northstar/core/permissions";
import { credentialsBinding, type Keyring, seal } from "@northstar/db";
import { createUser, type OperatorPool, operatorTransaction } from "@northstar/db/testing";

// The load test's tenants, arranged by the superuser as an operator would (as the tests do): a
// few workspaces, each with a person of every role, a session per person (the token the browser
// would hold, its hash in the database), KPIs, goals each edited by one person only (so that the
// last acknowledged edit is the one that must stand), and an integration that syncs from a local
// provider server into a KPI of its own.

/** Who each workspace's people are: one owner, one admin, then members and viewers. */
export function rolesFor(people: number): WorkspaceRole[] {
  const roles: WorkspaceRole[] = ["OWNER", "ADMIN"];
  for (let index = 2; index < people; index++) roles.push(index % 3 === 2 ? "VIEWER" : "MEMBER");
  return roles.slice(0, people);
}

export interface Person {
  /** The client's number, 0..clients-1: it makes the person's writes unique. */
  index: number;
  userId: string;
  role: WorkspaceRole;
  workspaceId: string;
  /** name=value, as the browser sends it. */
  cookie: string;
  /** Goals only this person edits (editors only). */
  goalIds: string[];
}

export interface Workspace {
  id: string;
  /** KPIs people write to. */
  kpiIds: string[];
  /** The integration's own KPI: only the worker writes to it. */
  syncedKpiId: string;
  integrationId: string;
}

export interface Tenants {
  workspaces: Workspace[];
  people: Person[];
}

const kpisPerWorkspace = 6;
const goalsPerEditor = 2;

/** `clients` people spread over `workspaceCount` workspaces; integrations fetch from `providerUrl`. */
export async function arrangeTenants(
  admin: OperatorPool,
  options: { clients: number; workspaces: number; providerUrl: string; keyring: Keyring },
): Promise<Tenants> {
  const workspaces: Workspace[] = [];
  const people: Person[] = [];
  for (let w = 0; w < options.workspaces; w++) {
    const count = Math.floor(options.clients / options.workspaces) + (w < options.clients % options.workspaces ? 1 : 0);
    const workspaceId = randomUUID();
    const users: { id: string }[] = [];
    for (let p = 0; p < count; p++) users.push(await createUser(admin, `Load ${w}-${p}`));
    const kpiIds = Array.from({ length: kpisPerWorkspace }, () => randomUUID());
    const syncedKpiId = randomUUID();
    const roles = rolesFor(count);
    await operatorTransaction(admin, async (client) => {
      await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, $2, $3)", [
        workspaceId,
        `Load ${w}`,
        `load-${w}-${workspaceId.slice(0, 8)}`,
      ]);
      for (const [p, user] of users.entries())
        await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, $3)", [
          workspaceId,
          user.id,
          roles[p],
        ]);
      for (const [k, id] of [...kpiIds, syncedKpiId].entries())
        await client.query("INSERT INTO kpis (id, workspace_id, name, target_value) VALUES ($1, $2, $3, 1000)", [
          id,
          workspaceId,
          k < kpisPerWorkspace ? `Load KPI ${k}` : "Synced KPI",
        ]);
    });
    const integrationId = await arrangeIntegration(admin, workspaceId, syncedKpiId, options);
    workspaces.push({ id: workspaceId, kpiIds, syncedKpiId, integrationId });
    for (const [p, user] of users.entries()) {
      const role = roles[p] ?? "VIEWER";
      const goalIds = role === "VIEWER" ? [] : await arrangeGoals(admin, workspaceId, kpiIds, people.length);
      people.push({
        index: people.length,
        userId: user.id,
        role,
        workspaceId,
        cookie: await arrangeSession(admin, user.id),
        goalIds,
      });
    }
  }
  return { workspaces, people };
}

/** A session as sign-in makes it: the token only in the cookie, its SHA-256 in the database. */
async function arrangeSession(admin: OperatorPool, userId: string): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await admin.query(
    "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 day')",
    [userId, createHash("sha256").update(token).digest()],
  );
  return `${sessionCookieName}=${token}`;
}

/** Goals titled "Goal <person's index>-<n>" (what the ledger starts from). */
async function arrangeGoals(admin: OperatorPool, workspaceId: string, kpiIds: string[], p: number) {
  const ids: string[] = [];
  for (let g = 0; g < goalsPerEditor; g++) {
    const id = randomUUID();
    await admin.query(
      "INSERT INTO goals (id, workspace_id, title, target_date) VALUES ($1, $2, $3, now() + interval '90 days')",
      [id, workspaceId, `Goal ${p}-${g}`],
    );
    await admin.query("INSERT INTO goal_kpis (workspace_id, goal_id, kpi_id) VALUES ($1, $2, $3)", [
      workspaceId,
      id,
      kpiIds[(p + g) % kpiIds.length],
    ]);
    ids.push(id);
  }
  return ids;
}

/** An http-json integration, its (empty) credentials sealed as the host seals them, due in a minute. */
async function arrangeIntegration(
  admin: OperatorPool,
  workspaceId: string,
  kpiId: string,
  options: { providerUrl: string; keyring: Keyring },
): Promise<string> {
  const id = randomUUID();
  const config = { url: `${options.providerUrl}/series/${workspaceId}`, valuePath: "$.points" };
  const sealed = seal(options.keyring, {}, credentialsBinding(workspaceId, id, "http-json", config));
  await admin.query(
    `INSERT INTO integrations (id, workspace_id, provider, name, config, credentials, credentials_key_id,
                               sync_interval_seconds, next_sync_at)
     VALUES ($1, $2, 'http-json', 'Load source', $3, $4, $5, 60, now() + interval '1 minute')`,
    [id, workspaceId, JSON.stringify(config), Buffer.from(sealed.ciphertext), sealed.keyId],
  );
  await admin.query(
    "INSERT INTO integration_metrics (workspace_id, integration_id, metric_key, kpi_id) VALUES ($1, $2, 'value', $3)",
    [workspaceId, id, kpiId],
  );
  return id;
}
