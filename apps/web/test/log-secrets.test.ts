import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { stateCookieName } from "@northstar/api";
import { useOAuthIssuer } from "@northstar/api/testing/oauth-issuer";
import { createDatabase, type Database, generateKeyPair, parseKeyring, parsePublicKeyring } from "@northstar/db";
import { type RunningWorker, startWorker } from "@northstar/worker";
import { testWorkerOptions } from "@northstar/worker/testing/worker-options";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type JobSender, startJobSender } from "../server/jobs.ts";
import { signedIn } from "./api-calls.ts";
import { LogCapture, type RunningHost, startHost, testSecret, useHostDatabase } from "./support.ts";

// Secrets never reach a log line. A host (with its job sender) and a worker, each logging at debug
// into a buffer, go through sign-in (development and OAuth), connecting integrations with
// credentials, syncs that send an auth header (one provider answers fine, one reflects the header
// back in a 401, one cannot be reached), a credentials change and sign-out; then every log line
// of all three is searched for every secret the run used.

const ctx = useHostDatabase();
const issuer = useOAuthIssuer();
const publicUrl = "https://northstar.example.com";
const keys = generateKeyPair("log-secrets");
const senderLogs = new LogCapture();
const workerLogs = new LogCapture();
const headerSecret = "hdr-secret-7f3a9c1e5b2d4a6f";
const changedSecret = "hdr-secret-changed-0b8e2d4c";
const githubToken = "ghp_logsecret0123456789abcdefABCDEF";
const querySecret = "qs-secret-5e1c9a7b3d";
/** Every secret the run used; sessions and OAuth values are added as they appear. */
const secrets = new Set([headerSecret, changedSecret, githubToken, querySecret, testSecret, keys.privateKey]);

let host: RunningHost;
let sender: JobSender;
let worker: RunningWorker;
let workerDatabase: Database;
let provider: Server;
let providerUrl = "";
const outcomes = new Map<string, (kind: string) => void>();

beforeAll(async () => {
  provider = createServer((request, response) => {
    const key = request.headers["x-api-key"];
    if (request.url?.startsWith("/reflect")) {
      // A hostile or careless provider: the credential comes back in the error body.
      response
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ error: `bad key ${String(key)}` }));
    } else if (key === headerSecret || key === changedSecret) {
      response.writeHead(200, { "content-type": "application/json" }).end('{"data":{"value":42}}');
    } else {
      response.writeHead(401, { "content-type": "application/json" }).end(`{"error":"bad key ${String(key)}"}`);
    }
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;

  sender = await startJobSender(ctx().database.hostUrl, pino({ level: "debug" }, senderLogs.stream));
  host = await startHost({
    database: ctx().db,
    credentialsKeyring: parsePublicKeyring(keys.publicKey),
    jobs: sender.jobs,
    auth: { baseUrl: publicUrl, developmentSignIn: true, providers: { google: issuer.google() } },
  });
  workerDatabase = createDatabase({ url: ctx().database.workerUrl, poolSize: 4 });
  worker = await startWorker(
    testWorkerOptions({
      database: workerDatabase,
      queueUrl: ctx().database.workerUrl,
      keyring: parseKeyring(keys.privateKey),
      logger: pino({ level: "debug" }, workerLogs.stream),
      concurrency: 2,
      providerConcurrency: 2,
    }),
  );
  worker.onOutcome((job, outcome) => {
    outcomes.get(job.integrationId)?.(outcome.kind);
  });
});

afterAll(async () => {
  await worker.stop(30_000);
  await workerDatabase.close();
  await host.close();
  await sender.close();
  await new Promise<void>((resolve) => {
    provider.close(() => {
      resolve();
    });
  });
});

/** A tRPC mutation as our client sends it; its result's JSON. */
async function mutation(cookie: string, path: string, input: unknown): Promise<unknown> {
  const response = await fetch(`${host.url}/trpc/${path}`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json", origin: publicUrl },
    body: JSON.stringify({ json: input }),
  });
  const body: unknown = await response.json();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  const result: unknown = typeof body === "object" && body !== null ? Reflect.get(body, "result") : undefined;
  const data: unknown = typeof result === "object" && result !== null ? Reflect.get(result, "data") : undefined;
  return typeof data === "object" && data !== null ? Reflect.get(data, "json") : undefined;
}

function idOf(value: unknown): string {
  const id: unknown = typeof value === "object" && value !== null ? Reflect.get(value, "id") : undefined;
  if (typeof id !== "string") throw new Error(`no id in ${JSON.stringify(value)}`);
  return id;
}

/** Presses "sync now" and waits for the worker's outcome of that integration (no time bound but the test's). */
async function syncAndWait(cookie: string, workspaceId: string, integrationId: string): Promise<string> {
  const outcome = new Promise<string>((resolve) => outcomes.set(integrationId, resolve));
  // The worker's start-up dispatch ended before any integration existed, and its cron never fires
  // here: this press is the only sync of the integration.
  await mutation(cookie, "integration.syncNow", { workspaceId, integrationId });
  return outcome;
}

/** The session token in a name=value cookie. */
function tokenOf(cookie: string): string {
  return cookie.slice(cookie.indexOf("=") + 1);
}

describe("secrets in logs", () => {
  test("no credential, session token or sign-in secret appears in any log line", async () => {
    // OAuth sign-in: the state cookie, the code and the session are secrets.
    const sub = `logs-${crypto.randomUUID()}`;
    issuer.answerUserinfoWith({ sub, email: `${sub}@example.com`, email_verified: true, name: "Logs" });
    const start = await fetch(`${host.url}/auth/google/start`, { redirect: "manual" });
    const state = start.headers
      .getSetCookie()
      .find((header) => header.startsWith(`__Host-${stateCookieName}=`))
      ?.split(";")[0];
    expect(state).toBeDefined();
    secrets.add(tokenOf(state ?? ""));
    const atProvider = await fetch(new URL(start.headers.get("location") ?? ""), { redirect: "manual" });
    const callback = new URL(atProvider.headers.get("location") ?? "");
    const code = callback.searchParams.get("code");
    expect(code).toBeTruthy();
    secrets.add(code ?? "");
    const done = await fetch(`${host.url}${callback.pathname}${callback.search}`, {
      redirect: "manual",
      headers: { cookie: state ?? "" },
    });
    expect(done.status).toBe(302);
    const oauthCookie = done.headers
      .getSetCookie()
      .find((header) => header.startsWith("__Host-northstar_session="))
      ?.split(";")[0];
    expect(oauthCookie).toBeDefined();
    secrets.add(tokenOf(oauthCookie ?? ""));

    // Development sign-in; this person connects the integrations.
    const { id: userId, cookie } = await signedIn(host, ctx().admin, { origin: publicUrl, secure: true });
    secrets.add(tokenOf(cookie));
    // Three integrations need more than the FREE plan's one.
    await ctx().admin.query(
      `INSERT INTO subscriptions (user_id, plan, current_period_start, current_period_end)
       VALUES ($1, 'BUSINESS', now() - interval '1 day', now() + interval '30 days')`,
      [userId],
    );
    const workspaceId = idOf(
      await mutation(cookie, "workspace.create", { name: "Logs", slug: `logs-${crypto.randomUUID().slice(0, 8)}` }),
    );
    const ws = { workspaceId };
    const kpiId = idOf(await mutation(cookie, "kpi.create", { ...ws, name: "Synced" }));
    const connect = async (name: string, path: string) => {
      const integrationId = idOf(
        await mutation(cookie, "integration.connect", {
          ...ws,
          provider: "http-json",
          name,
          credentials: { headerName: "x-api-key", headerValue: headerSecret },
          config: { url: `${providerUrl}${path}?token=${querySecret}`, valuePath: "$.data.value" },
        }),
      );
      await mutation(cookie, "integration.mapMetric", { ...ws, integrationId, metricKey: "value", kpiId });
      return integrationId;
    };
    const good = await connect("Good provider", "/value");
    const reflecting = await connect("Reflecting provider", "/reflect");
    const github = idOf(
      await mutation(cookie, "integration.connect", {
        ...ws,
        provider: "github",
        name: "Unreachable GitHub",
        credentials: { token: githubToken },
        config: { owner: "o", repo: "r" },
      }),
    );

    expect(await syncAndWait(cookie, workspaceId, good)).toBe("succeeded");
    expect(await syncAndWait(cookie, workspaceId, reflecting)).toBe("failed");
    expect(await syncAndWait(cookie, workspaceId, github)).toBe("failed");
    // New credentials, then a sync that sends them.
    await mutation(cookie, "integration.update", {
      ...ws,
      integrationId: good,
      credentials: { headerName: "x-api-key", headerValue: changedSecret },
    });
    expect(await syncAndWait(cookie, workspaceId, good)).toBe("succeeded");
    // A refused call carrying a credential (a header name the schema rejects).
    const refused = await fetch(`${host.url}/trpc/integration.connect`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", origin: publicUrl },
      body: JSON.stringify({
        json: {
          ...ws,
          provider: "http-json",
          name: "Bad",
          credentials: { headerName: "bad name", headerValue: headerSecret },
        },
      }),
    });
    expect(refused.status).toBe(400);
    const out = await fetch(`${host.url}/auth/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: publicUrl },
    });
    expect(out.status).toBe(303);

    // The logs saw the work (so an empty capture cannot pass), and none of the secrets.
    const senderText = senderLogs.lines.map((line) => JSON.stringify(line)).join("\n");
    const workerText = workerLogs.lines.map((line) => JSON.stringify(line)).join("\n");
    const hostRequestLog = host.logs.lines.map((line) => JSON.stringify(line)).join("\n");
    expect(hostRequestLog).toContain("/trpc/integration.connect");
    expect(hostRequestLog).toContain("/auth/google/callback");
    expect(workerText).toContain("sync succeeded");
    expect(workerText).toContain("sync failed");
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      for (const [name, text] of [
        ["host", hostRequestLog],
        ["job sender", senderText],
        ["worker", workerText],
      ] as const) {
        expect(text.includes(secret), `${name} logged a secret (${secret.slice(0, 6)}…)`).toBe(false);
      }
    }
  });
});
