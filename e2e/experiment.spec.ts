import { readFileSync } from "node:fs";
import { expect, expectNoSeriousA11yViolations, SHOTS, test } from "./fixtures";
import { operatorQuery, signInAsOperator } from "./operator-fixtures";

// Shares the demo database with the other specs: the rollback plan is only previewed here, never
// run, and the demo's experiment is ended only at the end, to make room for the new one.

interface Report {
  experiment: { id: string; name: string; state: string };
  scorecard: { criteria: Array<{ metric: string; verdict: string }>; rollbackAdvised: boolean };
  events: Array<{ kind: string }>;
}

test.describe("pricing experiment", () => {
  test("the demo's scorecard: decided and undecided criteria, exports, a rollback preview that runs nothing, then a new experiment", async ({ page }) => {
    // A long walk through one page (two downloads, two dialogs, a form) on a shared machine.
    test.setTimeout(120_000);
    await signInAsOperator(page);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Experiment" }).click();
    await expect(page.getByRole("heading", { name: "Experiment", level: 1 })).toBeVisible();
    await expect(page.getByTestId("experiment-name")).toHaveText("Usage-based plans");
    await expect(page.getByTestId("phases").locator('[aria-current="step"]')).toContainText("Testing with 10 beta customers");

    // At least one criterion decided (calls per day, met) and at least one not yet decidable.
    const criteria = page.getByTestId("criteria").getByTestId("criterion");
    await expect(criteria).toHaveCount(9);
    await expect(page.locator('[data-testid="criterion"][data-metric="calls_per_day"]')).toHaveAttribute("data-verdict", "met");
    await expect(page.locator('[data-testid="criterion"][data-verdict="undecided"]').first()).toContainText("Not yet decidable");
    await expect(page.locator('[data-testid="criterion"][data-metric="nps"]')).toContainText("no answers yet");
    await expect(page.locator('[data-testid="criterion"][data-metric="upgrade_rate"][data-kind="success"]')).toContainText("Accounts that moved to a dearer plan");
    await expect(page.getByTestId("overall-verdict")).toHaveText("Inconclusive");
    await expect(page.getByTestId("overall-rule")).toContainText("Failing as soon as any failure criterion is met at 95% confidence");
    await expect(page.getByTestId("guardrail-support_response")).toContainText("Holding");
    await expect(page.getByTestId("guardrail-bill_doubled")).toContainText("Broken");
    await expect(page.getByTestId("rollback-advised")).toBeVisible();
    await expect(page.getByTestId("series-calls_per_day").locator("svg.chart-surface")).toHaveCount(1);
    await expect(page.getByTestId("series-calls_per_day").locator("path.chart-line")).toHaveCount(1);
    await page.screenshot({ path: `${SHOTS}/console-experiment.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);

    // On a phone the criteria are cards, and the page does not scroll sideways.
    await page.setViewportSize({ width: 375, height: 800 });
    await expect(page.getByTestId("criteria-cards")).toBeVisible();
    await expect(page.getByTestId("criteria")).toBeHidden();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1280, height: 900 });

    // Exports: the CSV's rows and the JSON report say what the screen says.
    const [csvFile] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    expect(csvFile.suggestedFilename()).toMatch(/^usage-based-plans-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await csvFile.path())!, "utf8").replace(/^\uFEFF/, "").split("\r\n");
    expect(csv[0]).toBe("kind,metric,target,value,value_text,interval_low,interval_high,interval,confidence,verdict,observations,still_needed,note,definition");
    expect(csv.find((l) => l.startsWith("success,API calls per day,> 100,"))).toContain(",Met,");
    expect(csv.filter((l) => l.includes(",Not yet decidable,")).length).toBeGreaterThan(0);
    expect(csv.find((l) => l.startsWith("guardrail,No bill more than 2× the previous period,"))).toContain(",Broken,");
    const [jsonFile] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON" }).click()]);
    const exported = JSON.parse(readFileSync((await jsonFile.path())!, "utf8")) as Report;
    const served = await operatorQuery<Report>(page, "experiment", {});
    expect(exported.experiment).toMatchObject({ id: served.experiment.id, name: "Usage-based plans" });
    expect(exported.scorecard.criteria.map((c) => c.verdict)).toEqual(served.scorecard.criteria.map((c) => c.verdict));

    // A rollback step opens its preview (what it does, to whom) and runs nothing when cancelled.
    const auditBefore = await operatorQuery<Array<{ action: string }>>(page, "audit", {});
    await page.getByRole("button", { name: "Preview… Refund affected invoices" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Refund the affected invoices" });
    await expect(dialog.getByTestId("rollback-accounts")).toContainText("Ionic Data");
    await expect(dialog.getByRole("button", { name: "Refund: 1 account" })).toBeEnabled();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await page.getByRole("button", { name: "Preview… Pause billing" }).click();
    await expect(page.getByRole("alertdialog", { name: "Pause billing" })).toContainText("Every new invoice, for every account of the installation, is queued");
    await page.keyboard.press("Escape");
    expect(await operatorQuery<Array<{ action: string }>>(page, "audit", {})).toEqual(auditBefore);
    expect((await operatorQuery<{ paused: boolean }>(page, "billingStatus")).paused).toBe(false);
    expect((await operatorQuery<Report>(page, "experiment", {})).events.map((e) => e.kind)).toEqual(["created"]);

    // One experiment at a time: end the demo's, then create the next one from its criteria.
    await page.getByRole("button", { name: "End…" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "End the experiment" }).click();
    await expect(page.getByRole("status")).toContainText("“Usage-based plans” ended");
    await page.getByRole("button", { name: "New experiment…" }).click();
    const form = page.getByTestId("experiment-form");
    await expect(form.getByTestId("criterion-row")).toHaveCount(9);
    await form.getByLabel("Name", { exact: true }).fill("Usage-based plans: all accounts");
    await form.getByRole("button", { name: "Create the experiment" }).click();
    await expect(form).toBeHidden();
    await expect(page.getByRole("status")).toContainText("“Usage-based plans: all accounts” created");
    await expect(page.getByTestId("experiment-name")).toHaveText("Usage-based plans: all accounts");
    await expect(page.getByText("Scheduled: editable until it starts")).toBeVisible();
    await expect(page.getByRole("button", { name: "Edit…" })).toBeVisible();
    await expect(page.getByTestId("overall-verdict")).toHaveText("Not started");
  });
});
