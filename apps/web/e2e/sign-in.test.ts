import { useOAuthIssuer } from "@northstar/api/testing/oauth-issuer";
import { describe, expect, test } from "vitest";
import { accessibilityViolations, createUser, devSignIn, expectNoProblems, openBrowser, useE2E } from "./support.ts";

// Signing in (the development form, and Google's OAuth flow against a local OIDC server),
// creating the first workspace, signing out.

const issuer = useOAuthIssuer();

const e2e = useE2E({
  auth: {
    providers: {
      // The issuer's port is known only once it started: the endpoints read it lazily.
      get google() {
        return issuer.google();
      },
    },
  },
});

describe("sign in and onboarding", () => {
  test("development sign-in, create the first workspace, sign out", async () => {
    const person = await createUser(e2e().admin, "Grace");
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      await page.goto("/");
      // Signed out: the app sends the browser to the sign-in page.
      await page.waitForURL(/\/sign-in/);
      await expect.poll(() => page.getByRole("link", { name: "Continue with Google" }).count()).toBe(1);
      expect(await accessibilityViolations(page), "sign-in page").toEqual([]);
      // The first invitations list is held until its loading state has been checked too.
      let releaseInvitations = (): void => undefined;
      const released = new Promise<void>((release) => {
        releaseInvitations = release;
      });
      const invitationsHeld = new Promise<void>((held) => {
        void page.route(
          (url) => url.pathname.includes("me.invitations"),
          async (route) => {
            held();
            await released;
            await route.continue();
          },
          { times: 1 },
        );
      });
      await devSignIn(page, person.id);

      // No workspace yet: onboarding, with the slug suggested from the name.
      await page.waitForURL(/\/welcome$/);
      await page.getByRole("heading", { name: "Welcome to Northstar" }).waitFor();
      await invitationsHeld;
      const loading = page.locator('[aria-busy="true"]');
      await loading.first().waitFor();
      expect(await accessibilityViolations(page), "onboarding page, loading").toEqual([]);
      releaseInvitations();
      await expect.poll(() => loading.count()).toBe(0);
      expect(await accessibilityViolations(page), "onboarding page").toEqual([]);
      await page.getByLabel("Name").fill("Rocket Science Ltd");
      await expect.poll(() => page.getByLabel("URL").inputValue()).toBe("rocket-science-ltd");
      await page.getByRole("button", { name: "Create workspace" }).click();

      await page.waitForURL(/\/w\/rocket-science-ltd$/);
      await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
      await page.getByRole("heading", { name: "No KPIs yet" }).waitFor();
      expect(await page.getByRole("combobox", { name: "Workspace" }).inputValue()).toBe("rocket-science-ltd");

      // The address names the workspace: a reload lands on the same one.
      await page.reload();
      await page.getByRole("heading", { name: "No KPIs yet" }).waitFor();

      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/sign-in/);
      expect((await session.context.cookies()).some((cookie) => cookie.name === "northstar_session")).toBe(false);
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });

  test("OAuth: Google through a local OIDC server, then the onboarding page", async () => {
    const profile = {
      sub: `google-${Date.now()}`,
      email: `oidc-${Date.now()}@example.com`,
      email_verified: true,
      name: "Olive Oidc",
    };
    issuer.answerUserinfoWith(profile);
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      await page.goto("/sign-in");
      await page.getByRole("link", { name: "Continue with Google" }).click();
      // start -> the provider's authorize (which answers at once) -> our callback -> the app.
      await page.waitForURL(/\/welcome$/);
      await page.getByText(`Invitations sent to ${profile.email}`).waitFor();
      expect(
        (await session.context.cookies()).some((cookie) => cookie.name === "northstar_session" && cookie.httpOnly),
      ).toBe(true);
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });

  test("a deep link survives sign-in; unknown addresses get the not-found page, in or out of a workspace", async () => {
    const person = await createUser(e2e().admin, "Lost");
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      // Signed out, a deep link goes through sign-in and back to where it pointed.
      await page.goto("/w/no-such-workspace");
      await page.waitForURL(/\/sign-in\?next=%2Fw%2Fno-such-workspace$/);
      await devSignIn(page, person.id);
      await page.waitForURL(/\/w\/no-such-workspace$/);
      await page.getByRole("heading", { name: "Workspace not found" }).waitFor();
      await page.goto("/nowhere/at/all");
      await page.getByRole("heading", { name: "Page not found" }).waitFor();
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });
});
