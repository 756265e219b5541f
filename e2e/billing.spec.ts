import { expect, expectNoSeriousA11yViolations, minor, SHOTS, signInAsCustomer, test } from "./fixtures";

test.describe("billing page", () => {
  test("Ionic (Enterprise): plan and period, the next invoice estimate, invoices with their metered lines", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_ionic");
    await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Billing" }).click();
    await expect(page.getByRole("heading", { name: "Billing", level: 1 })).toBeVisible();

    const plan = page.getByTestId("current-plan");
    await expect(plan.getByRole("heading", { name: "Enterprise" })).toBeVisible();
    await expect(plan).toContainText("$990.00 a month + $0.50 per 1,000 calls");
    await expect(page.getByTestId("billing-period")).toContainText(/\d{1,2} \w+ – \d{1,2} \w+ \d{4} · renews on \d{1,2} \w+ \d{4}/);
    await expect(page.getByTestId("overage")).toHaveCount(0);

    // The estimate: next period's plan plus this period's metered calls so far, and a total that is their sum.
    const next = page.getByTestId("next-invoice");
    await expect(next).toContainText("Enterprise plan");
    await expect(next).toContainText(/Metered calls so far this period \([\d,]+ calls, at \$0\.50 per 1,000\)/);
    const lineAmounts = await next.getByRole("row").filter({ hasNot: page.getByRole("rowheader") }).getByRole("cell").filter({ hasText: /^\$/ }).allTextContents();
    expect(lineAmounts.length).toBe(2);
    expect(minor((await page.getByTestId("next-invoice-total").textContent())!)).toBe(lineAmounts.map(minor).reduce((a, b) => a + b, 0));

    // Past invoices, newest first; the latest one has a metered line for the period before.
    const rows = page.getByTestId("invoice-row");
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    const latest = rows.first();
    await expect(latest).toContainText("Monthly");
    await expect(latest).toContainText("Paid");
    const toggle = latest.getByRole("button");
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    const lines = page.getByTestId("invoice-lines").first();
    await expect(lines).toBeHidden();
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    await expect(lines).toBeVisible();
    await expect(lines).toContainText("Enterprise plan");
    await expect(lines).toContainText(/[\d,]+ calls at \$0\.50 per 1,000/);
    const lineTotal = (await lines.getByRole("listitem").allTextContents()).map((t) => minor(t.slice(t.lastIndexOf("$")))).reduce((a, b) => a + b, 0);
    expect(lineTotal).toBe(minor((await latest.getByRole("cell").last().textContent())!));

    await expect(page.getByTestId("consent-records")).toContainText("No plan or billing changes yet.");
    await expect(page.getByTestId("contact-panel")).toHaveCount(0);
    await page.screenshot({ path: `${SHOTS}/billing-enterprise.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);
  });

  test("Granite (Pro) turns on overage billing through the consent dialog", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_granite");
    await page.goto("/billing");
    const overage = page.getByTestId("overage");
    await expect(overage).toContainText("Overage billing: off");

    await overage.getByRole("button", { name: "Turn on overage billing" }).click();
    const dialog = page.getByRole("dialog", { name: "Turn on overage billing" });
    await expect(dialog).toBeVisible();
    const words = dialog.getByTestId("consent-text");
    await expect(words).toContainText(/^I agree to pay \$3\.00 per 1,000 calls beyond 10,000 calls in a billing month, billed with my monthly invoice, instead of having those calls limited\./);
    const consentText = (await words.textContent())!;
    const agree = dialog.getByRole("checkbox", { name: consentText });
    const confirm = dialog.getByRole("button", { name: "Turn on overage billing" });
    await expect(confirm).toBeDisabled();
    await expect(dialog.getByTestId("quote-expiry")).toContainText("These terms are valid until");
    await page.screenshot({ path: `${SHOTS}/billing-overage-dialog.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);

    // Cancel changes nothing.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await expect(overage).toContainText("Overage billing: off");

    await overage.getByRole("button", { name: "Turn on overage billing" }).click();
    await agree.check();
    await expect(confirm).toBeEnabled();
    await confirm.click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId("billing-announcement")).toHaveText("Overage billing is on.");
    await expect(overage).toContainText("Overage billing: on");
    await expect(overage.getByRole("button", { name: "Turn off overage billing" })).toBeVisible();

    const record = page.getByTestId("consent-record");
    await expect(record).toHaveCount(1);
    await expect(record).toContainText("Overage billing turned on");
    await expect(record).toContainText("Applied");
    await expect(record.getByTestId("consent-words")).toHaveText(consentText);
    await expect(record).toContainText("Agreed by platform@granite.example");
    // Still Pro; nothing was invoiced for it.
    await expect(page.getByTestId("current-plan")).toContainText("Pro");
    await expect(page.locator('[data-testid="invoice-row"][data-kind="proration"]')).toHaveCount(0);
  });

  test("the billing page fits a phone screen", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signInAsCustomer(page, "acc_demo_ionic");
    await page.goto("/billing");
    await expect(page.getByTestId("invoice-row").first()).toBeVisible();
    await page.getByTestId("invoice-row").first().getByRole("button").click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: `${SHOTS}/billing-phone.png`, fullPage: true });
  });
});
