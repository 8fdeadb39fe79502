import { describe, expect, test } from "vitest";
import { toLocalInput } from "../src/lib/format.ts";
import { apiFor, createUser, devSignIn, expectNoProblems, openBrowser, useE2E } from "./support.ts";

// A KPI from nothing: create it, add values and watch the chart change, import a CSV with a bad
// line and read the error, archive and restore.

const e2e = useE2E();
const hour = 3_600_000;

function chartPixels(page: import("playwright-core").Page): Promise<string> {
  return page
    .locator(".chart canvas")
    .first()
    .evaluate((canvas) => (canvas as HTMLCanvasElement).toDataURL());
}

describe("KPIs", () => {
  test("create a KPI, add values, see the chart update, import a CSV with one bad line", async () => {
    const owner = await createUser(e2e().admin, "Owner");
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      await api.workspace.create.mutate({ name: "Chart Co", slug: "chart-co" });
      await page.goto("/w/chart-co");

      // Create from the empty state.
      await page.getByRole("button", { name: "Create your first KPI" }).click();
      const dialog = page.getByRole("dialog", { name: "New KPI" });
      await dialog.getByLabel("Name").fill("Weekly signups");
      await dialog.getByLabel("Unit").fill("signups");
      await dialog.getByLabel("Category").fill("Growth");
      await dialog.getByLabel("Target").fill("500");
      // A level: its progress is its newest value's, whatever month the test runs in.
      await dialog.getByLabel("Adds up as").selectOption("LAST");
      await dialog.getByRole("button", { name: "Create KPI" }).click();
      await page.getByRole("status").filter({ hasText: "KPI “Weekly signups” created." }).waitFor();
      const card = page.getByRole("article").filter({ hasText: "Weekly signups" });
      await card.getByText("Target 500 signups").waitFor();

      // Its page: no data yet.
      await card.getByRole("link", { name: "Weekly signups" }).click();
      await page.getByRole("heading", { name: "Weekly signups", exact: true }).waitFor();
      await page.getByRole("heading", { name: "No data in this range" }).waitFor();

      const addValue = async (value: string, at: Date) => {
        const form = page.getByRole("form", { name: "Add a value" });
        await form.getByLabel("Value").fill(value);
        await form.getByLabel("Time").fill(toLocalInput(at));
        await form.getByRole("button", { name: "Add value" }).click();
        await page.getByRole("status").filter({ hasText: "Value added." }).last().waitFor();
      };

      await addValue("120", new Date(Date.now() - 3 * 24 * hour));
      await page.locator(".chart canvas").first().waitFor();
      await expect.poll(() => page.getByTestId("kpi-current").textContent()).toBe("120 signups");
      const before = await chartPixels(page);

      await addValue("180", new Date(Date.now() - hour));
      await expect.poll(() => page.getByTestId("kpi-current").textContent()).toBe("180 signups");
      await expect.poll(() => chartPixels(page)).not.toBe(before);
      const rows = page.getByRole("table", { name: "Values, newest first" }).locator("tbody tr");
      await expect.poll(() => rows.count()).toBe(2);
      await page.getByRole("progressbar", { name: "Weekly signups: progress to target" }).first().waitFor();
      expect(
        await page
          .getByRole("progressbar", { name: "Weekly signups: progress to target" })
          .first()
          .getAttribute("aria-valuenow"),
      ).toBe("36");

      // A CSV with one bad line: nothing is imported and the line is named.
      const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 24 * hour).toISOString();
      await page.getByRole("button", { name: "Import CSV" }).click();
      const importDialog = page.getByRole("dialog", { name: "Import values from CSV" });
      await importDialog
        .getByLabel("Or paste the CSV")
        .fill(`timestamp,value\n${day(10)},90\nlast tuesday,95\n${day(9)},101\n${day(8)},99\n`);
      await importDialog.getByRole("button", { name: "Import" }).click();
      const problem = importDialog.getByRole("alert");
      await problem.getByText(/Nothing was imported: 1 line\(s\) need fixing \(Line 3, column "timestamp": /).waitFor();
      const lineRows = problem.getByRole("table", { name: "Lines to fix" }).locator("tbody tr");
      expect(await lineRows.count()).toBe(1);
      expect(await lineRows.first().locator("td").first().textContent()).toBe("3");
      expect(await lineRows.first().locator("td").nth(1).textContent()).toMatch(/"last tuesday" is not a date/);
      await expect.poll(() => rows.count()).toBe(2);

      // Fixed, it goes in.
      await importDialog
        .getByLabel("Or paste the CSV")
        .fill(`timestamp,value\n${day(10)},90\n${day(9.5)},95\n${day(9)},101\n${day(8)},99\n`);
      await importDialog.getByRole("button", { name: "Import" }).click();
      await page.getByRole("status").filter({ hasText: "Imported 4 values." }).waitFor();
      await expect.poll(() => rows.count()).toBe(6);

      // Twenty more: the table pages 20 at a time, the older page fetched when asked for.
      await page.getByRole("button", { name: "Import CSV" }).click();
      const more = Array.from({ length: 20 }, (_, index) => `${day(7 - index * 0.1)},${100 + index}`).join("\n");
      await importDialog.getByLabel("Or paste the CSV").fill(`timestamp,value\n${more}\n`);
      await importDialog.getByRole("button", { name: "Import" }).click();
      await page.getByRole("status").filter({ hasText: "Imported 20 values." }).waitFor();
      await expect.poll(() => rows.count()).toBe(20);
      const pager = page.getByRole("navigation", { name: "Pages of values" });
      await pager.getByRole("button", { name: "Older" }).click();
      await pager.getByText("Page 2 of 2").waitFor();
      await expect.poll(() => rows.count()).toBe(6);
      expect(await pager.getByRole("button", { name: "Older" }).isDisabled()).toBe(true);
      await pager.getByRole("button", { name: "Newer" }).click();
      await expect.poll(() => rows.count()).toBe(20);

      // Archive takes it off the dashboard; restore brings it back.
      await page.getByRole("button", { name: "Archive" }).click();
      await page.getByRole("heading", { name: /Weekly signups\s*Archived/ }).waitFor();
      await page.getByRole("button", { name: "Restore" }).click();
      await page.getByRole("button", { name: "Archive" }).waitFor();
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });

  test("a SUM KPI in a workspace in Berlin: the form's aggregation, the Settings time zone, daily totals", async () => {
    const owner = await createUser(e2e().admin, "Counter");
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      const workspace = await api.workspace.create.mutate({ name: "Count Co", slug: "count-co" });

      // The time zone, picked in Settings.
      await page.goto("/w/count-co/settings");
      await page.getByRole("combobox", { name: "Time zone" }).selectOption("Europe/Berlin");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await page.getByRole("status").filter({ hasText: "Time zone set to Europe/Berlin." }).waitFor();
      expect((await api.workspace.get.query({ workspaceId: workspace.id })).timeZone).toBe("Europe/Berlin");

      // A count per day adds up: Sum, chosen in the form.
      await page.goto("/w/count-co");
      await page.getByRole("button", { name: "Create your first KPI" }).click();
      const dialog = page.getByRole("dialog", { name: "New KPI" });
      await dialog.getByLabel("Name").fill("Deploys");
      await dialog.getByLabel("Adds up as").selectOption("SUM");
      await dialog.getByRole("button", { name: "Create KPI" }).click();
      await page.getByRole("status").filter({ hasText: "KPI “Deploys” created." }).waitFor();
      const [kpi] = (await api.kpi.list.query({ workspaceId: workspace.id })).items;
      expect(kpi?.aggregation).toBe("SUM");
      if (!kpi) throw new Error("the KPI was not created");

      // Two deploys yesterday (local time in Berlin, read by the API) and one today.
      const berlinDate = (daysAgo: number) =>
        new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(
          new Date(Date.now() - daysAgo * 24 * hour),
        );
      for (const [date, value] of [
        [`${berlinDate(1)}T09:00`, 2],
        [`${berlinDate(1)}T17:00`, 3],
      ] as const) {
        await api.kpi.recordPoint.mutate({ workspaceId: workspace.id, kpiId: kpi.id, value, timestamp: date });
      }
      const to = new Date();
      const series = await api.kpi.series.query({
        workspaceId: workspace.id,
        kpiId: kpi.id,
        from: new Date(to.getTime() - 2 * 24 * hour),
        to,
        buckets: 10,
        calendar: "day",
      });
      expect(series.timeZone).toBe("Europe/Berlin");
      expect(series.columns.value.filter((value) => value !== null)).toEqual([5]);

      await page.getByRole("article").filter({ hasText: "Deploys" }).getByRole("link", { name: "Deploys" }).click();
      await page.getByText(/each the total of its values \(Europe\/Berlin time\)/).waitFor();
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });

  test("validation messages from the API appear beside the field", async () => {
    const owner = await createUser(e2e().admin, "Typo");
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      const workspace = await api.workspace.create.mutate({ name: "Typo Co", slug: "typo-co" });
      await api.kpi.create.mutate({ workspaceId: workspace.id, name: "Revenue" });
      await page.goto("/w/typo-co");
      await page.getByRole("button", { name: "New KPI" }).click();
      const dialog = page.getByRole("dialog", { name: "New KPI" });
      await dialog.getByLabel("Name").fill("Revenue");
      await dialog.getByRole("button", { name: "Create KPI" }).click();
      await dialog
        .getByText("An active KPI already has this name; choose another name or archive the other KPI.")
        .waitFor();
      await dialog.getByRole("button", { name: "Cancel" }).click();

      // A field the API's schema refuses: its message sits under that field.
      await page.goto("/welcome");
      await page.getByLabel("Name").fill("Another");
      await page.getByLabel("URL").fill("ab");
      await page.getByRole("button", { name: "Create workspace" }).click();
      await page.locator(".field-invalid").getByText("Slug must be at least 3 characters").waitFor();
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });
});
