import { resolve } from "node:path";
import type { Locator } from "@playwright/test";
import type { CatalogFileInput } from "../shared/catalog-file";
import { startCatalogServer, type CatalogServer } from "./catalog-server";
import { expect, minor, SHOTS, test } from "./fixtures";

/**
 * The portal and the console render whatever catalog they are given: each part runs a server of its
 * own on another catalog than the demo's (a fresh database, its own port) and looks at the pages a
 * customer and an operator see. Nothing in the portal or the server names a plan or a meter.
 */

/** The plan columns of the Plans page's comparison table, in order. */
const planColumns = (table: Locator) => table.locator('thead [data-testid^="plan-col-"]');

/** The cells of the comparison row headed `label`, one per plan column. */
const rowCells = (table: Locator, label: string) => table.locator("tbody tr").filter({ has: table.page().getByRole("rowheader", { name: new RegExp(`^${label}`) }) }).locator("td");

test.describe("a catalog of two plans of its own, in euros, without the demo", () => {
  /** A provider's own two plans: their own ids, their own meter, euros. */
  const TWO_PLANS: CatalogFileInput = {
    currency: "EUR",
    meters: [{ id: "requests", unit: "API requests" }],
    plans: [
      { id: "hobby", name: "Hobby", summary: "Side projects and prototypes.", enforcement: "enforce", price: { month: 900 }, limits: { requests: { minute: 30, day: 500 } } },
      { id: "team", name: "Team", summary: "A product in production, with overage past the quota.", enforcement: "shadow", price: { month: 4900 }, limits: { requests: { minute: 300, month: 50_000, overagePer1000Minor: 200 } } },
    ],
  };
  let server: CatalogServer;
  let accountId: string;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    server = await startCatalogServer("two-plans", TWO_PLANS);
    // No demo: its accounts are on plans this catalog does not have.
    expect(server.demoKey()).toBeNull();
    const demo = await fetch(`${server.base}/v1/accounts/acc_demo_acme`, { headers: server.auth });
    expect(demo.status).toBe(404);

    // The provider's backend opens an account, issues a key, and its API calls are checked.
    const account = await server.v1<{ id: string; plan: string }>("/accounts", { name: "Lumen Studio", email: "dev@lumen.example", planId: "hobby" }, 201);
    expect(account.plan).toBe("hobby");
    accountId = account.id;
    const { key } = await server.v1<{ key: string }>(`/accounts/${accountId}/keys`, { name: "Production" }, 201);
    for (let i = 0; i < 7; i++) {
      const check = await server.v1<{ allowed: boolean; meter: string; plan: { id: string } }>("/check", { key });
      expect(check).toMatchObject({ allowed: true, meter: "requests", plan: { id: "hobby" } });
    }
  });

  test.afterAll(async () => {
    await server?.stop();
  });

  test("the customer's usage and Plans pages show the two plans in euros, and the wizard previews the switch to the other", async ({ page }) => {
    await server.signInAsCustomer(page, accountId);

    await page.goto(`${server.base}/usage`);
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
    await expect(page.getByText("Lumen Studio ·")).toContainText("Hobby plan (€9.00/month)");
    await expect(page.getByTestId("meter-day")).toContainText("7 / 500");
    await expect(page.getByTestId("meter-minute")).toContainText("/ 30");
    await expect(page.getByTestId("chart-days")).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/catalogs-two-plans-usage.png`, fullPage: true });

    await page.goto(`${server.base}/plans`);
    const table = page.getByTestId("plan-table");
    await expect(planColumns(table)).toHaveCount(2);
    await expect(planColumns(table).nth(0)).toHaveAttribute("data-testid", "plan-col-hobby");
    await expect(planColumns(table).nth(1)).toHaveAttribute("data-testid", "plan-col-team");
    await expect(table.getByTestId("plan-col-hobby")).toContainText("Hobby");
    await expect(table.getByTestId("plan-col-hobby")).toContainText("€9.00/month");
    await expect(table.getByTestId("plan-col-hobby")).toContainText("Your plan");
    await expect(table.getByTestId("plan-col-team")).toContainText("Team");
    await expect(table.getByTestId("plan-col-team")).toContainText("€49.00/month");
    // An account made today: its 7 calls are not called its "last 30 days"; the month it is judged on is said as an estimate.
    const recommendation = page.getByTestId("recommendation");
    await expect(recommendation).toContainText("A month at your rate");
    await expect(recommendation).not.toContainText("Last 30 days");
    // Sold monthly only: no Monthly / Yearly toggle.
    await expect(page.getByTestId("interval-toggle")).toHaveCount(0);
    // The caps of this catalog's meter, and Team's overage in euros.
    await expect(rowCells(table, "Calls per minute")).toHaveText([/30/, /300/]);
    await expect(rowCells(table, "Calls per day")).toHaveText([/500/, /No cap/]);
    await expect(rowCells(table, "Calls per billing month")).toHaveText([/No cap/, /50,000/]);
    await expect(table).toContainText("€2.00 per 1,000 calls over the quota");
    await expect(page.getByText("$")).toHaveCount(0);
    await page.screenshot({ path: `${SHOTS}/catalogs-two-plans-plans.png`, fullPage: true });

    // The wizard: Team chosen, the switch previewed in euros, charged now with credit for the unused Hobby time.
    await table.getByRole("link", { name: "Switch to Team" }).click();
    await expect(page).toHaveURL(/\/plans\/change\?to=team$/);
    await expect(page.getByRole("radio", { name: "Team" })).toBeChecked();
    await expect(page.getByRole("radio", { name: "Hobby" })).toBeDisabled();
    await expect(page.getByRole("radio")).toHaveCount(2);
    await page.getByRole("button", { name: "Preview the switch to Team" }).click();
    const dueNow = minor((await page.getByTestId("due-now").textContent())!);
    await expect(page.getByTestId("due-now")).toContainText("€");
    await expect(page.getByTestId("recurring")).toContainText("€49.00 a month");
    const credit = minor((await page.getByTestId("quote-line-proration_credit").textContent())!);
    expect(credit).toBeLessThan(0);
    expect(credit).toBeGreaterThanOrEqual(-900);
    expect(dueNow).toBe(minor((await page.getByTestId("lines-total").textContent())!));
    expect(dueNow).toBeGreaterThan(0);
    expect(dueNow).toBeLessThanOrEqual(4900);
    await expect(page.getByTestId("new-caps")).toContainText("300");
    await page.screenshot({ path: `${SHOTS}/catalogs-two-plans-preview.png`, fullPage: true });

    await page.getByRole("button", { name: "Continue" }).click();
    const consent = page.getByTestId("consent-text");
    await expect(consent).toContainText(/every month from \d{1,2} \w+ \d{4} until I cancel, for the Team plan/);
    await expect(consent).toContainText(`€${(dueNow / 100).toFixed(2)} now`);
    await page.screenshot({ path: `${SHOTS}/catalogs-two-plans-consent.png`, fullPage: true });
  });

  test("the console's Catalog page lists both plans, in euros, with this catalog's meter", async ({ page }) => {
    await server.signInAsOperator(page);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Catalog" }).click();
    await expect(page.getByRole("heading", { name: "Catalog", level: 1 })).toBeVisible();
    await expect(page.getByTestId("catalog-meters")).toHaveText("Prices in EUR. Meter: API requests (requests).");
    const rows = page.getByTestId("catalog-version-row");
    await expect(rows).toHaveCount(2);
    const hobby = page.locator('[data-testid="catalog-version-row"][data-plan="hobby"][data-version="1"]');
    const team = page.locator('[data-testid="catalog-version-row"][data-plan="team"][data-version="1"]');
    await expect(hobby).toContainText("Hobby");
    await expect(hobby).toContainText("€9.00/month; API requests: 30 per minute, 500 per day (UTC)");
    await expect(hobby.locator("td").nth(3)).toHaveText("1");
    await expect(team).toContainText("Team");
    await expect(team).toContainText("€49.00/month");
    await expect(team.locator("td").nth(3)).toHaveText("0");
    await page.screenshot({ path: `${SHOTS}/catalogs-two-plans-console-catalog.png`, fullPage: true });
  });
});

test.describe("a catalog of seven plans, two meters and yearly prices, with the demo accounts", () => {
  const CATALOG = resolve(import.meta.dirname, "../shared/testing/seven-plans-two-meters.catalog.json");
  const PLAN_IDS = ["free", "starter", "pro", "growth", "business", "scale", "enterprise"];
  const MCP_CALLS = 8;
  let server: CatalogServer;
  let acme: string;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    server = await startCatalogServer("seven-plans", CATALOG);
    // The demo is seeded (the catalog has its plans); its key is Acme's, on Starter.
    const demo = server.demoKey();
    expect(demo).not.toBeNull();
    acme = demo!.accountId;
    expect(acme).toBe("acc_demo_acme");
    // Calls on the second meter, with the demo key.
    for (let i = 0; i < MCP_CALLS; i++) {
      const check = await server.v1<{ allowed: boolean; meter: string; plan: { id: string } }>("/check", { key: demo!.key, meter: "mcp" });
      expect(check).toMatchObject({ allowed: true, meter: "mcp", plan: { id: "starter" } });
    }
  });

  test.afterAll(async () => {
    await server?.stop();
  });

  test("the usage page shows both meters, each under its unit with its caps", async ({ page }) => {
    await server.signInAsCustomer(page, acme);
    await page.goto(`${server.base}/usage`);
    const calls = page.getByTestId("meter-section-calls");
    const mcp = page.getByTestId("meter-section-mcp");
    await expect(calls.getByRole("heading", { level: 2 })).toHaveText("API calls");
    await expect(mcp.getByRole("heading", { level: 2 })).toHaveText("MCP tool calls");
    // Starter's caps per meter: API calls 60 a minute and 1,000 a day; MCP tool calls 10 a minute and 200 a day.
    await expect(calls.getByTestId("meter-calls-minute")).toContainText("API calls per minute");
    await expect(calls.getByTestId("meter-calls-minute")).toContainText("/ 60");
    await expect(calls.getByTestId("meter-calls-day")).toContainText("/ 1,000");
    await expect(mcp.getByTestId("meter-mcp-minute")).toContainText("MCP tool calls per minute");
    await expect(mcp.getByTestId("meter-mcp-minute")).toContainText("/ 10");
    await expect(mcp.getByTestId("meter-mcp-day")).toContainText("MCP tool calls per day");
    await expect(mcp.getByTestId("meter-mcp-day")).toContainText(`${MCP_CALLS} / 200`);
    await expect(page.getByTestId("today-mcp")).toContainText(String(MCP_CALLS));
    await expect(page.getByRole("heading", { name: "MCP tool calls", level: 3, exact: true })).toHaveCount(2); // the history's part and today's
    await expect(page.getByTestId("chart-days-mcp")).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/catalogs-seven-plans-usage.png`, fullPage: true });
  });

  test("the Plans page shows the seven plans with caps per meter; a monthly → yearly switch is charged now, moves the billing date and names the interval", async ({ page }) => {
    await server.signInAsCustomer(page, acme);
    await page.goto(`${server.base}/plans`);
    const table = page.getByTestId("plan-table");
    await expect(planColumns(table)).toHaveCount(PLAN_IDS.length);
    for (const [i, id] of PLAN_IDS.entries()) await expect(planColumns(table).nth(i)).toHaveAttribute("data-testid", `plan-col-${id}`);
    await expect(table.getByTestId("plan-col-growth")).toContainText("Growth");
    await expect(table.getByTestId("plan-col-growth")).toContainText("$99.00/month");
    await expect(table.getByTestId("plan-col-scale")).toContainText("$499.00/month");
    // Caps per meter, each row named by the meter's unit.
    await expect(rowCells(table, "API calls per minute")).toHaveText([/No cap/, /60/, /600/, /200/, /300/, /1,000/, /No cap/]);
    await expect(rowCells(table, "MCP tool calls per minute")).toHaveText([/^5/, /^10/, /^100/, /^30/, /^50/, /^200/, /^500/]);
    await expect(rowCells(table, "MCP tool calls per day")).toHaveText([/^50/, /^200/, /^2,000/, /^600/, /^1,000/, /^10,000/, /^50,000/]);
    await page.screenshot({ path: `${SHOTS}/catalogs-seven-plans-plans-monthly.png`, fullPage: true });

    // Yearly: the toggle, each yearly price with what it saves, Scale's quota for the year.
    const toggle = page.getByTestId("interval-toggle");
    await expect(toggle).toContainText("You are billed monthly.");
    await toggle.getByRole("radio", { name: /Yearly/ }).check();
    await expect(table.getByTestId("plan-col-starter")).toContainText("$290.00/year");
    await expect(table.getByTestId("saving-starter")).toHaveText("2 months free");
    await expect(table.getByTestId("plan-col-scale")).toContainText("$4,790.00/year");
    await expect(table.getByTestId("plan-col-enterprise")).toContainText("Billed monthly only");
    await expect(rowCells(table, "API calls per billing month").nth(5)).toHaveText(/^1,200,000\s*per year/);
    await page.screenshot({ path: `${SHOTS}/catalogs-seven-plans-plans-yearly.png`, fullPage: true });

    // Starter, billed yearly: the preview charges the year now, less the unused month, and moves the billing date to today.
    await table.getByRole("link", { name: "Switch to yearly billing" }).click();
    await expect(page).toHaveURL(/\/plans\/change\?to=starter&interval=year/);
    await expect(page.getByRole("radio", { name: "Starter" })).toBeChecked();
    await expect(page.getByRole("radio", { name: /^(Free|Starter|Pro|Growth|Business|Scale|Enterprise)$/ })).toHaveCount(PLAN_IDS.length);
    await page.screenshot({ path: `${SHOTS}/catalogs-seven-plans-wizard.png`, fullPage: true });
    await page.getByRole("button", { name: "Preview yearly billing for Starter" }).click();
    const dueNow = minor((await page.getByTestId("due-now").textContent())!);
    const credit = minor((await page.getByTestId("quote-line-proration_credit").textContent())!);
    expect(credit).toBeLessThan(0);
    expect(credit).toBeGreaterThanOrEqual(-2900);
    await expect(page.getByTestId("quote-line-plan")).toContainText("$290.00");
    expect(dueNow).toBe(29_000 + credit);
    await expect(page.getByTestId("recurring")).toContainText("$290.00 a year");
    const today = new Date().toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
    await expect(page.getByTestId("new-billing-date")).toContainText(`Billed yearly from today: your billing date moves to ${today}`);
    await page.screenshot({ path: `${SHOTS}/catalogs-seven-plans-preview.png`, fullPage: true });

    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("heading", { name: "Agree to switch to Starter, billed yearly" })).toBeVisible();
    await expect(page.getByTestId("consent-billing-date")).toContainText(today);
    const consent = page.getByTestId("consent-text");
    await expect(consent).toContainText(`I authorise a charge of $${(dueNow / 100).toFixed(2)} now and $290.00 every year from`);
    await expect(consent).toContainText(/every year from \d{1,2} \w+ \d{4} until I cancel, for the Starter plan, billed yearly\./);
    await expect(consent).toContainText(`My billing date moves to ${today}`);
    await page.screenshot({ path: `${SHOTS}/catalogs-seven-plans-consent.png`, fullPage: true });
  });

  test("the console's Catalog page shows the seven plans and both meters", async ({ page }) => {
    await server.signInAsOperator(page);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Catalog" }).click();
    await expect(page.getByRole("heading", { name: "Catalog", level: 1 })).toBeVisible();
    await expect(page.getByTestId("catalog-meters")).toHaveText("Prices in USD. Meters: API calls (calls), MCP tool calls (mcp).");
    const rows = page.getByTestId("catalog-version-row");
    await expect(rows).toHaveCount(PLAN_IDS.length);
    for (const [i, id] of PLAN_IDS.entries()) await expect(rows.nth(i)).toHaveAttribute("data-plan", id);
    const growth = page.locator('[data-testid="catalog-version-row"][data-plan="growth"]');
    await expect(growth).toContainText("MCP tool calls: 30 per minute, 600 per day (UTC)");
    await expect(growth.locator("td").nth(3)).toHaveText("0");
    const starter = page.locator('[data-testid="catalog-version-row"][data-plan="starter"]');
    await expect(starter).toContainText("API calls: 60 per minute, 1,000 per day (UTC)");
    await expect(starter).toContainText("MCP tool calls: 10 per minute, 200 per day (UTC)");
    // Scale's quota counts over the year on its yearly price: its terms say so.
    const scale = page.locator('[data-testid="catalog-version-row"][data-plan="scale"]');
    await expect(scale).toContainText("$499.00/month or $4,790.00/year; API calls: 1,000 per minute, 100,000 per billing month (1,200,000 per billing year on the yearly price)");
    await page.screenshot({ path: `${SHOTS}/catalogs-seven-plans-console-catalog.png`, fullPage: true });
  });
});
