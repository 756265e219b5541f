import { expect, portalSessionUrl, SHOTS, signInAsCustomer, test } from "./fixtures";

test.describe("customer portal home", () => {
  test("a Starter customer over their caps sees their plan, caps and today's usage", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_acme");
    await expect(page).toHaveURL(/\/usage$/);
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
    await expect(page.getByText("Acme Analytics").first()).toBeVisible();
    await expect(page.getByText("Starter", { exact: true }).first()).toBeVisible();

    const minute = page.getByTestId("meter-minute");
    await expect(minute).toContainText("Calls per minute");
    await expect(minute).toContainText("/ 60");
    const day = page.getByTestId("meter-day");
    await expect(day).toContainText("/ 1,000");
    await expect(page.getByTestId("meter-month")).toContainText("no cap");
    await expect(page.getByRole("meter", { name: "Calls per day (UTC)" })).toHaveAttribute("aria-valuemax", "1000");

    // The demo's batch job runs at 02:00 UTC: once it has run today, the day is over its cap.
    const hour = new Date().getUTCHours();
    if (hour >= 3) {
      await expect(day).toContainText("4,016");
      await expect(day).toContainText("Over cap");
    }
    await expect(page.getByText("Back to app.acme-provider.example")).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Portal" }).getByRole("link")).toHaveText(["Usage", "Plans", "API keys", "Billing", "Notices", "Support", "Settings"]);
    await page.screenshot({ path: `${SHOTS}/portal-usage.png`, fullPage: true });
  });

  test("a used sign-in link shows a clear page", async ({ page }) => {
    const url = await portalSessionUrl(page.request, "acc_demo_fjord");
    await page.goto(url);
    await expect(page).toHaveURL(/\/usage$/);
    await page.context().clearCookies();
    await page.goto(url);
    await expect(page.getByRole("heading", { name: "This sign-in link has already been used" })).toBeVisible();
  });

  test("signing out ends the session", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_dovetail");
    await expect(page.getByRole("heading", { name: "Usage" })).toBeVisible();
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "You are signed out" })).toBeVisible();
    await page.goto("/usage");
    await expect(page).toHaveURL(/\/sign-in/);
  });
});
