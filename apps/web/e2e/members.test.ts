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

// Members: an owner invites someone, who signs in, sees the invitation and accepts it (signing in
// alone joins nothing); the owner makes them a VIEWER; the viewer sees no edit controls, and the
// API refuses them when they try anyway.

const e2e = useE2E();

describe("members and roles", () => {
  test("invite a member who accepts, make them a viewer; a viewer sees no edit controls and the API refuses them", async () => {
    const owner = await createUser(e2e().admin, "Olga Owner");
    const ownerSession = await openBrowser(e2e());
    const inviteeEmail = `vera-${Date.now()}@example.com`;
    const viewerSession = await openBrowser(e2e());
    try {
      const { page } = ownerSession;
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), ownerSession.context);
      const workspace = await api.workspace.create.mutate({ name: "Team Co", slug: "team-co" });
      const kpi = await api.kpi.create.mutate({
        workspaceId: workspace.id,
        name: "Revenue",
        unit: "USD",
        targetValue: 1000,
      });

      // Invite.
      await page.goto("/w/team-co/members");
      const invite = page.getByRole("form", { name: "Invite someone" });
      await invite.getByLabel("Email").fill(inviteeEmail);
      await invite.getByLabel("Role").selectOption("MEMBER");
      await invite.getByRole("button", { name: "Invite" }).click();
      await page
        .getByRole("status")
        .filter({ hasText: `Invitation sent to ${inviteeEmail}` })
        .waitFor();
      const sent = page.getByTestId(`invitation-${inviteeEmail}`);
      await sent.getByText("Pending", { exact: true }).waitFor();
      expect(await accessibilityViolations(page), "members page").toEqual([]);

      // The invitee signs in with that email: no workspace yet, the invitation waits for them.
      const invitee = await createUser(e2e().admin, "Vera Viewer", inviteeEmail);
      const viewerPage = viewerSession.page;
      await devSignIn(viewerPage, invitee.id);
      await viewerPage.waitForURL(/\/welcome$/);
      const waiting = viewerPage.getByRole("list", { name: "Invitations for you" }).getByRole("listitem");
      await waiting.filter({ hasText: "Team Co" }).filter({ hasText: "invited by Olga Owner" }).waitFor();
      expect(await waiting.count()).toBe(1);
      expect(await accessibilityViolations(viewerPage), "welcome page with an invitation").toEqual([]);
      // The owner still sees only themselves: nobody joins without saying yes.
      await page.reload();
      await page.getByTestId(`member-${inviteeEmail}`).or(sent).first().waitFor();
      expect(await page.getByTestId(`member-${inviteeEmail}`).count()).toBe(0);

      // Accepting lands them in the workspace.
      await waiting.getByRole("button", { name: "Accept" }).click();
      await viewerPage.waitForURL(/\/w\/team-co$/);
      await viewerPage.getByRole("status").filter({ hasText: "You joined “Team Co”." }).waitFor();
      await viewerPage.getByRole("button", { name: "New KPI" }).waitFor();

      // The owner sees them as a member now and makes them a viewer.
      await page.reload();
      const row = page.getByTestId(`member-${inviteeEmail}`);
      await row.getByRole("combobox", { name: "Role of Vera Viewer" }).selectOption("VIEWER");
      await page.getByRole("status").filter({ hasText: "Vera Viewer is now viewer." }).waitFor();
      await page.reload();
      expect(await row.getByRole("combobox", { name: "Role of Vera Viewer" }).inputValue()).toBe("VIEWER");
      expect(await page.getByRole("list", { name: "Invitations", exact: true }).count()).toBe(0);

      // The viewer: no controls that change anything.
      await viewerPage.goto("/w/team-co");
      await viewerPage.getByRole("article").filter({ hasText: "Revenue" }).waitFor();
      expect(await viewerPage.getByRole("button", { name: "New KPI" }).count()).toBe(0);
      await viewerPage.goto(`/w/team-co/kpis/${kpi.id}`);
      await viewerPage.getByRole("heading", { name: "Revenue", exact: true }).waitFor();
      await viewerPage.getByRole("heading", { name: "Values", exact: true }).waitFor();
      for (const name of ["Edit", "Archive", "Import CSV", "Add value"]) {
        expect(await viewerPage.getByRole("button", { name }).count(), name).toBe(0);
      }
      await viewerPage.goto("/w/team-co/goals");
      await viewerPage.getByRole("heading", { name: "No goals yet" }).waitFor();
      expect(await viewerPage.getByRole("button", { name: /goal/i }).count()).toBe(0);
      await viewerPage.goto("/w/team-co/members");
      await viewerPage.getByRole("heading", { name: "People", exact: true }).waitFor();
      expect(await viewerPage.getByRole("form", { name: "Invite someone" }).count()).toBe(0);
      expect(await viewerPage.getByRole("combobox").count()).toBe(1); // the workspace switcher only
      expect(await viewerPage.getByRole("button", { name: "Remove" }).count()).toBe(0);
      await viewerPage.goto("/w/team-co/settings");
      await viewerPage.getByText("Only an owner can delete the workspace.").waitFor();
      expect(await accessibilityViolations(viewerPage), "settings page").toEqual([]);

      // Anyway: the API refuses a viewer's write, from the viewer's own browser session.
      const refused = await viewerPage.evaluate(async (workspaceId) => {
        const response = await fetch("/trpc/kpi.create", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: { workspaceId, name: "Sneaky" } }),
        });
        const body = (await response.json()) as { error?: { json?: { message?: string; data?: { code?: string } } } };
        return { status: response.status, code: body.error?.json?.data?.code, message: body.error?.json?.message };
      }, workspace.id);
      expect(refused).toEqual({ status: 403, code: "FORBIDDEN", message: expect.any(String) as string });
      const kpis = await api.kpi.list.query({ workspaceId: workspace.id });
      expect(kpis.items.map((item) => item.name)).toEqual(["Revenue"]);

      expectNoProblems(ownerSession);
      expectNoProblems(viewerSession);
    } finally {
      await ownerSession.context.close();
      await viewerSession.context.close();
    }
  });
});
