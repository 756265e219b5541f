import { expect, serverAuth, SHOTS, signInAsCustomer, test } from "./fixtures";
import type { Locator, Page } from "@playwright/test";
import { signInAsOperator } from "./operator-fixtures";

// The console on a 375 px phone: every table's rows are cards whose cells (each named by its column)
// sit inside the screen, badges are whole, and the metrics' small series can be read. Nothing here
// changes a demo account; the support request comes from an account this spec creates.

const WIDTH = 375;

/** Every non-empty body cell of a table: where it is, what it is called, whether its content overflows it. */
async function cellsOf(table: Locator) {
  return table.evaluate((root) =>
    Array.from(root.querySelectorAll<HTMLTableCellElement>("tbody td, tbody th"))
      .filter((c) => (c.textContent ?? "").trim() !== "" && getComputedStyle(c).display !== "none")
      .map((c) => {
        const r = c.getBoundingClientRect();
        return { text: (c.textContent ?? "").trim().slice(0, 40), label: c.dataset.label ?? "", first: c === c.parentElement?.firstElementChild, left: r.left, right: r.right, overflow: c.scrollWidth - c.clientWidth };
      }),
  );
}

/** A table at 375 px: no sideways scroll, every cell inside the screen, the key columns shown by name. */
async function expectTableFits(page: Page, table: Locator, keyColumns: string[]) {
  await expect(table).toBeVisible();
  const frame = await table.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
  expect(frame.scroll, "the table scrolls sideways").toBeLessThanOrEqual(frame.client + 1);
  const cells = await cellsOf(table);
  expect(cells.length).toBeGreaterThan(0);
  for (const c of cells) {
    expect(c.left, `"${c.text}" (${c.label}) starts off screen`).toBeGreaterThanOrEqual(0);
    expect(c.right, `"${c.text}" (${c.label}) ends off screen`).toBeLessThanOrEqual(WIDTH);
    expect(c.overflow, `"${c.text}" (${c.label}) overflows its cell`).toBeLessThanOrEqual(1);
    if (!c.first) expect(c.label, `"${c.text}" has no column name`).not.toBe("");
  }
  for (const column of keyColumns) {
    const cell = table.locator(`tbody [data-label="${column}"]`).first();
    await expect(cell, column).toBeVisible();
    const box = (await cell.boundingBox())!;
    expect(box.x, column).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, column).toBeLessThanOrEqual(WIDTH);
    // The column's name is shown beside its value.
    expect(await cell.evaluate((el) => getComputedStyle(el, "::before").content), column).toBe(`"${column}"`);
  }
}

/** Badges whole: on one line, nothing cut off, inside the screen. */
async function expectBadgesWhole(page: Page) {
  const badges = await page.locator('main [data-ui="badge"]').evaluateAll((els) =>
    els
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => {
        const r = el.getBoundingClientRect();
        // The lines the words take (a line starts below everything before it): one, for a badge that does not wrap.
        const boxes: DOMRect[] = [];
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const range = document.createRange();
          range.selectNodeContents(node);
          boxes.push(...Array.from(range.getClientRects()).filter((b) => b.width > 0));
        }
        boxes.sort((a, b) => a.top - b.top);
        let lines = 0;
        let bottom = Number.NEGATIVE_INFINITY;
        for (const b of boxes) {
          if (b.top >= bottom - 1) lines++;
          bottom = Math.max(bottom, b.bottom);
        }
        return { text: (el.textContent ?? "").trim(), left: r.left, right: r.right, lines, cut: el.scrollWidth - el.clientWidth };
      }),
  );
  for (const b of badges) {
    expect(b.cut, `badge "${b.text}" is cut`).toBeLessThanOrEqual(0);
    expect(b.lines, `badge "${b.text}" wraps`).toBe(1);
    expect(b.left, `badge "${b.text}"`).toBeGreaterThanOrEqual(0);
    expect(b.right, `badge "${b.text}"`).toBeLessThanOrEqual(WIDTH);
  }
  return badges.length;
}

async function open(page: Page, path: string, shot: string) {
  await page.goto(path);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(WIDTH);
  await page.screenshot({ path: `${SHOTS}/phone-${shot}.png`, fullPage: true });
}

test.describe("the console on a phone", () => {
  test.use({ viewport: { width: WIDTH, height: 800 } });

  test("every table is a list of cards with its key columns on screen; badges are whole", async ({ page, browser, baseURL }) => {
    test.setTimeout(120_000);
    // A support request to look at, from an account of this spec's own.
    const created = await page.request.post("/v1/accounts", { headers: serverAuth, data: { name: "Wren Telemetry (phone)", email: "ops@wren.example", planId: "starter" } });
    expect(created.status()).toBe(201);
    const { id: wren } = (await created.json()) as { id: string };
    const customer = await browser.newPage();
    await signInAsCustomer(customer, wren);
    const asked = await customer.request.post("/trpc/support.create", { data: { topic: "bill", message: "Does the Pro plan's overage show on the same invoice?" }, headers: { origin: baseURL! } });
    expect(asked.ok()).toBe(true);
    await customer.close();

    await signInAsOperator(page);

    await open(page, "/console", "shadow-audit");
    const audit = page.getByTestId("audit-table");
    await expectTableFits(page, audit, ["Plan", "Mode", "Peak / min", "Peak / day", "Would throttle", "Days over", "Recommended", "Notices sent"]);
    // The headers that sort stay, as a row of buttons.
    await expect(audit.getByRole("button", { name: "Would throttle" })).toBeInViewport();
    expect(await expectBadgesWhole(page)).toBeGreaterThan(0);

    await open(page, "/console/accounts", "accounts");
    await expectTableFits(page, page.getByTestId("accounts-table"), ["Plan", "Mode", "Terms", "Calls today", "Would throttle today", "Refused today"]);
    expect(await expectBadgesWhole(page)).toBeGreaterThan(0);

    await open(page, "/console/accounts/acc_demo_acme", "account");
    await expectTableFits(page, page.getByTestId("account-invoices"), ["Kind", "Status", "Issued", "Total"]);
    await expectTableFits(page, page.getByTestId("account-notices"), ["Title", "Reached the customer"]);
    await expectBadgesWhole(page);

    await open(page, "/console/enforcement", "enforcement");
    const refused = page.getByRole("region", { name: "Accounts that would be refused" }).first();
    await expectTableFits(page, refused, ["Own mode", "Days over (last 7)", "Notified", "Grace ends"]);
    await expectBadgesWhole(page);

    await open(page, "/console/anomalies", "anomalies");
    await expectTableFits(page, page.getByTestId("anomalies-table"), ["Invoice", "Previous → current", "Change", "Raised"]);

    await open(page, "/console/catalog", "catalog");
    await expectTableFits(page, page.getByTestId("catalog-plans"), ["Version", "Terms", "Accounts"]);
    expect(await expectBadgesWhole(page)).toBeGreaterThan(0);

    await open(page, "/console/outbox", "outbox");
    await expectTableFits(page, page.getByTestId("outbox-table"), ["Recipient", "Subject", "Status", "Attempts"]);
    await expectBadgesWhole(page);

    await open(page, "/console/audit", "audit-log");
    await expectTableFits(page, page.getByTestId("audit-log"), ["Action", "By"]);

    await open(page, "/console/experiment", "experiment");
    // The criteria have cards of their own below 768 px.
    const criteria = page.getByTestId("criteria-cards");
    await expect(criteria).toBeVisible();
    expect((await criteria.boundingBox())!.width).toBeLessThanOrEqual(WIDTH);
    await expectTableFits(page, page.getByTestId("guardrails"), ["Status", "So far"]);
    await expectBadgesWhole(page);

    await open(page, "/console/support", "support");
    const request = page.getByTestId("support-request").filter({ hasText: "Wren Telemetry (phone)" });
    await expect(request).toBeVisible();
    const box = (await request.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(WIDTH);
    await expectBadgesWhole(page);

    await open(page, "/console/approvals", "approvals");
    await expectBadgesWhole(page);
  });

  test("metrics: calls over a cap and every plan's revenue can be read; day labels never overlap", async ({ page }) => {
    await signInAsOperator(page);
    await open(page, "/console/metrics", "metrics");

    const calls = page.getByTestId("chart-calls");
    await expect(calls.locator(".chart-bar").first()).toBeVisible();
    // The over-cap panel has bars of its own, tall enough to see (the demo's Starter accounts go over every day).
    const overCap = page.getByTestId("chart-calls-over-cap");
    await expect(overCap.locator(".chart-bar").first()).toBeVisible();
    const tallest = Math.max(...(await overCap.locator(".chart-bar").evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height))));
    expect(tallest).toBeGreaterThan(40);

    for (const chart of [calls, overCap]) {
      const ticks = await chart.locator("svg.chart-surface").first().locator(".chart-x-tick").evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right })).sort((a, b) => a.left - b.left));
      expect(ticks.length).toBeGreaterThan(1);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.left, "day labels overlap").toBeGreaterThanOrEqual(ticks[i - 1]!.right);
      for (const t of ticks) expect(t.right).toBeLessThanOrEqual(WIDTH);
    }

    // One panel per plan, on its own scale: Starter's and Pro's bars are as visible as Enterprise's.
    const revenue = page.getByTestId("chart-revenue");
    for (const plan of ["free", "starter", "pro", "business", "enterprise"]) {
      const panel = revenue.locator(`[data-testid="revenue-panel"][data-plan="${plan}"]`);
      await expect(panel).toBeVisible();
      const box = (await panel.boundingBox())!;
      expect(box.x + box.width, plan).toBeLessThanOrEqual(WIDTH);
    }
    for (const plan of ["starter", "pro"]) {
      const bar = revenue.locator(`[data-testid="revenue-panel"][data-plan="${plan}"] [data-testid="revenue-bar"]`).first();
      expect((await bar.boundingBox())!.width, plan).toBeGreaterThan(100);
    }
    await expect(revenue.locator('[data-testid="revenue-panel"][data-plan="free"]')).toContainText("$0.00");
  });

  test("the audit log says what happened in words, and which operator did it", async ({ page }) => {
    await signInAsOperator(page, "Dana Reyes");
    await page.goto("/console/audit?action=sign_in");
    const entry = page.getByTestId("audit-entry").first();
    await expect(entry.getByTestId("audit-sentence")).toHaveText("Signed in to the console with a one-time link");
    await expect(entry.getByTestId("audit-actor")).toContainText("Dana Reyes");
    const box = (await entry.getByTestId("audit-actor").boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(WIDTH);
    await page.screenshot({ path: `${SHOTS}/phone-audit-named.png`, fullPage: true });
  });
});
