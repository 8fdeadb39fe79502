import { describe, expect, test } from "vitest";
import { apiFor, createUser, devSignIn, expectNoProblems, openBrowser, useE2E } from "./support.ts";

// A weather export with six columns, imported from the dashboard: two of its columns go to two
// KPIs (one that exists, one created by the import), after a preview of how the file is read.

const e2e = useE2E();
const day = 86_400_000;

/** The last 20 days of a `date,precipitation,temp_max,temp_min,wind,weather` file. */
function weatherFile(): string {
  const rows = Array.from({ length: 20 }, (_, index) => {
    const date = new Date(Date.now() - (20 - index) * day).toISOString().slice(0, 10);
    return `${date},${(index % 4) * 1.5},${10 + index},${2 + (index % 3)},${(index % 5) + 0.5},rain`;
  });
  return ["date,precipitation,temp_max,temp_min,wind,weather", ...rows].join("\n");
}

describe("CSV import", () => {
  test("upload a multi-column file, map two columns to two KPIs, preview, import, see both charts", async () => {
    const owner = await createUser(e2e().admin, "Importer");
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      const workspace = await api.workspace.create.mutate({ name: "Weather Co", slug: "weather-co" });
      await api.kpi.create.mutate({ workspaceId: workspace.id, name: "Rain", unit: "mm" });
      await page.goto("/w/weather-co");

      await page.getByRole("button", { name: "Import CSV" }).click();
      const dialog = page.getByRole("dialog", { name: "Import a CSV file" });
      await dialog.getByLabel("CSV file").setInputFiles({
        name: "seattle-weather.csv",
        mimeType: "text/csv",
        buffer: Buffer.from(weatherFile()),
      });

      // The preview: what was detected, and the first rows as they will be read.
      await dialog
        .getByTestId("import-detected")
        .getByText(/20 rows · delimiter comma · decimal point/)
        .waitFor();
      expect(await dialog.getByTestId("import-detected").textContent()).toContain("dates YYYY-MM-DD");
      expect(await dialog.getByLabel("Timestamp column").inputValue()).toBe("0");

      await dialog.getByLabel("Import precipitation").check();
      await dialog.getByLabel("KPI for precipitation").selectOption({ label: "Rain" });
      await dialog.getByLabel("Import temp_max").check();
      await dialog.getByLabel("New KPI name for temp_max").fill("Max temperature");

      const preview = dialog.getByRole("table", { name: "Preview: the first rows as they will be read" });
      // Read again with the chosen columns: the mapped ones, parsed.
      await expect
        .poll(() => preview.getByRole("columnheader").allTextContents())
        .toEqual(["Line", "Time", "precipitation", "temp_max"]);
      const firstRow = preview.locator("tbody tr").first();
      expect(await firstRow.locator("td").allTextContents()).toEqual(["2", expect.stringMatching(/\d/), "0", "10"]);

      await dialog.getByRole("button", { name: "Import 2 columns" }).click();
      await page.getByRole("status").filter({ hasText: "Imported 40 values into 2 KPIs." }).waitFor();

      // Both KPIs on the dashboard, each with its chart of the last 30 days.
      for (const name of ["Rain", "Max temperature"]) {
        const card = page.getByRole("article").filter({ hasText: name });
        await card
          .getByRole("img", { name: `${name} over the last 30 days` })
          .locator("canvas")
          .waitFor();
      }

      // And on its own page, the new KPI's chart.
      await page.getByRole("link", { name: "Max temperature" }).click();
      await page.getByRole("heading", { name: "Max temperature", exact: true }).waitFor();
      await page.locator(".chart canvas").first().waitFor();
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });
});
