import { resolve } from "node:path";
import { startCatalogServer, type CatalogServer } from "./catalog-server";
import { expect, minor, SHOTS, test } from "./fixtures";

/**
 * Yearly prices, end to end, on a server of their own: the demo's plans with yearly prices
 * (shared/testing/yearly.catalog.json), the demo accounts seeded, a fresh database. The suite's
 * server runs the demo catalog, which sells monthly only.
 */
const CATALOG = resolve(import.meta.dirname, "../shared/testing/yearly.catalog.json");
let server: CatalogServer;
let base: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = await startCatalogServer("yearly", CATALOG);
  base = server.base;
});

test.afterAll(async () => {
  await server?.stop();
});

test("a customer switches from monthly to yearly billing: the preview charges now and names the new billing date; the consent names the interval", async ({ page }) => {
  await server.signInAsCustomer(page, "acc_demo_harbor", "https://app.example/dashboard");

  // The Plans page: monthly prices first (Harbor is billed monthly), a Monthly / Yearly toggle like Stripe's tables.
  await page.goto(`${base}/plans`);
  const toggle = page.getByTestId("interval-toggle");
  await expect(toggle).toContainText("up to 3 months free");
  await expect(page.getByTestId("plan-col-business")).toContainText("$199.00/month");
  await toggle.getByRole("radio", { name: /Yearly/ }).check();
  const business = page.getByTestId("plan-col-business");
  await expect(business).toContainText("$1,990.00/year");
  await expect(business.getByTestId("saving-business")).toHaveText("2 months free");
  await expect(page.getByTestId("plan-col-enterprise")).toContainText("Billed monthly only");
  await page.screenshot({ path: `${SHOTS}/yearly-plans.png`, fullPage: true });
  await page.getByTestId("plan-table").getByRole("link", { name: "Switch to yearly billing" }).click();

  // The wizard: Business, billed yearly, preselected.
  await expect(page).toHaveURL(/\/plans\/change\?to=business&interval=year/);
  await expect(page.getByRole("radio", { name: "Business" })).toBeChecked();
  await page.getByRole("button", { name: "Preview yearly billing for Business" }).click();

  // The preview: the unused month credited, the full year charged now, the billing date moved to today.
  const dueNow = minor((await page.getByTestId("due-now").textContent())!);
  const credit = minor((await page.getByTestId("quote-line-proration_credit").textContent())!);
  expect(credit).toBeLessThan(0);
  await expect(page.getByTestId("quote-line-plan")).toContainText("$1,990.00");
  expect(dueNow).toBe(199_000 + credit);
  await expect(page.getByTestId("recurring")).toContainText("$1,990.00 a year");
  const today = new Date().toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  await expect(page.getByTestId("new-billing-date")).toContainText(`your billing date moves to ${today}`);
  await page.screenshot({ path: `${SHOTS}/yearly-preview.png`, fullPage: true });

  // The consent names the interval in words.
  await page.getByRole("button", { name: "Continue" }).click();
  const consent = page.getByTestId("consent-text");
  await expect(consent).toContainText(/every year from \d{1,2} \w+ \d{4} until I cancel, for the Business plan, billed yearly\./);
  await expect(consent).toContainText(`My billing date moves to ${today}`);
  await page.getByTestId("consent-checkbox").check();
  await page.getByRole("button", { name: /^Pay / }).click();

  // The receipt, and the account billed yearly from now on.
  await expect(page.getByTestId("receipt-interval")).toContainText(`Yearly, from ${today}`);
  await expect(page.getByTestId("receipt-next")).toContainText("$1,990.00");
  const db = server.database();
  const account = db.prepare("select plan_id as planId, billing_interval as interval from accounts where id = 'acc_demo_harbor'").get();
  db.close();
  expect(account).toEqual({ planId: "business", interval: "year" });

  await page.goto(`${base}/billing`);
  await expect(page.getByTestId("billing-interval")).toContainText("Yearly");
  await expect(page.getByTestId("current-plan")).toContainText("$1,990.00 a year");

  // The usage page names the plan at the price it is billed at now, and the billing period is the year from today.
  await page.goto(`${base}/usage`);
  const planLine = page.getByText("Harbor Logistics ·");
  await expect(planLine).toContainText("Business plan ($1,990.00/year)");
  const year = new Date().getUTCFullYear();
  await expect(planLine).toContainText(new RegExp(`billing period \\d{1,2} \\w{3,4} ${year} – \\d{1,2} \\w{3,4} ${year + 1}$`));
  await expect(page.getByTestId("chart-days")).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/yearly-usage.png`, fullPage: true });
});
