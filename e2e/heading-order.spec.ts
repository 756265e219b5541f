import type { Page } from "@playwright/test";
import { expect, signInAsCustomer, test } from "./fixtures";
import { headingProblems } from "./headings";
import { signInAsOperator } from "./operator-fixtures";

// Heading order on every page: one h1, and no level skipped below it (axe's "page-has-heading-one"
// and "heading-order"), checked once the page has drawn what it loads. The wizard's later steps
// (preview, consent, receipt) are checked where plan-change.spec.ts reaches them.

/** Opens a page and waits until it has drawn what it loads: the order that counts is the drawn page's, not the skeleton's. */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page
    .getByRole("heading", { level: 1 })
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => undefined);
  await page.waitForLoadState("networkidle");
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
}

/** Visits every path and reports all the pages whose headings are out of order at once. */
async function expectHeadingOrder(page: Page, paths: string[]): Promise<void> {
  const problems: string[] = [];
  for (const path of paths) {
    await open(page, path);
    problems.push(...(await headingProblems(page, path)));
  }
  expect(problems).toEqual([]);
}

const portalPages = ["/usage", "/plans", "/plans/change", "/plans/change?to=business", "/keys", "/billing", "/notices", "/settings", "/support", "/no-such-page"];

const consolePages = [
  "/console",
  "/console/accounts",
  "/console/accounts/acc_demo_acme",
  "/console/enforcement",
  "/console/approvals",
  "/console/anomalies",
  "/console/support",
  "/console/catalog",
  "/console/experiment",
  "/console/metrics",
  "/console/outbox",
  "/console/audit",
  "/console/no-such-page",
];

test.describe("heading order", () => {
  test("the sign-in pages have one h1 and no skipped level", async ({ page }) => {
    await expectHeadingOrder(page, ["/sign-in", "/console/sign-in"]);
  });

  test("every portal page has one h1 and no skipped level", async ({ page }) => {
    test.slow();
    await signInAsCustomer(page, "acc_demo_acme");
    await expectHeadingOrder(page, portalPages);
  });

  test("an enforced account past its cap (notices, a throttled usage page) keeps the order too", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_fjord");
    await expectHeadingOrder(page, ["/usage", "/plans", "/billing", "/notices"]);
  });

  test("every console page has one h1 and no skipped level", async ({ page }) => {
    test.slow();
    await signInAsOperator(page);
    await expectHeadingOrder(page, consolePages);
  });
});
