import { useStripeStandIn } from "@northstar/api/testing/stripe-stand-in";
import { beforeAll, describe, expect, test } from "vitest";
import { apiFor, createUser, devSignIn, expectNoProblems, openBrowser, useE2E } from "./support.ts";

// A FREE owner at the KPI limit upgrades through Checkout: a local stand-in plays Stripe's page,
// delivers the signed webhooks to the host and sends the browser back; the KPI can then be added.

const stripe = useStripeStandIn();
const e2e = useE2E({ billing: () => stripe.billing("http://unused") });

beforeAll(() => {
  stripe.deliverWebhooksTo(`${e2e().host.url}/webhooks/stripe`);
});

describe("billing", () => {
  test("a FREE owner hits the KPI limit, upgrades through Checkout, and adds the KPI", async () => {
    const owner = await createUser(e2e().admin, "Upgrader");
    const session = await openBrowser(e2e());
    const { page } = session;
    try {
      await devSignIn(page, owner.id);
      const api = await apiFor(e2e(), session.context);
      const workspace = await api.workspace.create.mutate({ name: "Growing Co", slug: "growing-co" });
      await e2e().admin.query(
        "INSERT INTO kpis (workspace_id, name) SELECT $1, 'KPI ' || i FROM generate_series(1, 10) AS i",
        [workspace.id],
      );

      const addKpi = async () => {
        await page.getByRole("button", { name: "New KPI" }).click();
        const dialog = page.getByRole("dialog", { name: "New KPI" });
        await dialog.getByLabel("Name").fill("The eleventh");
        await dialog.getByRole("button", { name: "Create KPI" }).click();
      };
      await page.goto("/w/growing-co");
      await addKpi();
      await page.getByText("The FREE plan allows 10 active KPIs per workspace").first().waitFor();

      await page.goto("/w/growing-co/billing");
      await page.getByRole("button", { name: "Upgrade to Pro" }).click();
      // The stand-in's page delivers the webhooks before it sends the browser back.
      await page.waitForURL(/\/w\/growing-co\/billing\?checkout=success$/);
      await page.getByText("Thank you. The new plan applies").waitFor();
      expect(stripe.requests.find((request) => request.path === "/v1/checkout/sessions")?.form).toMatchObject({
        "line_items[0][price]": "price_pro_monthly",
        client_reference_id: owner.id,
      });
      await page.locator(".plan-name", { hasText: "Pro" }).first().waitFor();

      await page.goto("/w/growing-co");
      await addKpi();
      await page.getByRole("status").filter({ hasText: "KPI “The eleventh” created." }).waitFor();
      expectNoProblems(session);
    } finally {
      await session.context.close();
    }
  });
});
