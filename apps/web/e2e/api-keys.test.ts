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

// API keys in the web app: an owner makes a key in Settings, sees it once, uses it against the REST
// API, sees it listed as used, revokes it, and the API refuses it from then on. The reference page
// renders under the host's content security policy.

const e2e = useE2E();

describe("API keys", () => {
  test("create a key in Settings, use it, see it used, revoke it", async () => {
    const owner = await createUser(e2e().admin, "Kim Keys");
    const session = await openBrowser(e2e());
    try {
      const { page } = session;
      page.on("dialog", (dialog) => void dialog.accept());
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      const workspace = await api.workspace.create.mutate({ name: "Key Co", slug: "key-co" });
      await api.kpi.create.mutate({ workspaceId: workspace.id, name: "Deploys", aggregation: "SUM" });

      await page.goto("/w/key-co/settings");
      const form = page.getByRole("form", { name: "Create an API key" });
      await form.getByLabel("Key name").fill("Deploy script");
      await form.getByLabel("Access").selectOption("write");
      await form.getByRole("button", { name: "Create key" }).click();
      const shown = page.getByTestId("new-api-key");
      await shown.waitFor();
      const key = (await shown.textContent())?.trim() ?? "";
      expect(key).toMatch(/^ns_live_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      expect(await accessibilityViolations(page), "settings page with a new key").toEqual([]);
      await page.getByRole("button", { name: "Done" }).click();
      expect(await page.getByTestId("new-api-key").count()).toBe(0);
      const row = page.getByTestId(`api-key-${key.slice(8, 20)}`);
      await row.getByText("never used").waitFor();

      // The browser's cookies do not count at /api/v1: only the key does.
      const call = (bearer: string | null) =>
        page.evaluate(
          async (authorization) => {
            const response = await fetch("/api/v1/kpis", authorization ? { headers: { authorization } } : {});
            return response.status;
          },
          bearer ? `Bearer ${bearer}` : null,
        );
      expect(await call(null)).toBe(401);
      expect(await call(key)).toBe(200);
      await page.reload();
      await row.getByText(/^used /).waitFor();

      await row.getByRole("button", { name: "Revoke" }).click();
      await row.getByText(/^revoked /).waitFor();
      expect(await call(key)).toBe(401);

      await page.goto("/api/v1/docs");
      await page.getByRole("heading", { name: "Northstar API v1" }).waitFor();
      expect(await page.getByRole("heading", { name: /POST \/kpis\/\{kpiId\}\/points/ }).count()).toBe(1);
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });
});
