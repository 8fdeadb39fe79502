import { readFile } from "node:fs/promises";
import { unzipSync } from "fflate";
import { describe, expect, test } from "vitest";
import {
  accessibilityViolations,
  apiFor,
  createUser,
  devSignIn,
  expectNoProblems,
  openBrowser,
  useE2E,
} from "./support.ts";

// Settings' "Export data" in a real browser: an owner clicks each button and gets the file (the
// JSON document with the KPI and its value, the ZIP with one CSV per table); the page stays
// accessible; a viewer sees no download buttons.

const e2e = useE2E();

describe("export data", () => {
  test("an owner downloads JSON and CSV from Settings; a viewer is told only an owner can", async () => {
    const owner = await createUser(e2e().admin, "Eve Exporter");
    const viewer = await createUser(e2e().admin, "Victor Viewer");
    const session = await openBrowser(e2e());
    const viewerSession = await openBrowser(e2e());
    try {
      const { page } = session;
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      const workspace = await api.workspace.create.mutate({ name: "Export Co", slug: "export-co" });
      const kpi = await api.kpi.create.mutate({ workspaceId: workspace.id, name: "Signups", targetValue: 10 });
      await api.kpi.recordPoint.mutate({
        workspaceId: workspace.id,
        kpiId: kpi.id,
        value: 7,
        timestamp: new Date("2026-11-01T00:00:00Z"),
      });
      await e2e().admin.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'VIEWER')", [
        workspace.id,
        viewer.id,
      ]);

      await page.goto("/w/export-co/settings");
      const section = page.getByRole("region", { name: "Export data" });
      await section.getByRole("link", { name: "Download JSON" }).waitFor();
      expect(await accessibilityViolations(page), "settings page").toEqual([]);

      const [json] = await Promise.all([
        page.waitForEvent("download"),
        section.getByRole("link", { name: "Download JSON" }).click(),
      ]);
      expect(json.suggestedFilename()).toMatch(/^northstar-export-co-\d{4}-\d{2}-\d{2}\.json$/);
      const document = JSON.parse(await readFile(await json.path(), "utf8")) as {
        tables: Record<string, Record<string, unknown>[]>;
      };
      expect(document.tables.kpis?.map((row) => row.name)).toEqual(["Signups"]);
      expect(document.tables.kpi_data_points?.map((row) => row.value)).toEqual([7]);

      const [zip] = await Promise.all([
        page.waitForEvent("download"),
        section.getByRole("link", { name: "Download CSV (ZIP)" }).click(),
      ]);
      expect(zip.suggestedFilename()).toMatch(/^northstar-export-co-\d{4}-\d{2}-\d{2}\.zip$/);
      const files = unzipSync(new Uint8Array(await readFile(await zip.path())));
      expect(Object.keys(files)).toContain("kpis.csv");
      expect(Buffer.from(files["kpis.csv"] ?? new Uint8Array()).toString("utf8")).toContain(",Signups,");
      expectNoProblems(session);

      const viewerPage = viewerSession.page;
      await devSignIn(viewerPage, viewer.id);
      await viewerPage.goto("/w/export-co/settings");
      const viewerSection = viewerPage.getByRole("region", { name: "Export data" });
      await viewerSection.getByText("Only an owner can export the workspace’s data.").waitFor();
      expect(await viewerSection.getByRole("link").count()).toBe(0);
      expectNoProblems(viewerSession);
    } finally {
      await session.context.close();
      await viewerSession.context.close();
    }
  });
});
