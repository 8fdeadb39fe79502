import type { NorthstarClient } from "@northstar/api/client";
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import {
  accessibilityViolations,
  apiFor,
  createUser,
  devSignIn,
  expectNoProblems,
  openBrowser,
  screenshot,
  useE2E,
} from "./support.ts";

// Goals: link two KPIs with weights, read the shares and the weighted progress. Then the
// screenshots of the dashboard, a KPI page and the goals page at desktop and phone widths.

const e2e = useE2E();
const dayMs = 86_400_000;

describe("goals", () => {
  test("create a goal linking two KPIs with weights and see the weighted progress", async () => {
    const owner = await createUser(e2e().admin, "Planner");
    // West of UTC, where a date picked in the form once became the next day in the database.
    const session = await openBrowser(e2e(), { timezoneId: "America/Los_Angeles" });
    const { page } = session;
    try {
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      const workspace = await api.workspace.create.mutate({ name: "Goal Co", slug: "goal-co" });
      const dueDate = new Date(Date.now() + 60 * dayMs).toISOString().slice(0, 10);
      const revenue = await api.kpi.create.mutate({
        workspaceId: workspace.id,
        name: "Revenue",
        unit: "USD",
        targetValue: 100,
        // Levels: their newest value counts toward the goal, whichever month it falls in.
        aggregation: "LAST",
      });
      const nps = await api.kpi.create.mutate({
        workspaceId: workspace.id,
        name: "NPS",
        targetValue: 200,
        aggregation: "LAST",
      });
      await api.kpi.recordPoint.mutate({
        workspaceId: workspace.id,
        kpiId: revenue.id,
        value: 50,
        timestamp: new Date(Date.now() - 3_600_000),
      });
      await api.kpi.recordPoint.mutate({
        workspaceId: workspace.id,
        kpiId: nps.id,
        value: 200,
        timestamp: new Date(Date.now() - 3_600_000),
      });

      await page.goto("/w/goal-co/goals");
      await page.getByRole("heading", { name: "No goals yet" }).waitFor();
      await page.getByRole("button", { name: "Set your first goal" }).click();
      const dialog = page.getByRole("dialog", { name: "New goal" });
      await dialog.getByLabel("Title").fill("Grow revenue without hurting NPS");
      await dialog.getByLabel("Target date").fill(dueDate);
      await dialog.getByRole("button", { name: "Link a KPI" }).click();
      await dialog.getByRole("button", { name: "Link a KPI" }).click();
      await dialog.getByLabel("KPI 1", { exact: true }).selectOption({ label: "Revenue" });
      await dialog.getByLabel("Weight of KPI 1").fill("3");
      await dialog.getByLabel("KPI 2", { exact: true }).selectOption({ label: "NPS" });
      await dialog.getByLabel("Weight of KPI 2").fill("1");
      // Weights read as shares before saving.
      expect(await dialog.getByLabel("Share of KPI 1").textContent()).toBe("75%");
      expect(await dialog.getByLabel("Share of KPI 2").textContent()).toBe("25%");
      await dialog.getByRole("button", { name: "Create goal" }).click();

      const card = page.getByRole("article").filter({ hasText: "Grow revenue without hurting NPS" });
      // (3 × 50% + 1 × 100%) / 4
      await expect.poll(() => card.getByTestId("goal-progress").textContent()).toBe("62.5%");
      const shares = await card.getByTestId("kpi-share").allTextContents();
      expect(shares).toEqual(["25%", "75%"]); // by KPI name: NPS, Revenue
      await card.getByText("Pace: On track").waitFor();
      const [stored] = await api.goal.list.query({ workspaceId: workspace.id });
      expect(stored?.targetDate?.toISOString().slice(0, 10)).toBe(dueDate);

      // Edit: reweigh to 1:1, and the progress follows.
      await card.getByRole("button", { name: "Edit" }).click();
      const edit = page.getByRole("dialog", { name: "Edit goal" });
      const revenueRow = edit
        .locator(".link-row")
        .filter({ has: page.locator("option:checked", { hasText: "Revenue" }) });
      await revenueRow.getByRole("textbox").fill("1");
      await edit.getByRole("button", { name: "Save goal" }).click();
      await expect.poll(() => card.getByTestId("goal-progress").textContent()).toBe("75%");
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });

  test("screenshots: dashboard, KPI page and goals at 1280 and 375 pixels wide", async () => {
    const owner = await createUser(e2e().admin, "Ada Example");
    const desktop = await openBrowser(e2e(), { viewport: { width: 1280, height: 900 } });
    try {
      await devSignIn(desktop.page, owner.id);
      const api = await apiFor(e2e(), desktop.context);
      const kpiId = await arrangeShowcase(api);
      const phone = await openBrowser(e2e(), { viewport: { width: 375, height: 812 } });
      try {
        await devSignIn(phone.page, owner.id);
        for (const [session, width] of [
          [desktop, "1280"],
          [phone, "375"],
        ] as const) {
          const { page } = session;
          await page.goto("/w/showcase");
          await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
          await loadAllSparklines(page);
          await screenshot(page, `dashboard-${width}`);
          expect(await accessibilityViolations(page), `dashboard at ${width}`).toEqual([]);
          await page.goto(`/w/showcase/kpis/${kpiId}`);
          await page.locator(".chart canvas").first().waitFor();
          await page.getByRole("button", { name: "90d" }).click();
          await page.waitForLoadState("networkidle");
          await screenshot(page, `kpi-${width}`);
          expect(await accessibilityViolations(page), `KPI page at ${width}`).toEqual([]);
          await page.goto("/w/showcase/goals");
          await page.getByTestId("goal-progress").first().waitFor();
          await screenshot(page, `goals-${width}`);
          expect(await accessibilityViolations(page), `goals at ${width}`).toEqual([]);
          // Nothing wider than the screen: no sideways scrolling of the page itself.
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(Number(width));
          expectNoProblems(session);
        }
      } finally {
        await phone.context.close();
      }
      // Dark mode follows the system: the same pages, dark, audited too.
      const dark = await openBrowser(e2e(), { colorScheme: "dark" });
      try {
        const { page } = dark;
        await devSignIn(page, owner.id);
        await page.goto("/w/showcase");
        await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
        await loadAllSparklines(page);
        await screenshot(page, "dashboard-1280-dark");
        expect(await accessibilityViolations(page), "dashboard, dark").toEqual([]);
        await page.goto(`/w/showcase/kpis/${kpiId}`);
        await page.locator(".chart canvas").first().waitFor();
        await screenshot(page, "kpi-1280-dark");
        expect(await accessibilityViolations(page), "KPI page, dark").toEqual([]);
        await page.goto("/w/showcase/goals");
        await page.getByTestId("goal-progress").first().waitFor();
        expect(await accessibilityViolations(page), "goals, dark").toEqual([]);
        expectNoProblems(dark);
      } finally {
        await dark.context.close();
      }
    } finally {
      await desktop.context.close();
    }
  });
});

/** Brings each card into view in turn (sparklines load when visible) and waits for its sparkline. */
async function loadAllSparklines(page: Page): Promise<void> {
  // The heading comes before the KPI cards (skeletons until the summary arrives): count them once there.
  await page.locator(".kpi-card").first().waitFor();
  const cards = page.locator(".kpi-card");
  for (let index = 0; index < (await cards.count()); index++) {
    const card = cards.nth(index);
    await card.scrollIntoViewIfNeeded();
    await card.locator(".sparkline canvas").waitFor();
  }
  await page.evaluate(() => {
    window.scrollTo(0, 0);
  });
}

/** A workspace that looks lived in: KPIs in three categories with 80 days of history, two goals. */
async function arrangeShowcase(api: NorthstarClient): Promise<string> {
  const workspace = await api.workspace.create.mutate({ name: "Showcase", slug: "showcase" });
  const workspaceId = workspace.id;
  const specs = [
    { name: "Monthly recurring revenue", unit: "USD", category: "Revenue", target: 120_000, from: 82_000, to: 104_000 },
    { name: "Churn rate", unit: "%", category: "Revenue", target: 2, from: 3.4, to: 2.6, lower: true },
    { name: "New signups", unit: "signups", category: "Growth", target: 450, from: 280, to: 390 },
    { name: "Activation rate", unit: "%", category: "Growth", target: 45, from: 36, to: 41 },
    { name: "First response time", unit: "min", category: "Support", target: 30, from: 48, to: 29, lower: true },
  ];
  const ids: string[] = [];
  const now = Date.now();
  for (const [index, spec] of specs.entries()) {
    const kpi = await api.kpi.create.mutate({
      workspaceId,
      name: spec.name,
      unit: spec.unit,
      category: spec.category,
      targetValue: spec.target,
      direction: spec.lower ? "LOWER_IS_BETTER" : "HIGHER_IS_BETTER",
    });
    ids.push(kpi.id);
    const days = 80;
    const points = Array.from({ length: days }, (_, day) => {
      const trend = spec.from + ((spec.to - spec.from) * day) / (days - 1);
      // A steady wobble, different per KPI, so the lines look like data.
      const wobble = 1 + 0.04 * Math.sin(day * 0.9 + index) + 0.02 * Math.sin(day * 2.3 + index * 2);
      return {
        timestamp: new Date(now - (days - day) * dayMs).toISOString(),
        value: Math.round(trend * wobble * 100) / 100,
      };
    });
    await api.kpi.importPoints.mutate({ workspaceId, kpiId: kpi.id, data: points });
  }
  const [mrr, churn, signups, activation, response] = ids;
  if (!mrr || !churn || !signups || !activation || !response) throw new Error("the showcase KPIs were not created");
  await api.goal.create.mutate({
    workspaceId,
    title: "Reach $120k MRR",
    targetDate: new Date(now + 75 * dayMs),
    status: "ON_TRACK",
    kpis: [
      { kpiId: mrr, weight: 3 },
      { kpiId: churn, weight: 1, criterion: "STAY_BELOW" },
    ],
  });
  await api.goal.create.mutate({
    workspaceId,
    title: "Activate more new signups",
    targetDate: new Date(now + 20 * dayMs),
    status: "AT_RISK",
    kpis: [
      { kpiId: signups, weight: 1 },
      { kpiId: activation, weight: 2 },
    ],
  });
  await api.goal.create.mutate({
    workspaceId,
    title: "Answer customers within 30 minutes",
    targetDate: new Date(now + 30 * dayMs),
    kpis: [{ kpiId: response, weight: 1, criterion: "STAY_BELOW" }],
  });
  return mrr;
}
