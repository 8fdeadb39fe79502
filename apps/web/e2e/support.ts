import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AuthConfig, Billing } from "@northstar/api";
import type { PublicKeyring } from "@northstar/db";
import { createNorthstarClient, type NorthstarClient } from "@northstar/api/client";
import type { AxeResults } from "axe-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { pino } from "pino";
import { afterAll, beforeAll, expect, inject } from "vitest";
import {
  type AdminPool,
  type HostTestDatabase,
  type RunningHost,
  startHost,
  useHostDatabase,
} from "../test/support.ts";
import { type JobSender, startJobSender } from "../server/jobs.ts";
import { launchChromium } from "./browser.ts";

// End-to-end: the real host (createApp on a free port) serving the production build, a real
// database (this file's own clone), and Debian's Chromium.

export { createUser } from "@northstar/db/testing";

export const artifactsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "artifacts");

export interface E2E {
  host: RunningHost;
  browser: Browser;
  admin: AdminPool;
  /** This file's database (its URLs, the app's handle). */
  database: HostTestDatabase;
}

interface E2EOptions {
  auth?: Partial<AuthConfig>;
  credentialsKeyring?: PublicKeyring;
  /** "Sync now" sends jobs to the worker's queue, as main.ts wires it. */
  jobs?: boolean;
  /** Billing for the host, built once the file's other servers run (the Stripe stand-in). */
  billing?: () => Billing;
}

/** The host, the browser and the superuser pool for one test file. */
export function useE2E({ auth = {}, credentialsKeyring, jobs = false, billing }: E2EOptions = {}): () => E2E {
  const ctx = useHostDatabase();
  let state: E2E | undefined;
  let sender: JobSender | null = null;
  beforeAll(async () => {
    // The send's give-up bound is the subject of no test here: far above a loaded machine's insert.
    sender = jobs
      ? await startJobSender(ctx().database.hostUrl, pino({ level: "silent" }), { sendTimeoutMs: 60_000 })
      : null;
    const host = await startHost({
      jobs: sender?.jobs ?? null,
      database: ctx().db,
      clientDir: inject("clientDir"),
      auth: { developmentSignIn: true, ...auth },
      credentialsKeyring: credentialsKeyring ?? null,
      billing: billing?.() ?? null,
      // A browser run makes many calls from one address; the limits have their own tests.
      rateLimits: { signIn: { burst: 1_000, perSecond: 100 }, mutations: { burst: 1_000, perSecond: 100 } },
    });
    state = { host, browser: await launchChromium(), admin: ctx().admin, database: ctx() };
  });
  afterAll(async () => {
    // What the host logged as failed, to read beside a failing test.
    const failures = state?.host.logs.lines.filter((line) => Number(line.level) >= 50) ?? [];
    if (failures.length > 0) console.error("host errors:", JSON.stringify(failures, null, 2).slice(0, 4000));
    await state?.browser.close();
    await state?.host.close();
    await sender?.close();
  });
  return () => {
    if (!state) throw new Error("the e2e host is not ready yet");
    return state;
  };
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and CSP violations seen by the page. */
  problems: string[];
}

export interface BrowserOptions {
  viewport?: { width: number; height: number };
  timezoneId?: string;
  colorScheme?: "light" | "dark";
}

export async function openBrowser(
  e2e: E2E,
  { viewport = { width: 1280, height: 900 }, timezoneId, colorScheme = "light" }: BrowserOptions = {},
): Promise<BrowserSession> {
  const context = await e2e.browser.newContext({
    viewport,
    baseURL: e2e.host.url,
    colorScheme,
    ...(timezoneId ? { timezoneId } : {}),
  });
  // Waits are bounds against a hang, not speed targets: generous for a loaded 2-core machine.
  context.setDefaultTimeout(60_000);
  context.setDefaultNavigationTimeout(60_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) problems.push(`CSP: ${message.text()}`);
  });
  return { context, page, problems };
}

/** Signs in through the sign-in page's development form; resolves once the app has moved on. */
export async function devSignIn(page: Page, userId: string): Promise<void> {
  // Already sent to the sign-in page (with ?next=): sign in there, as a person would.
  if (!new URL(page.url()).pathname.startsWith("/sign-in")) await page.goto("/sign-in");
  await page.getByLabel("User id").fill(userId);
  await page.getByRole("button", { name: "Sign in as this user" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
}

/** The API as the browser's signed-in person (for arranging data faster than clicking). */
export async function apiFor(e2e: E2E, context: BrowserContext): Promise<NorthstarClient> {
  const cookies = await context.cookies(e2e.host.url);
  const session = cookies.find((cookie) => cookie.name === "northstar_session");
  if (!session) throw new Error("the browser is not signed in");
  return createNorthstarClient(`${e2e.host.url}/trpc`, (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("cookie", `${session.name}=${session.value}`);
    // The host takes writes only from its own origin, as the browser's own calls are.
    headers.set("origin", new URL(e2e.host.url).origin);
    return fetch(input, { ...init, headers });
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}

declare global {
  interface Window {
    axe?: { run(context: Document, options: { runOnly: string[] }): Promise<AxeResults> };
  }
}

const axeSource = readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * The page's WCAG 2 A and AA violations of serious or critical impact, found by axe-core, as
 * "rule: help (selectors)". Injected through the DevTools protocol, which the page's CSP does not govern.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(await axeSource);
  const results = await page.evaluate(async () => {
    if (!window.axe) throw new Error("axe-core did not load");
    const run = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return run.violations.map((violation) => ({
      id: violation.id,
      help: violation.help,
      impact: violation.impact ?? null,
      targets: violation.nodes.map((node) => node.target.join(" ")),
    }));
  });
  return results
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.help} (${violation.targets.slice(0, 5).join(", ")})`);
}

/** No uncaught errors, no CSP refusals. */
export function expectNoProblems(session: BrowserSession): void {
  expect(session.problems).toEqual([]);
}
