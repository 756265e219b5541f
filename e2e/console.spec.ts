import { confirmationFor, type ShownQuote } from "../shared/consent";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "@playwright/test";
import { expect, expectNoSeriousA11yViolations, serverAuth, SHOTS, signInAsCustomer, test } from "./fixtures";
import { operatorQuery, signInAsOperator } from "./operator-fixtures";

// The other specs share this demo database and run before and after this one: nothing here changes
// the plan of a demo account the others use (Acme, Copperleaf, Juniper, Harbor…); the flips are
// undone, and the approval and support flows use an account this spec creates.

interface Readiness {
  accounts: number;
  wouldRefuse: Array<{ accountId: string; name: string }>;
  refusedCallsPerDay: number;
  notified: number;
}

const count = (n: number) => n.toLocaleString("en-US");

test.describe("operator console", () => {
  test("shadow audit: the three over-cap Starter accounts, Acme's peaks, sorting, CSV export, row → account", async ({ page }) => {
    await signInAsOperator(page);
    await expect(page.getByRole("heading", { name: "Shadow audit", level: 1 })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Shadow audit" })).toHaveAttribute("aria-current", "page");

    // The default range is the last 7 days.
    await expect(page.getByTestId("audit-range").getByRole("radio", { name: "7 days" })).toBeChecked();
    const rows = page.getByTestId("audit-row");
    for (const name of ["Acme Analytics", "Brightline Labs", "Copperleaf Retail"]) {
      await expect(rows.filter({ hasText: name })).toHaveCount(1);
    }
    const acme = page.locator('[data-testid="audit-row"][data-account="acc_demo_acme"]');
    await expect(acme.getByTestId("peak-minute")).toContainText("268");
    await expect(acme.getByTestId("peak-minute")).toContainText("cap 60");
    await expect(acme.getByTestId("peak-day")).toContainText("4,016");
    await expect(acme).toContainText("Business");
    await expect(acme).toContainText("+$170.00/month");

    // Only Starter: exactly the three.
    await page.getByLabel("Plan").selectOption("starter");
    await expect(page).toHaveURL(/plan=starter/);
    await expect(rows).toHaveCount(3);
    await page.screenshot({ path: `${SHOTS}/console-audit.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);

    // Sorting by account name, both ways, said by aria-sort.
    const accountHeader = page.getByRole("columnheader", { name: "Account" });
    await accountHeader.getByRole("button").click();
    await expect(accountHeader).toHaveAttribute("aria-sort", "ascending");
    await expect(rows.first()).toContainText("Acme Analytics");
    await accountHeader.getByRole("button").click();
    await expect(accountHeader).toHaveAttribute("aria-sort", "descending");
    await expect(rows.first()).toContainText("Copperleaf Retail");

    // CSV of what is shown, in the order shown.
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^shadow-audit-starter-7d-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await file.path())!, "utf8").replace(/^\uFEFF/, "");
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "account_id,account,email,plan,mode,peak_per_minute,minute_cap,peak_per_day,day_cap,period_usage,month_cap,would_throttle,throttled,days_over,recommended_plan,recommended_estimated_monthly_cost,estimated_cost_difference,notices,last_plan_change",
    );
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^acc_demo_copperleaf,Copperleaf Retail,/);
    expect(lines[3]).toMatch(/^acc_demo_acme,Acme Analytics,ops@acme-analytics\.example,Starter,shadow,268,60,4016,1000,\d+,,\d+,0,\d+,Business,\$199\.00,\$170\.00 a month more,/);

    // A row opens the account.
    await acme.getByRole("cell").nth(1).click();
    await expect(page).toHaveURL(/\/console\/accounts\/acc_demo_acme$/);
    await expect(page.getByRole("heading", { name: "Acme Analytics", level: 1 })).toBeVisible();
  });

  test("account detail: the customer's charts and limits, notices, invoices with a partial refund, grandfathering", async ({ page }) => {
    test.setTimeout(60_000);
    await signInAsOperator(page);
    await page.goto("/console/accounts/acc_demo_acme");
    await expect(page.getByRole("heading", { name: "Acme Analytics", level: 1 })).toBeVisible();
    const days = page.getByRole("figure", { name: "Last 30 days" });
    await expect(days.locator("svg.chart-surface")).toHaveCount(1);
    await expect(days).toContainText("Your cap (1,000/day)");
    await expect(page.getByTestId("meter-day")).toContainText("/ 1,000");
    // Which notices exist depends on the hour (the demo's batch runs at 02:00 UTC); sustained overuse is there all day.
    await expect(page.getByTestId("account-notices")).toContainText(/Cap reached|Sustained overuse/);
    await expect(page.getByTestId("invoice-row").first()).toContainText("$29.00");

    // Granite (Pro) is refunded $1.00 of an invoice; a double click refunds once.
    await page.goto("/console/accounts/acc_demo_granite");
    await expect(page.getByRole("heading", { name: "Granite Systems", level: 1 })).toBeVisible();
    const invoice = page.locator('[data-testid="invoice-row"]').filter({ has: page.getByRole("button", { name: /^Refund/ }) }).first();
    const number = (await invoice.getAttribute("data-invoice"))!;
    const creditNotesBefore = await page.getByTestId("invoice-row").filter({ hasText: "Credit note" }).count();
    await invoice.getByRole("button", { name: `Refund invoice ${number}` }).click();
    const dialog = page.getByRole("alertdialog", { name: `Refund invoice ${number}` });
    await expect(dialog.getByLabel("Amount (USD)")).toHaveValue("49.00");
    await expect(dialog.getByRole("button", { name: "Refund $49.00" })).toBeVisible();
    await dialog.getByRole("button", { name: "Refund $49.00" }).click();
    await expect(dialog).toContainText("Give a short reason");
    await dialog.getByLabel("Amount (USD)").fill("1");
    await dialog.getByLabel("Reason").fill("Goodwill credit for the e2e outage");
    await expectNoSeriousA11yViolations(page);
    await dialog.getByRole("button", { name: "Refund $1.00" }).dblclick();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId("account-announcement")).toHaveText(`Refunded $1.00 of ${number}. Granite Systems has been notified.`);
    await expect(page.getByTestId("invoice-row").filter({ hasText: "Credit note" })).toHaveCount(creditNotesBefore + 1);
    await expect(invoice).toContainText("$1.00 refunded");

    // Grandfather with the 30-day preset, then end it: both audited.
    await page.getByRole("button", { name: "Grandfather…" }).click();
    const gf = page.getByRole("alertdialog", { name: "Grandfather Granite Systems" });
    await gf.getByLabel("Until (00:00 UTC of)").fill("2000-01-01");
    await gf.getByRole("button", { name: "30 days from today" }).click();
    const in30 = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 30));
    await expect(gf.getByLabel("Until (00:00 UTC of)")).toHaveValue(in30.toISOString().slice(0, 10));
    const date = in30.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
    await gf.getByRole("button", { name: `Keep terms until ${date}` }).click();
    await expect(gf).toBeHidden();
    await expect(page.getByTestId("account-announcement")).toContainText(`Granite Systems keeps its Pro terms until ${date}`);
    await expect(page.getByText("Grandfathered until")).toBeVisible();
    await page.getByRole("button", { name: "Change grandfathering" }).click();
    await gf.getByRole("button", { name: "End grandfathering now" }).click();
    await expect(gf).toBeHidden();
    await expect(page.getByTestId("account-announcement")).toContainText("Grandfathering of Granite Systems has ended");
    await expect(page.locator('[data-testid="audit-entry"][data-action="grandfathering.set"]')).toHaveCount(2);
    await expect(page.locator('[data-testid="audit-entry"][data-action="refund.issued"]')).toHaveCount(1);
  });

  test("enforcement: Pro's readiness in the confirmation, the flip reports who was notified, then back to shadow", async ({ page }) => {
    test.setTimeout(60_000);
    await signInAsOperator(page);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Enforcement" }).click();
    await expect(page.getByRole("heading", { name: "Enforcement", level: 1 })).toBeVisible();
    await expect(page.getByTestId("billing-pause")).toContainText("Running");

    const pro = page.getByTestId("plan-pro");
    const readiness = await operatorQuery<Readiness>(page, "enforcementReadiness", { planId: "pro" });
    await expect(pro.getByTestId("readiness-accounts")).toContainText(count(readiness.accounts));
    await expect(pro.getByTestId("readiness-refused")).toContainText(count(readiness.wouldRefuse.length));
    await expect(pro.getByTestId("readiness-calls")).toContainText(count(readiness.refusedCallsPerDay));
    await expect(pro.getByRole("radio", { name: "Shadow" })).toBeChecked();
    await expectNoSeriousA11yViolations(page);

    // A cohort of Granite only: its own preview in the confirmation; cancelled, nothing changes.
    await pro.getByRole("button", { name: "Flip a cohort first (beta)" }).click();
    await pro.getByTestId("cohort-pro").getByRole("checkbox", { name: /Granite Systems/ }).check();
    await expect(pro.getByText("If this account were enforced now")).toBeVisible();
    await pro.getByRole("button", { name: "Enforce 1 account…" }).click();
    const cohortDialog = page.getByRole("alertdialog", { name: "Enforce 1 Pro account?" });
    await expect(cohortDialog.getByTestId("flip-summary")).toContainText("Enforce 1 Pro account:");
    await cohortDialog.getByRole("button", { name: "Cancel" }).click();
    await expect(cohortDialog).toBeHidden();

    // The whole plan: the confirmation names the figures, then the flip says how many were notified.
    await pro.getByRole("radio", { name: "Enforce" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Enforce Pro?" });
    const summary = confirm.getByTestId("flip-summary");
    const refused = readiness.wouldRefuse.length;
    if (refused === 0) await expect(summary).toContainText(`Enforce Pro: no account would be refused now (its ${readiness.accounts === 1 ? "1 account is" : `${readiness.accounts} accounts are`} within every cap this week)`);
    else await expect(summary).toContainText(`Enforce Pro: ${refused === 1 ? "1 account" : `${refused} accounts`} would be refused, about`);
    await expect(summary).toContainText("72 hours");
    await expect(confirm).toContainText("No call is refused before its account has been notified and the grace period has passed.");
    await page.screenshot({ path: `${SHOTS}/console-enforce-confirm.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);
    await confirm.getByRole("button", { name: "Enforce Pro" }).click();
    await expect(confirm).toBeHidden();
    const result = pro.getByTestId("flip-result");
    await expect(result).toContainText(`Pro (${readiness.accounts === 1 ? "1 account" : `${readiness.accounts} accounts`}) now in enforce mode.`);
    await expect(result).toContainText(refused - readiness.notified === 0 ? "No account needed a notice now." : /accounts? (was|were) notified; (it is|they are) refused no earlier than/);
    await expect(pro.getByRole("heading", { name: /Pro/ })).toContainText("Enforce");
    await expect(pro.getByRole("radio", { name: "Enforce" })).toBeChecked();

    // Undo: back to shadow, with its own confirmation.
    await pro.getByRole("radio", { name: "Shadow" }).click();
    const back = page.getByRole("alertdialog", { name: "Switch to shadow Pro?" });
    await expect(back.getByTestId("flip-summary")).toContainText("Switch Pro to shadow: calls over a cap are served again");
    await back.getByRole("button", { name: "Switch to shadow Pro" }).click();
    await expect(back).toBeHidden();
    await expect(result).toContainText("now in shadow mode.");
    await expect(pro.getByRole("radio", { name: "Shadow" })).toBeChecked();

    // Both flips are in the audit log.
    await page.goto("/console/audit?action=enforcement.");
    await expect(page.getByRole("heading", { name: "Audit log", level: 1 })).toBeVisible();
    const flips = page.locator('[data-testid="audit-entry"][data-action="enforcement.changed"]');
    await expect(flips).toHaveCount(2);
    // Newest first: the undo, from enforce to shadow.
    await expect(flips.first().getByTestId("audit-sentence")).toHaveText("Changed enforcement of Pro from enforce to shadow");
    await expect(flips.nth(1).getByTestId("audit-sentence")).toHaveText("Changed enforcement of Pro from shadow to enforce");
    await expect(page.locator('[data-testid="audit-entry"]:not([data-action="enforcement.changed"])')).toHaveCount(0);

    // The billing switch asks first and names what it holds back; cancelled here.
    await page.goto("/console/enforcement");
    await page.getByRole("button", { name: "Pause billing…" }).click();
    const pause = page.getByRole("alertdialog", { name: "Pause billing?" });
    await expect(pause).toContainText("queued instead of charged");
    await expect(pause).toContainText(/\d+ invoices? (is|are) queued now/);
    await pause.getByRole("button", { name: "Cancel" }).click();
    await expect(page.getByTestId("billing-pause")).toContainText("Running");

    // A cohort gets its own mode, then follows the plan again.
    const proCard = page.getByTestId("plan-pro");
    await proCard.getByRole("button", { name: "Flip a cohort first (beta)" }).click();
    const cohort = proCard.getByTestId("cohort-pro");
    const granite = cohort.getByRole("checkbox", { name: /Granite Systems/ });
    await granite.check();
    await expect(cohort.getByRole("button", { name: "Follow the plan (shadow)…" })).toBeDisabled();
    await cohort.getByRole("button", { name: "Turn off…" }).click();
    const off = page.getByRole("alertdialog", { name: "Turn off 1 Pro account?" });
    await off.getByRole("button", { name: "Turn off 1 Pro account" }).click();
    await expect(off).toBeHidden();
    await expect(proCard.getByTestId("flip-result")).toContainText("1 account of Pro now in off mode.");
    await expect(proCard).toContainText("With their own mode (kept by a plan flip): Granite Systems (off).");
    await granite.check();
    await cohort.getByRole("button", { name: "Follow the plan (shadow)…" }).click();
    const follow = page.getByRole("alertdialog", { name: "Let 1 Pro account follow the plan (shadow)?" });
    await expect(follow).toContainText("Their own mode is dropped: they follow Pro's mode (now shadow)");
    await page.screenshot({ path: `${SHOTS}/console-follow-plan.png` });
    await follow.getByRole("button", { name: "Follow the plan (shadow)" }).click();
    await expect(follow).toBeHidden();
    await expect(proCard.getByTestId("flip-result")).toContainText("1 account of Pro now follows the plan: shadow mode.");
    await expect(proCard).not.toContainText("With their own mode");
  });

  test("approvals: empty at first, then a change over the billing cap is approved; support: a request is answered", async ({ page, browser, baseURL }) => {
    test.setTimeout(90_000);
    await signInAsOperator(page);
    const pending = await operatorQuery<unknown[]>(page, "approvals");
    await page.goto("/console/approvals");
    await expect(page.getByRole("heading", { name: "Approvals", level: 1 })).toBeVisible();
    if (pending.length === 0) await expect(page.getByText("No approvals waiting")).toBeVisible();

    // A customer of this spec's own (not a demo account other specs rely on) with Business-scale
    // traffic: 30,000 calls on its first day, about 900,000 a month at that rate, make Enterprise's
    // projected bill $990 + $450 = $1,440, over the $1,000 cap.
    const account = await createCustomer(page, "Kestrel Freight (e2e)", "ops@kestrel-e2e.example", "business", 30_000);
    const customer = await customerPage(browser, baseURL!, account);
    const preview = await customer.request.post("/trpc/billing.previewPlanChange", { data: { toPlanId: "enterprise" }, headers: { origin: baseURL! } });
    expect(preview.ok()).toBe(true);
    const quote = ((await preview.json()) as { result: { data: { id: string; needsApproval: boolean; amountDueNowMinor: number; recurringMinor: number; currency: string; consentText: string; projectedMonthlyMinor: number } } }).result.data;
    expect(quote.needsApproval, `projected ${quote.projectedMonthlyMinor} minor units`).toBe(true);
    const confirmed = await customer.request.post("/trpc/billing.confirm", {
      data: confirmationFor(quote),
      headers: { origin: baseURL! },
    });
    expect(((await confirmed.json()) as { result: { data: { status: string } } }).result.data.status).toBe("pending_approval");

    await page.reload();
    const request = page.locator(`[data-testid="approval"][data-account="${account}"]`);
    await expect(request).toContainText("Kestrel Freight (e2e): Business → Enterprise");
    await expect(request).toContainText("$1,440.00");
    await expect(request).toContainText("billing cap $1,000.00");
    await expect(request.getByTestId("approval-consent")).toHaveText(quote.consentText);
    await expect(request).toContainText("Calls per day (UTC)");
    await expect(page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: /Approvals/ })).toContainText("pending");

    // Deny needs a reason; cancelled.
    await request.getByRole("button", { name: /^Deny/ }).click();
    const deny = page.getByRole("alertdialog", { name: "Deny Kestrel Freight (e2e)'s switch to Enterprise?" });
    await deny.getByRole("button", { name: "Deny the switch" }).click();
    await expect(deny).toContainText("Say why (at least 3 characters)");
    await expectNoSeriousA11yViolations(page);
    await deny.getByRole("button", { name: "Cancel" }).click();

    await request.getByRole("button", { name: /^Approve/ }).click();
    const approve = page.getByRole("alertdialog", { name: "Approve Kestrel Freight (e2e)'s switch to Enterprise?" });
    await expect(approve).toContainText("$440.00 over the $1,000.00 billing cap");
    await approve.getByRole("button", { name: "Approve", exact: true }).click();
    await expect(approve).toBeHidden();
    // Priced again when applied: the same price applies at once; a prorated price that fell since the
    // consent (a cent a few seconds later) is confirmed again by the customer, without a second approval.
    const announced = page.getByTestId("approvals-announcement");
    await expect(announced).toContainText(/Approved(: Kestrel Freight \(e2e\) moves Business → Enterprise|\. Kestrel Freight \(e2e\)'s price moved since the consent)/);
    await expect(request).toHaveCount(0);
    if ((await announced.textContent())!.includes("price moved")) {
      const again = ((await (await customer.request.post("/trpc/billing.previewPlanChange", { data: { toPlanId: "enterprise" }, headers: { origin: baseURL! } })).json()) as { result: { data: ShownQuote } }).result.data;
      const reconfirmed = await customer.request.post("/trpc/billing.confirm", { data: confirmationFor(again), headers: { origin: baseURL! } });
      expect(((await reconfirmed.json()) as { result: { data: { status: string } } }).result.data.status).toBe("applied");
    }
    await page.goto(`/console/accounts/${account}`);
    await expect(page.getByText("Enterprise · $990.00/month")).toBeVisible();
    // The customer's consent to the change is in the account's trail (the decision itself is not audited by the server yet).
    await expect(page.locator('[data-testid="audit-entry"][data-action="plan_change.confirmed"]')).not.toHaveCount(0);

    // Support: the customer asks, the operator answers from the queue.
    const asked = await customer.request.post("/trpc/support.create", { data: { topic: "bill", message: "Will the Enterprise invoice include this month's calls?" }, headers: { origin: baseURL! } });
    expect(asked.ok()).toBe(true);
    await page.goto("/console/support");
    const item = page.getByTestId("support-request").filter({ hasText: "Kestrel Freight (e2e)" });
    await expect(item).toContainText("Will the Enterprise invoice include this month's calls?");
    await expect(item.getByTestId("clock")).toHaveText(/^(3 h 5\d min|4 h) left$/);
    await item.getByRole("button", { name: "Send reply…" }).click();
    await expect(item).toContainText("Write a reply first.");
    await item.getByLabel("Reply to Kestrel Freight (e2e)").fill("Yes: from the switch on, every call is metered at $0.50 per 1,000.");
    await item.getByRole("button", { name: "Send reply…" }).click();
    const send = page.getByRole("alertdialog", { name: "Send this reply to Kestrel Freight (e2e)?" });
    await expect(send).toContainText("E-mailed to ops@kestrel-e2e.example and shown in their portal");
    await send.getByRole("button", { name: "Send reply" }).click();
    await expect(send).toBeHidden();
    await expect(page.getByText("Reply sent to Kestrel Freight (e2e) (ops@kestrel-e2e.example).")).toBeVisible();
    // The view lives in the URL, so the radio turns checked after the navigation: click, then wait for it.
    const answeredView = page.getByRole("radio", { name: /Answered/ });
    await answeredView.click();
    await expect(answeredView).toBeChecked();
    await expect(page.getByTestId("support-request").filter({ hasText: "Kestrel Freight (e2e)" })).toContainText("Yes: from the switch on");
    await customer.context().close();
  });

  test("catalog: every plan of the file with its current version, terms in words and the accounts on it", async ({ page }) => {
    await signInAsOperator(page);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Catalog" }).click();
    await expect(page.getByRole("heading", { name: "Catalog", level: 1 })).toBeVisible();
    await expect(page.getByTestId("catalog-meters")).toContainText("Prices in USD. Meter: API calls (calls).");
    const rows = page.getByTestId("catalog-version-row");
    await expect(rows).toHaveCount(5);
    const overview = await operatorQuery<{ plans: Array<{ id: string; accounts: number; versions: Array<{ version: number; accounts: number }> }> }>(page, "catalog");
    const starter = page.locator('[data-testid="catalog-version-row"][data-plan="starter"][data-version="1"]');
    await expect(starter).toContainText("current");
    await expect(starter).toContainText("$29.00/month; API calls: 60 per minute, 1,000 per day (UTC)");
    await expect(starter.locator("td").nth(3)).toHaveText(count(overview.plans.find((p) => p.id === "starter")!.accounts));
    // One file loaded so far, and no older version to offer.
    await expect(page.getByText("Only one catalog file has been loaded so far.")).toBeVisible();
    await expect(page.getByRole("button", { name: /Offer the current terms/ })).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
  });

  test("metrics: headline tiles and the funnel's numbers", async ({ page }) => {
    await signInAsOperator(page);
    await page.goto("/console/metrics");
    await expect(page.getByRole("heading", { name: "Metrics", level: 1 })).toBeVisible();
    await expect(page.getByTestId("metrics-range").getByRole("radio", { name: "30 days" })).toBeChecked();
    const m = await operatorQuery<{ funnel: { notified: number; openedWizard: number; upgraded: number; reducedTraffic: number; upgradeRate: number | null }; revenueMinor: number }>(page, "metrics", {});
    const funnel = page.getByTestId("funnel");
    await expect(funnel.getByTestId("funnel-notified").getByTestId("count")).toHaveText(count(m.funnel.notified));
    await expect(funnel.getByTestId("funnel-opened").getByTestId("count")).toHaveText(count(m.funnel.openedWizard));
    await expect(funnel.getByTestId("funnel-upgraded").getByTestId("count")).toHaveText(count(m.funnel.upgraded));
    await expect(funnel.getByTestId("funnel-reduced").getByTestId("count")).toHaveText(count(m.funnel.reducedTraffic));
    expect(m.funnel.notified).toBeGreaterThanOrEqual(3);
    await expect(funnel.getByTestId("upgrade-rate")).toHaveText(m.funnel.upgradeRate === null ? "–" : `${Math.round(m.funnel.upgradeRate * 100)}%`);
    for (const tile of ["tile-revenue", "tile-calls", "tile-upgrade-rate", "tile-billing-errors", "tile-nps"]) await expect(page.getByTestId(tile)).toBeVisible();
    await expect(page.getByTestId("tile-upgrade-rate")).toContainText(`of ${count(m.funnel.notified)} notified accounts`);
    // All calls, and the calls over a cap on their own scale.
    await expect(page.getByRole("figure", { name: "API calls per day" }).locator("svg.chart-surface")).toHaveCount(2);
    await expect(page.getByTestId("chart-calls-over-cap").locator("svg.chart-surface")).toHaveCount(1);
    await expect(page.getByRole("figure", { name: "MRR and revenue by plan" })).toBeVisible();
    await expect(page.getByTestId("notices-by-kind")).toContainText(/Cap reached|Sustained overuse/);
    await page.screenshot({ path: `${SHOTS}/console-metrics.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);

    await page.getByTestId("metrics-range").getByText("7 days").click();
    await expect(page).toHaveURL(/days=7/);
    await expect(page.getByTestId("funnel")).toBeVisible();
  });

  test("outbox: an e-mail opens rendered in a sandboxed frame, with its text part", async ({ page }) => {
    await signInAsOperator(page);
    await page.goto("/console/outbox?account=acc_demo_acme");
    const first = page.getByTestId("outbox-row").first();
    await expect(first).toContainText("ops@acme-analytics.example");
    await first.getByRole("link").click();
    const preview = page.getByTestId("message-preview");
    await expect(preview.getByRole("heading", { level: 2 })).toBeFocused();
    const frame = preview.getByTestId("message-html");
    await expect(frame).toHaveAttribute("sandbox", "");
    expect(await frame.getAttribute("srcdoc")).toContain("Hello Acme Analytics");
    await expect(page.frameLocator('[data-testid="message-html"]').getByText("Hello Acme Analytics,")).toBeVisible();
    await preview.getByText("Text", { exact: true }).click();
    await expect(preview.getByTestId("message-text")).toContainText("Hello Acme Analytics,");
    await preview.getByRole("button", { name: "Close the message" }).click();
    await expect(preview).toBeHidden();
  });

  test("anomalies and the audit log list what happened; the console fits a phone", async ({ page }) => {
    await signInAsOperator(page);
    await page.goto("/console/anomalies");
    const ionic = page.getByTestId("anomaly-row").filter({ hasText: "Ionic Data" });
    await expect(ionic).toContainText(/\$990\.00 → \$[\d,]+\.\d\d/);
    await ionic.getByRole("button", { name: /Acknowledge/ }).click();
    await expect(page.getByRole("alertdialog")).toContainText("acknowledging changes no amount");
    await page.getByRole("alertdialog").getByRole("button", { name: "Cancel" }).click();

    await page.goto("/console/audit");
    await expect(page.locator('[data-testid="audit-entry"][data-action="sign_in"]').first()).toBeVisible();
    await page.getByLabel("Account").selectOption("acc_demo_granite");
    await expect(page).toHaveURL(/account=acc_demo_granite/);
    await expect(page.getByTestId("audit-entry").first()).toBeVisible();
    await expect(page.getByTestId("audit-entry").filter({ hasNotText: "Granite Systems" }).filter({ has: page.getByRole("link") })).toHaveCount(0);

    await page.setViewportSize({ width: 375, height: 800 });
    for (const path of ["/console", "/console/enforcement", "/console/metrics", "/console/accounts/acc_demo_acme"]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await page.waitForLoadState("networkidle");
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(375);
    }
    await page.screenshot({ path: `${SHOTS}/console-account-phone.png`, fullPage: true });
  });
});

/** Creates an account with a key and `calls` calls reported a minute ago, through the provider's REST API. */
async function createCustomer(page: Page, name: string, email: string, planId: string, calls: number): Promise<string> {
  const created = await page.request.post("/v1/accounts", { headers: serverAuth, data: { name, email, planId } });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const key = await page.request.post(`/v1/accounts/${id}/keys`, { headers: serverAuth, data: { name: "e2e" } });
  const { key: apiKey } = (await key.json()) as { key: string };
  const events = await page.request.post("/v1/events", { headers: serverAuth, data: { events: [{ id: `e2e-${id}`, key: apiKey, cost: calls, timestamp: Date.now() - 60_000 }] } });
  expect(((await events.json()) as { accepted: number }).accepted).toBe(1);
  // The meter writes its counts every 250 ms; the quote reads them from the database.
  await expect
    .poll(async () => {
      // The last two UTC days: a minute ago may have been yesterday, just after midnight.
      const days = (await operatorQuery<{ history: { days: Array<{ allowed: number; wouldThrottle: number }> } }>(page, "account", { accountId: id })).history.days.slice(-2);
      return days.reduce((s, d) => s + d.allowed + d.wouldThrottle, 0);
    }, { timeout: 5_000 })
    .toBe(calls);
  return id;
}

/** A second browser context signed in as that customer (the operator's page keeps its own session). */
async function customerPage(browser: Browser, baseURL: string, accountId: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signInAsCustomer(page, accountId);
  return page;
}
