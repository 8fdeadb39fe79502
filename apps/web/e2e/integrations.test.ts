import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDatabase, type Database, generateKeyPair, parseKeyring, parsePublicKeyring } from "@northstar/db";
import type { Page } from "playwright-core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningWorker, startWorker } from "@northstar/worker";
import { testWorkerOptions } from "@northstar/worker/testing/worker-options";
import {
  accessibilityViolations,
  apiFor,
  createUser,
  devSignIn,
  expectNoProblems,
  openBrowser,
  useE2E,
} from "./support.ts";

// An HTTP JSON integration end to end: connect it through the form, map its metric to a KPI,
// "Sync now" (the host sends the job to the queue), and the worker (in this process, built as
// apps/worker's main.ts builds it) fetches from a local provider server; the page shows the run,
// the KPI the value. Then the provider refuses the credentials and the page says so in plain words;
// a URL moved to another site asks for the credentials again.

// The host seals to the public key; only the worker holds the private one.
const keys = generateKeyPair("e2e");
const keyring = parseKeyring(keys.privateKey);
const e2e = useE2E({ credentialsKeyring: parsePublicKeyring(keys.publicKey), jobs: true });
const secret = "Bearer s3cret-token-value";
let providerUrl = "";
let acceptedSecret = secret;
let provider: Server;
let worker: RunningWorker;
// The worker connects with its own login, as apps/worker's main.ts does.
let workerDatabase: Database;

beforeAll(async () => {
  provider = createServer((request, response) => {
    if (request.headers.authorization !== acceptedSecret) {
      response.writeHead(401, { "content-type": "application/json" }).end('{"error":"bad token"}');
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { total: 4321 } }));
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  workerDatabase = createDatabase({ url: e2e().database.database.workerUrl, poolSize: 4 });
  // "Sync now" sends its own job; the every-minute dispatcher (due integrations) never fires here.
  worker = await startWorker(
    testWorkerOptions({
      database: workerDatabase,
      queueUrl: e2e().database.database.workerUrl,
      keyring,
      logger: pino({ level: "silent" }),
      concurrency: 2,
      providerConcurrency: 2,
    }),
  );
});

/** Presses "Sync now"; resolves once the API has answered (the badge says "Queued" before that). */
async function syncNow(page: Page): Promise<void> {
  const answered = page.waitForResponse((response) => response.url().includes("integration.syncNow"));
  await page.getByRole("button", { name: "Sync now" }).click();
  expect((await answered).status()).toBe(200);
  await page.locator("h1").getByText("Queued").waitFor();
}

afterAll(async () => {
  await worker.stop(5_000);
  await workerDatabase.close();
  await new Promise<void>((resolve) => {
    provider.closeAllConnections();
    provider.close(() => {
      resolve();
    });
  });
});

describe("integrations", () => {
  test("connect an HTTP JSON integration to a local provider, map it to a KPI, sync now, see the value", async () => {
    const owner = await createUser(e2e().admin, "Ivy Integrator");
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      const workspace = await api.workspace.create.mutate({ name: "Feed Co", slug: "feed-co" });
      const kpi = await api.kpi.create.mutate({
        workspaceId: workspace.id,
        name: "Revenue feed",
        unit: "USD",
        targetValue: 5000,
      });

      await page.goto("/w/feed-co/integrations");
      await page.getByRole("heading", { name: "Nothing connected yet" }).waitFor();
      expect(await accessibilityViolations(page), "integrations page").toEqual([]);
      await page.getByRole("button", { name: "Connect HTTP JSON" }).click();
      const dialog = page.getByRole("dialog", { name: "Connect HTTP JSON" });
      await dialog.getByLabel("Name", { exact: true }).fill("Revenue feed");
      await dialog.getByLabel("URL", { exact: true }).fill(`${providerUrl}/revenue.json`);
      await dialog.getByLabel("JSON path to the value").fill("$.data.total");
      // The credential fields come from the provider's catalogue entry.
      await dialog.getByLabel("Auth header name (e.g. Authorization) (optional)").fill("Authorization");
      await dialog.getByLabel("Auth header value (optional)").fill(secret);
      await dialog.getByRole("button", { name: "Connect" }).click();

      // Its own page: the secret is never shown back, only a hint.
      await page.waitForURL(/\/w\/feed-co\/integrations\/[0-9a-f-]{36}$/);
      await page.getByRole("heading", { name: /Revenue feed/ }).waitFor();
      await page.getByText("••••alue").waitFor();
      expect(await page.content()).not.toContain(secret);
      await page.getByText("Nothing is mapped yet").waitFor();
      await page
        .getByRole("combobox", { name: "KPI for Value at the JSON path" })
        .selectOption({ label: "Revenue feed" });
      await page.getByRole("status").filter({ hasText: "now writes into “Revenue feed”" }).waitFor();

      await syncNow(page);
      await page.getByRole("status").filter({ hasText: "Sync queued." }).waitFor();
      await page.locator("h1").getByText("Succeeded").waitFor();
      const runs = page.getByRole("table").filter({ hasText: "Values written" }).locator("tbody tr");
      await expect.poll(() => runs.count()).toBeGreaterThanOrEqual(1);
      expect(await runs.first().locator("td").nth(2).textContent()).toBe("1");
      expect(await accessibilityViolations(page), "integration page").toEqual([]);

      await page.goto(`/w/feed-co/kpis/${kpi.id}`);
      await expect.poll(() => page.getByTestId("kpi-current").textContent()).toBe("$4,321");

      // The provider stops accepting the token: the next sync fails and pauses, in plain words.
      acceptedSecret = "Bearer rotated";
      await page.goBack();
      await syncNow(page);
      await page.locator("h1").getByText("Disabled").waitFor();
      await page.getByText("The provider refused the credentials, so syncing is paused").first().waitFor();

      // Its settings, edited in place: the form holds the current ones.
      await page.getByRole("button", { name: "Edit settings" }).click();
      const edit = page.getByRole("dialog", { name: "Edit settings" });
      expect(await edit.getByLabel("JSON path to the value").inputValue()).toBe("$.data.total");
      await edit.getByLabel("Name", { exact: true }).fill("Revenue (daily)");
      await edit.getByLabel("Sync").selectOption({ label: "Every day" });
      await edit.getByRole("button", { name: "Save settings" }).click();
      await page.getByRole("status").filter({ hasText: "Settings saved." }).waitFor();
      await page.getByRole("heading", { name: /Revenue \(daily\)/ }).waitFor();
      await page.getByText("every day").waitFor();

      // The URL moved to another site: the form asks for the credentials again and says why (a new
      // path on the same site does not); saved with them, the integration names the new URL.
      await page.getByRole("button", { name: "Edit settings" }).click();
      const move = page.getByRole("dialog", { name: "Edit settings" });
      const why = move.getByText("Credentials are only ever sent to the site they were entered for");
      await move.getByLabel("URL", { exact: true }).fill(`${providerUrl}/v2/revenue.json?period=day`);
      expect(await why.count()).toBe(0);
      const movedUrl = `${providerUrl.replace("127.0.0.1", "localhost")}/revenue.json`;
      await move.getByLabel("URL", { exact: true }).fill(movedUrl);
      await why.waitFor();
      await move.getByLabel("Auth header name (e.g. Authorization) (optional)").fill("Authorization");
      await move.getByLabel("Auth header value (optional)").fill(acceptedSecret);
      await move.getByRole("button", { name: "Save settings" }).click();
      await move.waitFor({ state: "hidden" });
      await page.getByText(movedUrl).waitFor();
      expect(await page.content()).not.toContain(acceptedSecret);
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });
});
