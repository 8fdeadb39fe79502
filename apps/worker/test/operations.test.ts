import { createCipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { credentialsBinding, generateKeyPair, open, parseKeyring, parsePublicKeyring } from "@northstar/db";
import { sendSync } from "@northstar/db/queue";
import { useTestDatabase } from "@northstar/db/testing/vitest";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { developmentEnvironment, parseWorkerEnv } from "../src/env.ts";
import { resealCredentials } from "../src/reseal.ts";
import { retryDelaySeconds } from "../src/sync/backoff.ts";
import { scrub } from "../src/sync/errors.ts";
import {
  createIntegration,
  createTenant,
  testSyncSettings,
  json,
  keyringEnv,
  type ProviderServer,
  sendAsHost,
  startProviderServer,
  startTestWorker,
  testKeyring,
  type TestWorker,
} from "./support.ts";

// What operators rely on: key rotation, /metrics and /healthz, settings validated at start, and
// the backoff's shape.

const context = useTestDatabase("worker");

/** A row as it was sealed before the sealed box: AES-256-GCM under a shared key, bound to the row only. */
function sealLegacy(key: Buffer, json: unknown, workspaceId: string, integrationId: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`${workspaceId}:${integrationId}`, "utf8"));
  const data = Buffer.concat([cipher.update(JSON.stringify(json), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]);
}

describe("key rotation", () => {
  test("re-seals rows under an old private key or an old symmetric key, in all workspaces, to the new public key; a worker holding only the new key then syncs them", async () => {
    const { admin, db } = context();
    const oldPair = generateKeyPair("old-key");
    const newPair = generateKeyPair("new-key");
    const legacyKey = randomBytes(32);
    // The worker during the rotation: [new, old] private keys, and the symmetric key of before the upgrade.
    const rotated = parseKeyring(
      `${newPair.privateKey},${oldPair.privateKey}`,
      `legacy-key:${legacyKey.toString("base64")}`,
    );
    const provider = await startProviderServer((request, response) => {
      if (request.headers["x-api-key"] !== "hdr-rotation-secret") json(response, 401, { error: "no key" });
      else json(response, 200, { value: 42 });
    });
    try {
      const tenants = await Promise.all([createTenant(admin, 1), createTenant(admin, 1)]);
      const ids = await Promise.all(
        tenants.map((tenant, index) =>
          createIntegration(
            admin,
            tenant.workspaceId,
            {
              provider: "github",
              credentials: { token: `ghp_token_${index}_abcdef` },
              config: { owner: "o", repo: "r" },
              metrics: {},
            },
            parsePublicKeyring(oldPair.publicKey),
          ),
        ),
      );
      const feed = {
        provider: "http-json" as const,
        credentials: { headerName: "X-Api-Key", headerValue: "hdr-rotation-secret" },
        config: { url: `${provider.url}/value`, valuePath: "$.value" },
      };
      const sealedOld = await createIntegration(
        admin,
        tenants[1].workspaceId,
        { ...feed, metrics: { value: tenants[1].kpiIds[0] ?? "" } },
        parsePublicKeyring(oldPair.publicKey),
      );
      const sealedLegacy = await createIntegration(admin, tenants[0].workspaceId, {
        ...feed,
        metrics: { value: tenants[0].kpiIds[0] ?? "" },
      });
      await admin.query("UPDATE integrations SET credentials = $2, credentials_key_id = 'legacy-key' WHERE id = $1", [
        sealedLegacy,
        sealLegacy(legacyKey, feed.credentials, tenants[0].workspaceId, sealedLegacy),
      ]);
      // One row nobody can open (a key the ring has never had): left alone and counted.
      const lost = await createIntegration(
        admin,
        tenants[0].workspaceId,
        {
          provider: "github",
          credentials: { token: "ghp_lost_token_123" },
          config: { owner: "o", repo: "r" },
          metrics: {},
        },
        parsePublicKeyring(generateKeyPair("lost-key").publicKey),
      );
      const logs: string[] = [];
      const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(line) });
      expect(await resealCredentials(db, rotated, logger)).toEqual({ resealed: 4, unreadable: 1 });

      // Every re-sealed row opens with the new private key alone.
      const newOnly = parseKeyring(newPair.privateKey);
      for (const [index, id] of ids.entries()) {
        const row = await admin.query<{ workspace_id: string; credentials: Buffer; credentials_key_id: string }>(
          "SELECT workspace_id, credentials, credentials_key_id FROM integrations WHERE id = $1",
          [id],
        );
        const stored = row.rows[0];
        expect(stored?.credentials_key_id).toBe("new-key");
        expect(
          open(
            newOnly,
            { ciphertext: stored?.credentials ?? new Uint8Array(), keyId: "new-key" },
            credentialsBinding(stored?.workspace_id ?? "", id, "github", { owner: "o", repo: "r" }),
          ),
        ).toEqual({ token: `ghp_token_${index}_abcdef` });
      }
      expect((await admin.query("SELECT credentials_key_id FROM integrations WHERE id = $1", [lost])).rows).toEqual([
        { credentials_key_id: "lost-key" },
      ]);
      // Nothing left to do; and no secret in what was logged.
      expect(await resealCredentials(db, rotated, logger)).toEqual({ resealed: 0, unreadable: 1 });
      expect(logs.join("\n")).not.toMatch(/ghp_|hdr-rotation/);

      // End to end: the old keys are gone from the worker, and both feeds still sync with their header.
      const worker = await startTestWorker(context(), { keyring: newOnly });
      try {
        for (const [tenant, integrationId] of [
          [tenants[1], sealedOld],
          [tenants[0], sealedLegacy],
        ] as const) {
          const outcome = worker.nextOutcome(integrationId);
          await sendSync(worker.boss, { workspaceId: tenant.workspaceId, integrationId, reason: "requested" });
          expect(await outcome).toMatchObject({ kind: "succeeded", pointsWritten: 1 });
        }
      } finally {
        await worker.stop(5_000);
      }
      expect(provider.requests.map((request) => request.headers["x-api-key"])).toEqual([
        "hdr-rotation-secret",
        "hdr-rotation-secret",
      ]);
    } finally {
      await provider.close();
    }
  });
});

describe("/metrics and /healthz", () => {
  let provider: ProviderServer;
  let worker: TestWorker;
  beforeAll(async () => {
    provider = await startProviderServer((_request, response) => {
      json(response, 200, { points: [{ timestamp: new Date(Date.now() - 3_600_000).toISOString(), value: 3 }] });
    });
    worker = await startTestWorker(context(), { http: { port: 0, host: "127.0.0.1" } });
  });
  afterAll(async () => {
    await worker.stop(5_000);
    await provider.close();
  });

  test("healthz answers ok; metrics count runs, points and durations by provider, and queue depth", async () => {
    const { admin } = context();
    const health = await fetch(`${worker.httpUrl ?? ""}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok" }]);
    const tenant = await createTenant(admin, 1);
    const integrationId = await createIntegration(admin, tenant.workspaceId, {
      provider: "http-json",
      credentials: {},
      config: { url: `${provider.url}/x`, valuePath: "$.points" },
      metrics: { value: tenant.kpiIds[0] ?? "" },
    });
    const outcome = worker.nextOutcome(integrationId);
    await sendSync(worker.boss, { workspaceId: tenant.workspaceId, integrationId, reason: "requested" });
    expect(await outcome).toMatchObject({ kind: "succeeded" });
    const response = await fetch(`${worker.httpUrl ?? ""}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('northstar_sync_runs_total{provider="http-json",outcome="succeeded"} 1');
    expect(text).toContain('northstar_sync_points_written_total{provider="http-json"} 1');
    expect(text).toMatch(/northstar_sync_run_duration_seconds_count\{provider="http-json",outcome="succeeded"\} 1/);
    expect(text).toMatch(/northstar_queue_jobs\{queue="integration-sync",state="ready"\} \d+/);
  });

  test("the dispatcher, the key rotation and the point partitions' upkeep are pg-boss cron schedules", async () => {
    const schedules = await worker.boss.getSchedules();
    expect(schedules.map((schedule) => [schedule.name, schedule.cron, schedule.timezone]).sort()).toEqual([
      ["credentials-reseal", "0 0 1 1 *", "UTC"],
      ["integration-dispatch", "0 0 1 1 *", "UTC"],
      ["point-partitions", "0 0 1 1 *", "UTC"],
    ]);
  });

  test("healthz answers 503 once the worker is stopping", async () => {
    const stopping = await startTestWorker(context(), { http: { port: 0, host: "127.0.0.1" } });
    const url = stopping.httpUrl ?? "";
    const stopped = stopping.stop(5_000);
    const answer = await fetch(`${url}/healthz`).then(
      (response) => response.status,
      () => 503,
    );
    await stopped;
    expect(answer).toBe(503);
  });
});

describe("the queue's settings", () => {
  test("the worker's heartbeat and expiry win over a sender's defaults, whoever created the queue first", async () => {
    const { admin } = context();
    const tenant = await createTenant(admin, 0);
    // The web host's sender creates the queues with the defaults (heartbeat 10 s, expiry 900 s).
    await sendAsHost(context(), {
      workspaceId: tenant.workspaceId,
      integrationId: tenant.workspaceId,
      reason: "requested",
    });
    const worker = await startTestWorker(context(), { heartbeatSeconds: 20 });
    try {
      const queue = await worker.boss.getQueue("integration-sync");
      expect(queue).toMatchObject({
        policy: "stately",
        heartbeatSeconds: 20,
        expireInSeconds: testSyncSettings.runTimeoutSeconds + 60,
      });
    } finally {
      await worker.stop(5_000);
    }
  });
});

describe("settings", () => {
  test("defaults, and every setting checked once with a message naming it", () => {
    const env = parseWorkerEnv({
      NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv,
      WORKER_DATABASE_URL: "postgresql://login@db.internal:5432/northstar",
    });
    expect(env).toMatchObject({
      concurrency: 8,
      providerConcurrency: 4,
      workspaceConcurrency: 2,
      heartbeatSeconds: 30,
      dispatchCron: "* * * * *",
    });
    expect(env.sync).toMatchObject({ leaseSeconds: 300, maxConsecutiveFailures: 5, overlapSeconds: 300 });
    expect(env.database?.url).toBe("postgresql://login@db.internal:5432/northstar");
    expect(env.keyring.current.id).toBe(testKeyring.current.id);
    expect(() => parseWorkerEnv({})).toThrow(/NORTHSTAR_CREDENTIALS_PRIVATE_KEYS is required/);
    expect(() =>
      parseWorkerEnv({ NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv, WORKER_HEARTBEAT_SECONDS: "5" }),
    ).toThrow(/WORKER_HEARTBEAT_SECONDS/);
    expect(() =>
      parseWorkerEnv({
        NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv,
        WORKER_RETRY_BASE_SECONDS: "600",
        WORKER_RETRY_MAX_SECONDS: "60",
      }),
    ).toThrow(/WORKER_RETRY_MAX_SECONDS/);
    expect(parseWorkerEnv({ NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv }).database).toBeNull();
  });

  test("credentials keys: private keys (the first current), old symmetric keys beside them; malformed ones named", () => {
    const legacy = `2026-11:${randomBytes(32).toString("base64")}`;
    const env = parseWorkerEnv({ NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv, NORTHSTAR_CREDENTIALS_KEYS: legacy });
    expect([...env.keyring.privateKeys.keys()]).toEqual(["test-current"]);
    expect([...env.keyring.legacyKeys.keys()]).toEqual(["2026-11"]);
    expect(() => parseWorkerEnv({ NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: "nope" })).toThrow(
      /NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: Each private key must be written keyId:base64key/,
    );
    expect(() => parseWorkerEnv({ NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: generateKeyPair("k").publicKey })).toThrow(
      /NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: Key "k" is a public key/,
    );
    expect(() =>
      parseWorkerEnv({ NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv, NORTHSTAR_CREDENTIALS_KEYS: "old:c2hvcnQ=" }),
    ).toThrow(/NORTHSTAR_CREDENTIALS_KEYS: Key "old" must be 32 bytes/);
    // Only the development environment's own pair is built in: the host's dev script seals to its public half.
    const development = parseWorkerEnv(developmentEnvironment("postgresql://dev@127.0.0.1/dev", {}));
    const webDev = /NORTHSTAR_CREDENTIALS_PUBLIC_KEY:-([^}]+)\}/.exec(
      readFileSync(new URL("../../web/package.json", import.meta.url), "utf8"),
    )?.[1];
    const hostKey = parsePublicKeyring(webDev).current;
    expect(hostKey.id).toBe(development.keyring.current.id);
    expect(hostKey.publicKey.equals(development.keyring.current.publicKey)).toBe(true);
  });
});

describe("backoff and scrubbing", () => {
  const settings = { retryBaseSeconds: 60, retryMaxSeconds: 3_600 };
  test("exponential with equal jitter, capped; never sooner than the provider asked", () => {
    expect(retryDelaySeconds(1, settings, null, () => 0)).toBe(30);
    expect(retryDelaySeconds(1, settings, null, () => 1)).toBe(60);
    expect(retryDelaySeconds(3, settings, null, () => 0)).toBe(120);
    expect(retryDelaySeconds(3, settings, null, () => 1)).toBe(240);
    expect(retryDelaySeconds(20, settings, null, () => 1)).toBe(3_600);
    expect(retryDelaySeconds(20, settings, null, () => 0)).toBe(1_800);
    expect(retryDelaySeconds(1, settings, 900_000, () => 0.5)).toBe(900);
    // A Retry-After of a year reads as a broken header: a week at most.
    expect(retryDelaySeconds(1, settings, 365 * 86_400_000, () => 0.5)).toBe(7 * 86_400);
  });

  test("a message loses every known secret", () => {
    expect(scrub("token ghp_abc123 refused, again ghp_abc123", ["ghp_abc123", "ab"])).toBe(
      "token •••• refused, again ••••",
    );
  });
});
