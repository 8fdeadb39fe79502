// `pnpm --filter @northstar/worker bench`: what one worker process ingests, against the physical
// limit. 1,000 integrations (100 workspaces x 10) each answering 1,000 points from a local HTTP
// JSON server; the worker syncs them all (claim, fetch, batched upsert, cursor, release) and the
// points/s it reaches is set against a raw COPY of the same number of rows into the same table.
// Then queue overhead: no-op syncs (nothing new to fetch) per second, and pg-boss alone. Runs on
// DATABASE_URL's server (databases of its own, dropped at the end) or a throwaway embedded one.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  configuredDatabaseUrl,
  createDatabase,
  credentialsBinding,
  generateKeyPair,
  parseKeyring,
  seal,
} from "@northstar/db";
import { copyRaw, prepareRawCopy } from "@northstar/db/generate";
import { createQueueClient, ensureQueues } from "@northstar/db/queue";
import { migrate, withDatabaseServer } from "@northstar/db/server";
import {
  createTestDatabase,
  ensureTestLogin,
  type OperatorPool,
  operatorPool,
  type TestDatabase,
} from "@northstar/db/testing";
import { pino } from "pino";
import { createConnectors } from "../src/providers/index.ts";
import { startWorker } from "../src/worker.ts";

const workspaces = 100;
const integrationsPerWorkspace = 10;
const integrations = workspaces * integrationsPerWorkspace;
const pointsPerIntegration = 1_000;
const totalPoints = integrations * pointsPerIntegration;
const concurrency = 16;
const keyring = parseKeyring(generateKeyPair("bench").privateKey);

async function freshDatabase(serverUrl: string): Promise<TestDatabase> {
  const database = await createTestDatabase(serverUrl, "template0");
  await migrate(database.adminUrl);
  await ensureTestLogin(serverUrl);
  return database;
}

/** 100 workspaces with an owner, 10 KPIs each, one HTTP JSON integration per KPI, mapped, all due now. */
async function arrange(admin: OperatorPool, providerUrl: string): Promise<void> {
  const client = await admin.connect();
  try {
    await client.query("BEGIN");
    const rows: Array<[string, string, string, string, Buffer, string]> = [];
    for (let w = 0; w < workspaces; w++) {
      const workspaceId = randomUUID();
      const ownerId = randomUUID();
      await client.query(
        "INSERT INTO users (id, email, name, provider, provider_account_id) VALUES ($1, $2, 'Bench', 'github', $3)",
        [ownerId, `bench-${ownerId}@example.com`, ownerId],
      );
      await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Bench', $2)", [
        workspaceId,
        `bench-${workspaceId.slice(0, 8)}`,
      ]);
      await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')", [
        workspaceId,
        ownerId,
      ]);
      for (let i = 0; i < integrationsPerWorkspace; i++) {
        const integrationId = randomUUID();
        const config = { url: `${providerUrl}/series/${w}/${i}`, valuePath: "$.points" };
        const sealed = seal(keyring, {}, credentialsBinding(workspaceId, integrationId, "http-json", config));
        rows.push([
          workspaceId,
          integrationId,
          randomUUID(),
          JSON.stringify(config),
          Buffer.from(sealed.ciphertext),
          sealed.keyId,
        ]);
      }
    }
    const column = (index: number) => rows.map((row) => row[index]);
    await client.query(
      `INSERT INTO kpis (id, workspace_id, name)
       SELECT k, w, 'KPI ' || k FROM unnest($1::uuid[], $2::uuid[]) AS u(w, k)`,
      [column(0), column(2)],
    );
    await client.query(
      `INSERT INTO integrations
              (id, workspace_id, provider, name, config, credentials, credentials_key_id, next_sync_at)
       SELECT i, w, 'http-json', 'Feed', c::jsonb, b, kid, now() + interval '1 day'
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[], $5::text[]) AS u(w, i, c, b, kid)`,
      [column(0), column(1), column(3), column(4), column(5)],
    );
    await client.query(
      `INSERT INTO integration_metrics (workspace_id, integration_id, metric_key, kpi_id)
       SELECT w, i, 'value', k FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS u(w, i, k)`,
      [column(0), column(1), column(2)],
    );
    await client.query("COMMIT");
    await client.query("ANALYZE");
  } finally {
    client.release();
  }
}

async function copyCeiling(serverUrl: string): Promise<number> {
  const database = await freshDatabase(serverUrl);
  const folder = await mkdtemp(path.join(tmpdir(), "northstar-worker-bench-"));
  try {
    const file = path.join(folder, "points.tsv");
    // 1,000 KPIs x 1,000 points (every 864 s over 10 days): the same row count into the same table.
    await prepareRawCopy({
      url: database.adminUrl,
      workspaces,
      kpisPerWorkspace: integrationsPerWorkspace,
      days: 10,
      intervalSeconds: 864,
      file,
    });
    const result = await copyRaw({ url: database.adminUrl, file });
    console.log(
      `raw COPY: ${result.points.toLocaleString("en")} rows in ${result.seconds.toFixed(2)} s = ` +
        `${Math.round(result.pointsPerSecond).toLocaleString("en")} rows/s`,
    );
    return result.pointsPerSecond;
  } finally {
    await rm(folder, { recursive: true, force: true });
    await database.drop();
  }
}

async function queueAlone(workerUrl: string): Promise<number> {
  const boss = createQueueClient({ url: workerUrl, supervise: false, poolSize: concurrency + 4 });
  await boss.start();
  try {
    await ensureQueues(boss);
    const name = "bench-noop";
    await boss.createQueue(name, { policy: "stately", retryLimit: 0 });
    const jobs = 5_000;
    await boss.insert(
      name,
      Array.from({ length: jobs }, () => ({ data: {}, singletonKey: randomUUID() })),
    );
    let done = 0;
    const started = performance.now();
    const finished = new Promise<void>((resolve) => {
      void boss.work(
        name,
        { batchSize: 4, localConcurrency: concurrency / 4, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true },
        async (batch) => {
          done += batch.length;
          if (done >= jobs) resolve();
          return Promise.resolve();
        },
      );
    });
    await finished;
    const seconds = (performance.now() - started) / 1000;
    return jobs / seconds;
  } finally {
    await boss.stop({ graceful: false });
  }
}

async function run(serverUrl: string): Promise<void> {
  const ceiling = await copyCeiling(serverUrl);
  const database = await freshDatabase(serverUrl);
  const body = { points: [] as Array<{ timestamp: string; value: number }> };
  const firstHour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - pointsPerIntegration * 3_600_000;
  for (let index = 0; index < pointsPerIntegration; index++)
    body.points.push({ timestamp: new Date(firstHour + index * 3_600_000).toISOString(), value: index % 97 });
  let answer = JSON.stringify(body);
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const providerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The worker's own login, as apps/worker's main.ts connects.
  const db = createDatabase({ url: database.workerUrl, poolSize: concurrency + 4, transactionTimeoutMs: 60_000 });
  // The superuser's hand, for arranging and counting.
  const admin = operatorPool(database.adminUrl);
  try {
    await arrange(admin, providerUrl);
    const worker = await startWorker({
      database: db,
      queueUrl: database.workerUrl,
      keyring,
      connectors: createConnectors(),
      logger: pino({ level: "warn" }),
      sync: {
        leaseSeconds: 300,
        runTimeoutSeconds: 600,
        overlapSeconds: 300,
        backfillDays: 90,
        retryBaseSeconds: 60,
        retryMaxSeconds: 3600,
        maxConsecutiveFailures: 5,
        runHistory: 100,
        httpTimeoutSeconds: 30,
        allowPrivateNetwork: true,
      },
      concurrency,
      providerConcurrency: concurrency,
      workspaceConcurrency: 4,
      heartbeatSeconds: 30,
      dispatchCron: "0 0 1 1 *",
      resealCron: "0 0 1 1 *",
      pointPartitions: { cron: "0 0 1 1 *", monthsAhead: 3, retentionMonths: null },
      http: null,
    });
    const succeeded = new Set<string>();
    let failed = 0;
    let round: () => void = () => undefined;
    worker.onOutcome((job, outcome) => {
      if (outcome.kind === "succeeded") succeeded.add(job.integrationId);
      else failed++;
      if (succeeded.size + failed === integrations) round();
    });
    const measureRound = async (): Promise<number> => {
      succeeded.clear();
      failed = 0;
      const done = new Promise<void>((resolve) => {
        round = resolve;
      });
      // Due now (arranged due tomorrow, so the worker's own start-up dispatch found nothing).
      await admin.query("UPDATE integrations SET next_sync_at = now() - interval '1 minute'");
      const started = performance.now();
      const { due } = await worker.dispatch();
      if (due !== integrations) throw new Error(`expected ${integrations} due integrations, found ${due}`);
      await done;
      if (failed > 0) throw new Error(`${failed} syncs did not succeed`);
      return (performance.now() - started) / 1000;
    };

    const ingestSeconds = await measureRound();
    const written = Number((await admin.query<{ n: string }>("SELECT count(*) AS n FROM kpi_data_points")).rows[0]?.n);
    if (written !== totalPoints) throw new Error(`expected ${totalPoints} points, found ${written}`);
    const pointsPerSecond = totalPoints / ingestSeconds;

    // No-op syncs: the same integrations again, due now, with nothing new to fetch.
    answer = JSON.stringify({ points: [] });
    const noopSeconds = await measureRound();
    await worker.stop(10_000);
    const queueJobsPerSecond = await queueAlone(database.workerUrl);

    console.log(
      `worker ingest: ${integrations.toLocaleString("en")} integrations x ` +
        `${pointsPerIntegration.toLocaleString("en")} points = ${totalPoints.toLocaleString("en")} points ` +
        `in ${ingestSeconds.toFixed(2)} s = ` +
        `${Math.round(pointsPerSecond).toLocaleString("en")} points/s (concurrency ${concurrency})`,
    );
    console.log(`ratio to raw COPY: ${((pointsPerSecond / ceiling) * 100).toFixed(1)}% (target >= 25%)`);
    console.log(
      `no-op syncs: ${integrations.toLocaleString("en")} in ${noopSeconds.toFixed(2)} s = ` +
        `${Math.round(integrations / noopSeconds).toLocaleString("en")} syncs/s`,
    );
    console.log(
      "pg-boss alone (no-op jobs, stately, singletonKey each): " +
        `${Math.round(queueJobsPerSecond).toLocaleString("en")} jobs/s`,
    );
  } finally {
    await db.close();
    await admin.end();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    await database.drop();
  }
}

await withDatabaseServer(configuredDatabaseUrl(), run);
