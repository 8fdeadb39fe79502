import { randomUUID } from "node:crypto";
import type { WorkspaceRole } from "@northstar/db";
import { credentialsBinding, CredentialsError, open } from "@northstar/db";
import { providers } from "@northstar/core/provider-schemas";
import { z, ZodError } from "zod";
import { beforeAll, describe, expect, test } from "vitest";
import { appRouter } from "../src/root.ts";
import { createCallerFactory, createTRPCContext, type Jobs } from "../src/trpc.ts";
import {
  type Caller,
  callerFor,
  createWorkspace,
  expectCode,
  giveSubscription,
  signedInUser,
  testKeyring,
  testOpeningKeyring,
  useApiDatabase,
} from "./support.ts";

// The integration router through createCaller with a real context: what each role may do, what
// the plans allow, and that credentials go into the database sealed and never come back out.

const ctx = useApiDatabase();
const roles: WorkspaceRole[] = ["OWNER", "ADMIN", "MEMBER", "VIEWER"];
const callers = new Map<WorkspaceRole, Caller>();
let ownerToken = "";
let ref: { workspaceId: string };
const token = "ghp_abcdefghijklmnop1234";

function as(role: WorkspaceRole): Caller {
  const caller = callers.get(role);
  if (!caller) throw new Error(`no ${role}`);
  return caller;
}

const github = (name = "Repo stats") => ({
  provider: "github" as const,
  name,
  credentials: { token },
  config: { owner: "northstar", repo: "app" },
});

/** The row as the operator sees it, credentials included. */
interface StoredRow {
  workspace_id: string;
  credentials: Buffer;
  credentials_key_id: string;
  config: Record<string, unknown>;
  lease_token: string | null;
  sync_cursor: unknown;
}

async function storedRow(id: string): Promise<StoredRow> {
  const result = await ctx().admin.query<StoredRow>(
    "SELECT workspace_id, credentials, credentials_key_id, config, lease_token, sync_cursor FROM integrations WHERE id = $1",
    [id],
  );
  const row = result.rows[0];
  if (!row) throw new Error("no such integration");
  return row;
}

/** Nothing secret in a response, as a client would receive it. */
function expectNoSecrets(response: unknown, ...secrets: string[]): void {
  const json = JSON.stringify(response);
  expect(json).not.toMatch(/"credentials"\s*:/);
  expect(json).not.toMatch(/credentialsKeyId/);
  for (const secret of secrets) expect(json).not.toContain(secret);
}

beforeAll(async () => {
  const users = new Map<WorkspaceRole, string>();
  for (const role of roles) {
    const user = await signedInUser(ctx(), `integration-${role.toLowerCase()}`);
    callers.set(role, user.caller);
    users.set(role, user.id);
    if (role === "OWNER") ownerToken = user.token;
  }
  const workspace = await createWorkspace(
    ctx().admin,
    roles.map((role) => [users.get(role) ?? "", role]),
  );
  ref = { workspaceId: workspace.id };
  await giveSubscription(ctx().admin, users.get("OWNER") ?? "", "PRO");
});

describe("providers", () => {
  test("the catalogue, as plain JSON, for every member", async () => {
    const catalogue = await as("VIEWER").integration.providers(ref);
    expect(catalogue.map((provider) => provider.id)).toEqual(["http-json", "csv", "github", "stripe"]);
    const githubEntry = catalogue.find((provider) => provider.id === "github");
    expect(githubEntry?.metrics.map((metric) => metric.key)).toEqual(["stars", "open_issues", "merged_prs_per_day"]);
    expect(githubEntry?.credentialFields).toEqual([
      { name: "token", label: "Personal access token", type: "password", required: true },
    ]);
    expect(catalogue.find((provider) => provider.id === "stripe")?.metrics.map((metric) => metric.key)).toEqual([
      "mrr",
      "new_customers",
      "revenue_per_day",
    ]);
    expect(JSON.parse(JSON.stringify(catalogue))).toEqual(catalogue);
  });

  test("each provider's form fields are exactly its config and credentials schemas' fields", async () => {
    const catalogue = await as("VIEWER").integration.providers(ref);
    for (const entry of catalogue) {
      const provider = providers[entry.id];
      const keysOf = (schema: unknown) => (schema instanceof z.ZodObject ? Object.keys(schema.shape).sort() : null);
      expect(entry.configFields.map((field) => field.name).sort()).toEqual(keysOf(provider.config));
      expect(entry.credentialFields.map((field) => field.name).sort()).toEqual(keysOf(provider.credentials));
    }
  });
});

describe("connect", () => {
  test("seals the credentials, bound to the row, and answers only a hint", async () => {
    const connected = await as("OWNER").integration.connect({ ...ref, ...github() });
    expect(connected).toMatchObject({
      provider: "github",
      name: "Repo stats",
      syncStatus: "IDLE",
      credentialsHint: "••••1234",
      config: { owner: "northstar", repo: "app" },
    });
    expectNoSecrets(connected, token);

    const row = await storedRow(connected.id);
    expect(row.credentials.toString("utf8")).not.toContain(token);
    expect(row.credentials_key_id).toBe(testKeyring.current.id);
    const binding = credentialsBinding(row.workspace_id, connected.id, "github", row.config);
    expect(open(testOpeningKeyring, { ciphertext: row.credentials, keyId: row.credentials_key_id }, binding)).toEqual({
      token,
    });
    expect(() =>
      open(
        testOpeningKeyring,
        { ciphertext: row.credentials, keyId: row.credentials_key_id },
        credentialsBinding(row.workspace_id, randomUUID(), "github", row.config),
      ),
    ).toThrow(CredentialsError);

    // Copied onto another row by someone with database access, it does not open there.
    const other = await as("ADMIN").integration.connect({
      ...ref,
      provider: "stripe",
      name: "Billing",
      credentials: { apiKey: "sk_test_abcdef5678" },
    });
    await ctx().admin.query("UPDATE integrations SET credentials = $1 WHERE id = $2", [row.credentials, other.id]);
    const moved = await storedRow(other.id);
    expect(() =>
      open(
        testOpeningKeyring,
        { ciphertext: moved.credentials, keyId: moved.credentials_key_id },
        credentialsBinding(moved.workspace_id, other.id, "stripe", moved.config),
      ),
    ).toThrow(CredentialsError);
  });

  test("list and get never carry credentials", async () => {
    const list = await as("VIEWER").integration.list(ref);
    expect(list.length).toBeGreaterThanOrEqual(2);
    expectNoSecrets(list, token, "sk_test_abcdef5678");
    const first = list[0];
    if (!first) throw new Error("no integration");
    const got = await as("MEMBER").integration.get({ ...ref, integrationId: first.id });
    expectNoSecrets(got, token, "sk_test_abcdef5678");
    expect(got.credentialsHint).toMatch(/^••••/);
    expect(got.config).not.toHaveProperty("__credentialsHint");
  });

  test("MEMBER and VIEWER are refused, ADMIN and OWNER allowed", async () => {
    await expectCode(as("MEMBER").integration.connect({ ...ref, ...github("Member's") }), "FORBIDDEN");
    await expectCode(as("VIEWER").integration.connect({ ...ref, ...github("Viewer's") }), "FORBIDDEN");
    const csv = await as("ADMIN").integration.connect({
      ...ref,
      provider: "csv",
      name: "Sheet",
      credentials: { url: "https://sheets.example.com/export?token=s3cr3t-sheet" },
    });
    expect(csv.credentialsHint).toBe("sheets.example.com/••••");
    expect(csv.config).toEqual({ timestampColumn: "timestamp", valueColumn: "value" });
    expectNoSecrets(csv, "s3cr3t-sheet");
  });

  test("validation errors name the field and say what to fix", async () => {
    const missing = await expectCode(
      as("OWNER").integration.connect({ ...ref, ...github(), credentials: {} }),
      "BAD_REQUEST",
    );
    expect(missing.message).toMatch(/Access token is required/);
    expect(missing.cause).toBeInstanceOf(ZodError);
    if (missing.cause instanceof ZodError) expect(missing.cause.issues[0]?.path).toEqual(["credentials", "token"]);

    const badKey = await expectCode(
      as("OWNER").integration.connect({
        ...ref,
        provider: "stripe",
        name: "Stripe",
        credentials: { apiKey: "pk_live_publishable" },
      }),
      "BAD_REQUEST",
    );
    expect(badKey.message).toMatch(/Stripe secret or restricted key/);

    const badConfig = await expectCode(
      as("OWNER").integration.connect({
        ...ref,
        provider: "http-json",
        name: "Feed",
        credentials: {},
        config: { url: "ftp://x", valuePath: "data" },
      }),
      "BAD_REQUEST",
    );
    expect(badConfig.message).toMatch(/URL must be an http\(s\) URL/);
    expect(badConfig.message).toMatch(/JSON path must look like/);

    const halfHeader = await expectCode(
      as("OWNER").integration.connect({
        ...ref,
        provider: "http-json",
        name: "Feed",
        credentials: { headerName: "Authorization" },
        config: { url: "https://api.example.com/kpi", valuePath: "$.value" },
      }),
      "BAD_REQUEST",
    );
    expect(halfHeader.message).toMatch(/both a header name and a header value/);

    const badInterval = await expectCode(
      as("OWNER").integration.connect({ ...ref, ...github(), syncIntervalSeconds: 10 }),
      "BAD_REQUEST",
    );
    expect(badInterval.message).toMatch(/every 5 minutes/);
    await expectCode(as("OWNER").integration.connect({ ...ref, ...github(), name: " " }), "BAD_REQUEST");
  });

  test("the FREE plan allows one integration per workspace", async () => {
    const owner = await signedInUser(ctx(), "free-owner");
    const free = { workspaceId: (await createWorkspace(ctx().admin, [[owner.id, "OWNER"]])).id };
    await owner.caller.integration.connect({ ...free, ...github() });
    const error = await expectCode(
      owner.caller.integration.connect({ ...free, ...github("Second") }),
      "PRECONDITION_FAILED",
    );
    expect(error.message).toBe("The FREE plan allows 1 integration per workspace; upgrade the plan to add more.");
    expect(await owner.caller.integration.list(free)).toHaveLength(1);
  });

  test("a server without a keyring refuses to connect", async () => {
    const caller = callerFor(ctx().db, ownerToken, { keyring: null });
    const error = await expectCode(caller.integration.connect({ ...ref, ...github() }), "PRECONDITION_FAILED");
    expect(error.message).toMatch(/no credentials public key/);
  });
});

describe("credentials bound to the URL's origin", () => {
  const header = { headerName: "X-Api-Key", headerValue: "hdr-s3cret-7788" };
  const feed = (url: string) => ({
    provider: "http-json" as const,
    name: "Feed",
    credentials: header,
    config: { url, valuePath: "$.value" },
  });

  /** Whether the stored credentials open for the row as its config now stands (as the worker opens them). */
  async function opensFor(id: string): Promise<unknown> {
    const row = await storedRow(id);
    return open(
      testOpeningKeyring,
      { ciphertext: row.credentials, keyId: row.credentials_key_id },
      credentialsBinding(row.workspace_id, id, "http-json", row.config),
    );
  }

  test("an ADMIN who changes only the URL to another origin is refused; nothing changes", async () => {
    const { id } = await as("OWNER").integration.connect({ ...ref, ...feed("https://metrics.example.com/kpi") });
    const before = await storedRow(id);
    for (const url of [
      "https://attacker.example.net/collect",
      "http://metrics.example.com/kpi",
      "https://metrics.example.com:8443/kpi",
    ]) {
      const refused = await expectCode(
        as("ADMIN").integration.update({ ...ref, integrationId: id, config: { url, valuePath: "$.value" } }),
        "BAD_REQUEST",
      );
      expect(refused.message).toMatch(/The URL's origin changed .*: enter the credentials again/);
    }
    const after = await storedRow(id);
    expect(after.config.url).toBe("https://metrics.example.com/kpi");
    expect(after.credentials.equals(before.credentials)).toBe(true);
    expect(await opensFor(id)).toEqual(header);
  });

  test("a new path or query on the same origin keeps the credentials; a new origin with new credentials seals them for it", async () => {
    const { id } = await as("OWNER").integration.connect({ ...ref, ...feed("https://metrics.example.com/kpi") });
    const sealed = (await storedRow(id)).credentials;
    await as("ADMIN").integration.update({
      ...ref,
      integrationId: id,
      config: { url: "https://METRICS.example.com:443/v2/kpi?period=day", valuePath: "$.total" },
    });
    expect((await storedRow(id)).credentials.equals(sealed)).toBe(true);
    expect(await opensFor(id)).toEqual(header);

    const moved = { headerName: "Authorization", headerValue: "Bearer other-origin-1234" };
    const updated = await as("ADMIN").integration.update({
      ...ref,
      integrationId: id,
      config: { url: "https://new-metrics.example.org/kpi", valuePath: "$.total" },
      credentials: moved,
    });
    expect(updated.credentialsHint).toBe("••••1234");
    expect(await opensFor(id)).toEqual(moved);
    // Put back on the old origin by someone with database access, they no longer open.
    await ctx().admin.query(
      `UPDATE integrations SET config = jsonb_set(config, '{url}', '"https://metrics.example.com/kpi"') WHERE id = $1`,
      [id],
    );
    await expect(opensFor(id)).rejects.toThrow(CredentialsError);
  });

  test("an integration without auth moves to another origin with empty credentials", async () => {
    const { id } = await as("OWNER").integration.connect({
      ...ref,
      ...feed("https://open.example.com/kpi"),
      credentials: {},
    });
    await as("ADMIN").integration.update({
      ...ref,
      integrationId: id,
      config: { url: "https://open.example.net/kpi", valuePath: "$.value" },
      credentials: {},
    });
    expect(await opensFor(id)).toEqual({});
  });

  test("a user name or password in the URL is refused: it belongs in the sealed auth header", async () => {
    const refused = await expectCode(
      as("OWNER").integration.connect({ ...ref, ...feed("https://user:pw@metrics.example.com/kpi") }),
      "BAD_REQUEST",
    );
    expect(refused.message).toMatch(/must not contain a user name or password/);
  });
});

describe("URLs as each role sees them", () => {
  test("MEMBER and VIEWER see origin and path only; OWNER and ADMIN the whole URL", async () => {
    const full = "https://metrics.example.com/v1/kpi?api_key=qs-s3cret-4455&period=day";
    const { id } = await as("OWNER").integration.connect({
      ...ref,
      provider: "http-json",
      name: "Keyed feed",
      credentials: {},
      config: { url: full, valuePath: "$.value" },
    });
    // A URL with user-info from before it was refused, written by the operator.
    const legacy = await as("OWNER").integration.connect({
      ...ref,
      provider: "http-json",
      name: "Legacy feed",
      credentials: {},
      config: { url: "https://metrics.example.com/old", valuePath: "$.value" },
    });
    await ctx().admin.query(
      `UPDATE integrations SET config = jsonb_set(config, '{url}', '"https://ui-user:ui-pass@metrics.example.com/old#frag"') WHERE id = $1`,
      [legacy.id],
    );
    for (const role of ["MEMBER", "VIEWER"] as const) {
      const list = await as(role).integration.list(ref);
      expectNoSecrets(list, "qs-s3cret-4455", "api_key", "ui-user", "ui-pass");
      expect(list.find((item) => item.id === id)?.config).toEqual({
        url: "https://metrics.example.com/v1/kpi",
        valuePath: "$.value",
      });
      expect(list.find((item) => item.id === legacy.id)?.config.url).toBe("https://metrics.example.com/old");
      const got = await as(role).integration.get({ ...ref, integrationId: id });
      expect(got.config.url).toBe("https://metrics.example.com/v1/kpi");
    }
    for (const role of ["OWNER", "ADMIN"] as const) {
      const list = await as(role).integration.list(ref);
      expect(list.find((item) => item.id === id)?.config.url).toBe(full);
      expect((await as(role).integration.get({ ...ref, integrationId: id })).config.url).toBe(full);
    }
  });
});

describe("update, disable, enable, syncNow", () => {
  let id = "";
  beforeAll(async () => {
    id = (await as("OWNER").integration.connect({ ...ref, ...github("To update") })).id;
  });

  test("update changes name, config and interval, keeping the hint and the credentials", async () => {
    const before = await storedRow(id);
    const updated = await as("ADMIN").integration.update({
      ...ref,
      integrationId: id,
      name: "Renamed",
      config: { owner: "acme", repo: "web" },
      syncIntervalSeconds: 900,
    });
    expect(updated).toMatchObject({
      name: "Renamed",
      config: { owner: "acme", repo: "web" },
      syncIntervalSeconds: 900,
      credentialsHint: "••••1234",
    });
    expect((await storedRow(id)).credentials.equals(before.credentials)).toBe(true);
    await expectCode(as("MEMBER").integration.update({ ...ref, integrationId: id, name: "Nope" }), "FORBIDDEN");
    const invalid = await expectCode(
      as("OWNER").integration.update({ ...ref, integrationId: id, config: { owner: "acme" } }),
      "BAD_REQUEST",
    );
    expect(invalid.message).toMatch(/Repository is required/);
  });

  test("new credentials are sealed again and clear an auth failure", async () => {
    await ctx().admin.query("UPDATE integrations SET auth_failed_at = now() WHERE id = $1", [id]);
    const newToken = "ghp_replacement9876";
    const updated = await as("OWNER").integration.update({
      ...ref,
      integrationId: id,
      credentials: { token: newToken },
    });
    expect(updated.credentialsHint).toBe("••••9876");
    expect(updated.authFailedAt).toBeNull();
    expect(updated.config).toEqual({ owner: "acme", repo: "web" });
    expectNoSecrets(updated, newToken, token);
    const row = await storedRow(id);
    expect(
      open(
        testOpeningKeyring,
        { ciphertext: row.credentials, keyId: row.credentials_key_id },
        credentialsBinding(row.workspace_id, id, "github", row.config),
      ),
    ).toEqual({ token: newToken });
  });

  test("new settings or credentials start the history again and take the lease from a sync still running on the old ones", async () => {
    const lease = randomUUID();
    await ctx().admin.query(
      `UPDATE integrations SET sync_status = 'SYNCING', lease_token = $2, lease_expires_at = now() + interval '5 minutes',
              sync_cursor = '{"since": "2026-01-01T00:00:00Z"}' WHERE id = $1`,
      [id, lease],
    );
    const renamed = await as("OWNER").integration.update({ ...ref, integrationId: id, name: "Only renamed" });
    expect(renamed.syncStatus).toBe("SYNCING");
    expect((await storedRow(id)).lease_token).toBe(lease);
    const moved = await as("OWNER").integration.update({
      ...ref,
      integrationId: id,
      config: { owner: "acme", repo: "api" },
    });
    expect(moved.syncStatus).toBe("QUEUED");
    const row = await storedRow(id);
    expect({ lease: row.lease_token, cursor: row.sync_cursor }).toEqual({ lease: null, cursor: null });
  });

  test("disable, syncNow refused while disabled, enable clears the auth failure", async () => {
    await expectCode(as("VIEWER").integration.disable({ ...ref, integrationId: id }), "FORBIDDEN");
    expect((await as("ADMIN").integration.disable({ ...ref, integrationId: id })).syncStatus).toBe("DISABLED");
    const refused = await expectCode(
      as("OWNER").integration.syncNow({ ...ref, integrationId: id }),
      "PRECONDITION_FAILED",
    );
    expect(refused.message).toMatch(/disabled/);
    await ctx().admin.query("UPDATE integrations SET auth_failed_at = now(), consecutive_failures = 5 WHERE id = $1", [
      id,
    ]);
    await expectCode(as("MEMBER").integration.enable({ ...ref, integrationId: id }), "FORBIDDEN");
    const enabled = await as("OWNER").integration.enable({ ...ref, integrationId: id });
    expect(enabled).toMatchObject({ syncStatus: "IDLE", authFailedAt: null, consecutiveFailures: 0 });
  });

  test("syncNow queues the integration, due now", async () => {
    await ctx().admin.query("UPDATE integrations SET next_sync_at = now() + interval '1 hour' WHERE id = $1", [id]);
    await expectCode(as("MEMBER").integration.syncNow({ ...ref, integrationId: id }), "FORBIDDEN");
    const start = Date.now();
    const queued = await as("ADMIN").integration.syncNow({ ...ref, integrationId: id });
    const end = Date.now();
    expect(queued.syncStatus).toBe("QUEUED");
    // Due at the moment of the call.
    expect(queued.nextSyncAt?.getTime()).toBeGreaterThanOrEqual(start);
    expect(queued.nextSyncAt?.getTime()).toBeLessThanOrEqual(end);
    const row = await ctx().admin.query<{ sync_status: string }>(
      "SELECT sync_status::text FROM integrations WHERE id = $1",
      [id],
    );
    expect(row.rows[0]?.sync_status).toBe("QUEUED");
  });
});

describe("syncNow and the worker's queue", () => {
  /** The owner's caller on a host whose Jobs port is `jobs`. */
  function ownerWith(jobs: Jobs) {
    return createCallerFactory(appRouter)(
      createTRPCContext({
        database: ctx().db,
        sessionToken: ownerToken,
        secureCookies: false,
        credentialsKeyring: testKeyring,
        jobs,
      }),
    );
  }

  test("queues the integration and sends one job naming it and its workspace", async () => {
    const id = (await as("OWNER").integration.connect({ ...ref, ...github("Sent now") })).id;
    const sent: Array<{ workspaceId: string; integrationId: string }> = [];
    const queued = await ownerWith({ requestSync: (job) => Promise.resolve(void sent.push(job)) }).integration.syncNow({
      ...ref,
      integrationId: id,
    });
    expect(queued.syncStatus).toBe("QUEUED");
    expect(sent).toEqual([{ workspaceId: ref.workspaceId, integrationId: id }]);
  });

  test("a send that fails still leaves the integration queued and due now (the dispatcher picks it up)", async () => {
    const id = (await as("OWNER").integration.connect({ ...ref, ...github("Lost send") })).id;
    await ctx().admin.query("UPDATE integrations SET next_sync_at = now() + interval '1 hour' WHERE id = $1", [id]);
    const queued = await ownerWith({
      requestSync: () => Promise.reject(new Error("queue unreachable")),
    }).integration.syncNow({ ...ref, integrationId: id });
    expect(queued.syncStatus).toBe("QUEUED");
    const row = await ctx().admin.query<{ due: boolean }>(
      "SELECT next_sync_at <= now() AS due FROM integrations WHERE id = $1",
      [id],
    );
    expect(row.rows[0]?.due).toBe(true);
  });

  test("no job for a disabled integration, nor for one already syncing", async () => {
    const id = (await as("OWNER").integration.connect({ ...ref, ...github("Not sent") })).id;
    const sent: unknown[] = [];
    const caller = ownerWith({ requestSync: (job) => Promise.resolve(void sent.push(job)) });
    await ctx().admin.query("UPDATE integrations SET sync_status = 'SYNCING' WHERE id = $1", [id]);
    expect((await caller.integration.syncNow({ ...ref, integrationId: id })).syncStatus).toBe("SYNCING");
    await ctx().admin.query("UPDATE integrations SET sync_status = 'DISABLED' WHERE id = $1", [id]);
    await expectCode(caller.integration.syncNow({ ...ref, integrationId: id }), "PRECONDITION_FAILED");
    expect(sent).toEqual([]);
  });
});

describe("metric mappings", () => {
  let integrationId = "";
  let revenue = "";
  let stars = "";
  beforeAll(async () => {
    integrationId = (await as("OWNER").integration.connect({ ...ref, ...github("Mapped") })).id;
    revenue = (await as("OWNER").kpi.create({ ...ref, name: "Mapped stars" })).id;
    stars = (await as("OWNER").kpi.create({ ...ref, name: "Mapped stars, take two" })).id;
  });

  test("every member sees the provider's metrics, unmapped at first", async () => {
    const metrics = await as("VIEWER").integration.metrics({ ...ref, integrationId });
    expect(metrics.map((metric) => [metric.key, metric.kpi])).toEqual([
      ["stars", null],
      ["open_issues", null],
      ["merged_prs_per_day", null],
    ]);
  });

  test("OWNER and ADMIN map a metric to a KPI, a second map replaces it, unmap removes it; MEMBER and VIEWER are refused", async () => {
    await expectCode(
      as("MEMBER").integration.mapMetric({ ...ref, integrationId, metricKey: "stars", kpiId: revenue }),
      "FORBIDDEN",
    );
    await expectCode(as("VIEWER").integration.unmapMetric({ ...ref, integrationId, metricKey: "stars" }), "FORBIDDEN");
    const mapped = await as("ADMIN").integration.mapMetric({
      ...ref,
      integrationId,
      metricKey: "stars",
      kpiId: revenue,
    });
    expect(mapped).toMatchObject({ key: "stars", kpi: { id: revenue, name: "Mapped stars" } });
    await as("OWNER").integration.mapMetric({ ...ref, integrationId, metricKey: "stars", kpiId: stars });
    const metrics = await as("VIEWER").integration.metrics({ ...ref, integrationId });
    expect(metrics.find((metric) => metric.key === "stars")?.kpi?.id).toBe(stars);
    const rows = await ctx().admin.query("SELECT kpi_id FROM integration_metrics WHERE integration_id = $1", [
      integrationId,
    ]);
    expect(rows.rows).toEqual([{ kpi_id: stars }]);
    expect(await as("OWNER").integration.unmapMetric({ ...ref, integrationId, metricKey: "stars" })).toMatchObject({
      key: "stars",
      kpi: null,
      removed: true,
    });
    expect(await as("OWNER").integration.unmapMetric({ ...ref, integrationId, metricKey: "stars" })).toMatchObject({
      removed: false,
    });
    expect(
      (await ctx().admin.query("SELECT 1 FROM integration_metrics WHERE integration_id = $1", [integrationId]))
        .rowCount,
    ).toBe(0);
  });

  test("a metric the provider does not have, a malformed key, an unknown or archived KPI: clear refusals", async () => {
    const unknown = await expectCode(
      as("OWNER").integration.mapMetric({ ...ref, integrationId, metricKey: "mrr", kpiId: revenue }),
      "BAD_REQUEST",
    );
    expect(unknown.message).toBe('GitHub has no metric "mrr"; use one of: stars, open_issues, merged_prs_per_day.');
    const malformed = await expectCode(
      as("OWNER").integration.mapMetric({ ...ref, integrationId, metricKey: "Stars!", kpiId: revenue }),
      "BAD_REQUEST",
    );
    expect(malformed.message).toMatch(/Metric must be a metric key of the provider/);
    const badId = await expectCode(
      as("OWNER").integration.mapMetric({ ...ref, integrationId, metricKey: "stars", kpiId: "nope" }),
      "BAD_REQUEST",
    );
    expect(badId.message).toMatch(/KPI id must be a UUID/);
    const missing = await expectCode(
      as("OWNER").integration.mapMetric({ ...ref, integrationId, metricKey: "stars", kpiId: randomUUID() }),
      "NOT_FOUND",
    );
    expect(missing.message).toBe("KPI not found.");
    const archived = (await as("OWNER").kpi.create({ ...ref, name: "Archived target" })).id;
    await as("OWNER").kpi.archive({ ...ref, kpiId: archived });
    const refused = await expectCode(
      as("OWNER").integration.mapMetric({ ...ref, integrationId, metricKey: "stars", kpiId: archived }),
      "PRECONDITION_FAILED",
    );
    expect(refused.message).toMatch(/archived/);
    await expectCode(as("OWNER").integration.metrics({ ...ref, integrationId: randomUUID() }), "NOT_FOUND");
  });
});

describe("runs", () => {
  test("recent sync runs, newest first, by cursor", async () => {
    const integration = await as("OWNER").integration.connect({ ...ref, ...github("With runs") });
    for (const [minutesAgo, status, points, code] of [
      [30, "SUCCEEDED", 10, null],
      [20, "FAILED", 0, "http_500"],
      [10, "SUCCEEDED", 3, null],
    ] as const) {
      await ctx().admin.query(
        `INSERT INTO sync_runs (workspace_id, integration_id, status, started_at, finished_at, points_written, error_code, error_message)
         VALUES ($1, $2, $3, now() - make_interval(mins => $4), now() - make_interval(mins => $4) + interval '5 seconds', $5, $6, $7)`,
        [ref.workspaceId, integration.id, status, minutesAgo, points, code, code ? "The provider answered 500." : null],
      );
    }
    const first = await as("VIEWER").integration.runs({ ...ref, integrationId: integration.id, limit: 2 });
    expect(first.items.map((run) => [run.status, run.pointsWritten])).toEqual([
      ["SUCCEEDED", 3],
      ["FAILED", 0],
    ]);
    expect(first.items[1]).toMatchObject({ errorCode: "http_500", errorMessage: "The provider answered 500." });
    expect(first.nextCursor).toBe(first.items[1]?.id);
    const second = await as("VIEWER").integration.runs({
      ...ref,
      integrationId: integration.id,
      limit: 2,
      cursor: first.nextCursor ?? undefined,
    });
    expect(second.items.map((run) => run.pointsWritten)).toEqual([10]);
    expect(second.nextCursor).toBeNull();
    await expectCode(as("VIEWER").integration.runs({ ...ref, integrationId: randomUUID() }), "NOT_FOUND");
  });
});

describe("another workspace's integration", () => {
  test("answers NOT_FOUND everywhere and stays unchanged", async () => {
    const stranger = await signedInUser(ctx(), "stranger");
    const theirs = { workspaceId: (await createWorkspace(ctx().admin, [[stranger.id, "OWNER"]])).id };
    const integration = await stranger.caller.integration.connect({ ...theirs, ...github("Theirs") });
    const before = await ctx().admin.query("SELECT * FROM integrations WHERE id = $1", [integration.id]);
    const integrationId = integration.id;
    const theirKpi = (await stranger.caller.kpi.create({ ...theirs, name: "Their KPI" })).id;
    const ours = (await as("OWNER").integration.connect({ ...ref, ...github("Ours") })).id;
    const calls: [string, () => Promise<unknown>][] = [
      ["get", () => as("OWNER").integration.get({ ...ref, integrationId })],
      [
        "update",
        () =>
          as("OWNER").integration.update({
            ...ref,
            integrationId,
            name: "Hijacked",
            credentials: { token: "ghp_hijack0000" },
          }),
      ],
      ["disable", () => as("OWNER").integration.disable({ ...ref, integrationId })],
      ["enable", () => as("OWNER").integration.enable({ ...ref, integrationId })],
      ["syncNow", () => as("OWNER").integration.syncNow({ ...ref, integrationId })],
      ["runs", () => as("OWNER").integration.runs({ ...ref, integrationId })],
      ["metrics", () => as("OWNER").integration.metrics({ ...ref, integrationId })],
      [
        "mapMetric",
        () => as("OWNER").integration.mapMetric({ ...ref, integrationId, metricKey: "stars", kpiId: theirKpi }),
      ],
      ["unmapMetric", () => as("OWNER").integration.unmapMetric({ ...ref, integrationId, metricKey: "stars" })],
      [
        "mapMetric to their KPI",
        () => as("OWNER").integration.mapMetric({ ...ref, integrationId: ours, metricKey: "stars", kpiId: theirKpi }),
      ],
      ["list in theirs", () => as("OWNER").integration.list(theirs)],
      ["connect in theirs", () => as("OWNER").integration.connect({ ...theirs, ...github("Smuggled") })],
    ];
    for (const [name, call] of calls) {
      await expectCode(call(), "NOT_FOUND").catch((failure: unknown) => {
        throw new Error(`${name}: ${String(failure)}`);
      });
    }
    expect((await ctx().admin.query("SELECT * FROM integrations WHERE id = $1", [integration.id])).rows).toEqual(
      before.rows,
    );
    expect((await as("OWNER").integration.list(ref)).map((row) => row.id)).not.toContain(integration.id);
  });
});
