import type { Locator, Page } from "@playwright/test";
import { database, expect, expectNoSeriousA11yViolations, minor, SHOTS, signInAsCustomer, test } from "./fixtures";
import { headingProblems } from "./headings";

const amountOf = async (l: Locator) => minor((await l.textContent()) ?? "");
const currentStep = (page: Page) => page.getByRole("navigation", { name: "Plan change steps" }).locator('[aria-current="step"]');

test.describe("plan-change wizard", () => {
  test("Copperleaf's recommended Pro: the whole price with the expected overage, the opt-in as its own tick, and no confirmation without the agreement to the words shown", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_copperleaf");
    // The Plans page recommends Pro at its price plus the overage the traffic implies.
    await page.goto("/plans");
    const card = page.getByTestId("recommendation");
    await expect(card).toContainText("Recommended for your traffic");
    await expect(card.getByRole("heading", { level: 2 })).toContainText("Pro");
    const monthly = minor((await card.getByRole("heading", { level: 2 }).textContent())!);
    expect(monthly).toBeGreaterThan(4_900);
    expect(monthly).toBeLessThan(19_900);

    // The wizard preselects the same plan, and its preview tells the whole price.
    await page.goto("/plans/change");
    await expect(page.getByRole("radio", { name: "Pro" })).toBeChecked();
    await page.getByRole("button", { name: "Preview the switch to Pro" }).click();
    const overage = page.getByTestId("overage-preview");
    await expect(overage).toContainText("At your rate you would pass Pro's monthly quota of 10,000 calls");
    await expect(overage).toContainText(`about $${((monthly - 4_900) / 100).toFixed(2)} a month, so about $${(monthly / 100).toFixed(2)} a month in all`);
    await expect(page.getByTestId("estimated-monthly")).toContainText(`about $${(monthly / 100).toFixed(2)} in all`);
    await page.screenshot({ path: `${SHOTS}/plan-change-overage-preview.png`, fullPage: true });

    // The consent: the price in one box, the overage opt-in in its own, unticked.
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByTestId("overage-consent-text")).toContainText("I also agree to overage billing on the Pro plan");
    await expect(page.getByTestId("overage-checkbox")).not.toBeChecked();
    await expectNoSeriousA11yViolations(page);
    await page.screenshot({ path: `${SHOTS}/plan-change-overage-consent.png`, fullPage: true });

    // A confirmation that lost the agreement on the way, or names other words, is refused; nothing changes.
    const tamper = async (edit: (input: Record<string, unknown>) => void) => {
      await page.route("**/trpc/billing.confirm**", async (route) => {
        const body = JSON.parse(route.request().postData()!) as Record<string, Record<string, unknown>>;
        edit(Object.values(body)[0]!);
        await route.continue({ postData: JSON.stringify(body) });
      });
      // The route stays until the tampered request has been answered: the click only starts it.
      const answered = page.waitForResponse("**/trpc/billing.confirm**");
      await page.getByRole("button", { name: /^(Pay|Confirm|Switch)/ }).click();
      await answered;
      await page.unroute("**/trpc/billing.confirm**");
    };
    await page.getByTestId("consent-checkbox").check();
    await tamper((input) => delete input.consent);
    await expect(page.getByTestId("confirm-error")).toContainText("The confirmation must carry your agreement to the words shown");
    await tamper((input) => ((input.consent as { textDigest: string }).textDigest = "0".repeat(64)));
    await expect(page.getByTestId("confirm-error")).toContainText("The words you agreed to are not this price preview's. Nothing was charged");
    const db = database();
    const state = {
      plan: db.prepare("select plan_id from accounts where id = 'acc_demo_copperleaf'").pluck().get(),
      consents: db.prepare("select count(*) from consents where account_id = 'acc_demo_copperleaf'").pluck().get(),
    };
    db.close();
    expect(state).toEqual({ plan: "starter", consents: 0 });
  });

  test("Copperleaf upgrades to Business: proration preview, consent, one charge for a double click, receipt, new caps", async ({ page }) => {
    // The whole wizard with an accessibility check per step, then the billing and usage pages: more time on a busy machine.
    test.slow();
    await signInAsCustomer(page, "acc_demo_copperleaf");
    const confirms: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("billing.confirm")) confirms.push(r.postData() ?? "");
    });

    // 1. Choose: deep-linked to Business, the current plan marked and not selectable.
    await page.goto("/plans/change?to=business");
    await expect(page.getByRole("heading", { name: "Change plan", level: 1 })).toBeVisible();
    await expect(currentStep(page)).toContainText("Choose");
    await expect(page.getByRole("radio", { name: "Business" })).toBeChecked();
    await expect(page.getByRole("radio", { name: "Starter" })).toBeDisabled();
    await expect(page.getByTestId("plan-option-starter")).toContainText("Your plan");
    await expect(page.getByTestId("plan-option-business")).toContainText("300 per minute · 5,000 per day (UTC)");
    await expect(page.getByTestId("plan-option-business")).toContainText("$199.00");
    await page.screenshot({ path: `${SHOTS}/plan-change-1-choose.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);

    // 2. Preview: credit for unused Starter time, charge for the rest of the period on Business, due now = their sum.
    await page.getByRole("button", { name: "Preview the switch to Business" }).click();
    await expect(currentStep(page)).toContainText("Preview");
    await expect(page.getByRole("heading", { name: "Preview: Starter → Business" })).toBeFocused();
    const credit = page.getByTestId("quote-line-proration_credit");
    const charge = page.getByTestId("quote-line-proration_charge");
    await expect(credit).toContainText("Credit for unused time");
    await expect(credit).toContainText("Unused time on Starter");
    await expect(charge).toContainText("Remaining time on Business");
    const creditMinor = await amountOf(credit.getByRole("cell").last());
    const chargeMinor = await amountOf(charge.getByRole("cell").last());
    expect(creditMinor).toBeLessThan(0);
    expect(chargeMinor).toBeGreaterThan(0);
    const dueNow = await amountOf(page.getByTestId("due-now"));
    expect(dueNow).toBe(creditMinor + chargeMinor);
    expect(await amountOf(page.getByTestId("lines-total"))).toBe(dueNow);
    await expect(page.getByTestId("recurring")).toContainText("$199.00");
    await expect(page.getByTestId("recurring")).toContainText(/from \d{1,2} \w+ \d{4}/);
    await expect(page.getByTestId("new-caps")).toContainText("300 per minute · 5,000 per day (UTC)");
    await expect(page.getByTestId("new-caps")).toContainText("apply now");
    await expect(page.getByTestId("quote-expiry")).toContainText(/This price is valid until \d{1,2}:\d\d/);
    await page.screenshot({ path: `${SHOTS}/plan-change-2-preview.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);
    expect(await headingProblems(page, "preview")).toEqual([]);

    // 3. Consent: the quote's words label the box; the button names the amount and waits for the tick.
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(currentStep(page)).toContainText("Consent");
    const dueText = `$${(dueNow / 100).toFixed(2)}`;
    const consentText = (await page.getByTestId("consent-text").textContent())!;
    expect(consentText).toMatch(new RegExp(`^I authorise a charge of \\${dueText} now and \\$199\\.00 every month from \\d{1,2} \\w+ \\d{4} until I cancel, for the Business plan\\.$`));
    const agree = page.getByRole("checkbox", { name: consentText });
    await expect(agree).not.toBeChecked();
    const pay = page.getByRole("button", { name: `Pay ${dueText} and switch` });
    await expect(pay).toBeDisabled();
    await page.screenshot({ path: `${SHOTS}/plan-change-3-consent.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);
    expect(await headingProblems(page, "consent")).toEqual([]);
    await agree.check();
    await expect(pay).toBeEnabled();
    await page.screenshot({ path: `${SHOTS}/plan-change-3b-consent-agreed.png`, fullPage: true });

    // A double click confirms once.
    await pay.dblclick();

    // 4. Done: the receipt, and the layout already shows the new plan.
    await expect(page.getByRole("heading", { name: "You are now on Business" })).toBeVisible();
    await expect(currentStep(page)).toContainText("Done");
    await expect(page.getByTestId("receipt-charged")).toContainText(dueText);
    await expect(page.getByTestId("receipt-next")).toContainText(/\$199\.00 on \d{1,2} \w+ \d{4}/);
    await expect(page.getByTestId("receipt-caps")).toContainText("300 per minute");
    await expect(page.getByRole("complementary").getByText("Business plan")).toBeVisible();
    // One request with one confirmation in it (tRPC batches calls made in the same tick into one request).
    const sent = confirms.flatMap((body) => Object.values(JSON.parse(body) as Record<string, { quoteId: string; accepted: unknown }>));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.accepted).toEqual({ amountDueNow: dueNow, recurringAmount: 19_900, currency: "USD" });
    // The one optional question; the answer counts towards the console's NPS.
    // The real NPS question, in the provider's name, with the scale's ends labelled.
    const question = page.getByRole("group", { name: "How likely are you to recommend Headroom to a friend or colleague? (optional)" });
    await expect(question).toHaveAttribute("data-testid", "satisfaction");
    await expect(question.getByTestId("satisfaction-scale")).toHaveText("0 = Not at all likely10 = Extremely likely");
    await expect(question.getByRole("button")).toHaveCount(11);
    // The divider runs above the question, not through it: a fieldset draws its own top border through
    // the middle of its legend, so the line belongs to the box around the fieldset.
    const divider = question.locator("xpath=..");
    expect(await question.evaluate((e) => getComputedStyle(e).borderTopWidth)).toBe("0px");
    expect(await divider.evaluate((e) => getComputedStyle(e).borderTopWidth)).toBe("1px");
    expect((await question.locator("legend").boundingBox())!.y).toBeGreaterThan((await divider.boundingBox())!.y + 1);
    await page.setViewportSize({ width: 375, height: 800 });
    const buttons = await question.getByRole("button").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
    expect(new Set(buttons).size, "0–10 on one row at 375 px").toBe(1);
    await page.screenshot({ path: `${SHOTS}/plan-change-4-receipt-375.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });
    await question.getByRole("button", { name: "9", exact: true }).click();
    await expect(question.getByRole("status")).toHaveText("Thank you.");
    await page.screenshot({ path: `${SHOTS}/plan-change-4-receipt.png`, fullPage: true });
    await expectNoSeriousA11yViolations(page);
    expect(await headingProblems(page, "receipt")).toEqual([]);

    // Billing: exactly one new invoice (the proration) and one consent, in the words agreed to.
    await page.getByRole("link", { name: "Go to Billing" }).click();
    await expect(page.getByRole("heading", { name: "Billing", level: 1 })).toBeVisible();
    const proration = page.locator('[data-testid="invoice-row"][data-kind="proration"]');
    await expect(proration).toHaveCount(1);
    await expect(proration).toContainText(dueText);
    await expect(proration).toContainText("Plan change");
    const consents = page.getByTestId("consent-record");
    await expect(consents).toHaveCount(1);
    await expect(consents.getByTestId("consent-words")).toHaveText(consentText);
    await expect(consents).toContainText("Agreed by it@copperleaf.example");
    await expect(consents).toContainText("Applied");
    await expect(page.getByTestId("current-plan")).toContainText("Business");

    // Usage: the meter has the new cap.
    await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Usage" }).click();
    await expect(page.getByTestId("meter-minute")).toContainText("/ 300");
    await expect(page.getByTestId("meter-day")).toContainText("/ 5,000");
  });

  test("Harbor's downgrade to Starter is scheduled with nothing charged and can be cancelled on the billing page", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_harbor");
    await page.goto("/billing");
    const invoices = page.getByTestId("invoice-row");
    await expect(invoices.first()).toBeVisible();
    const invoicesBefore = await invoices.count();

    await page.goto("/plans/change?to=starter");
    await expect(page.getByRole("radio", { name: "Starter" })).toBeChecked();
    await page.getByRole("button", { name: "Preview the switch to Starter" }).click();
    await expect(page.getByTestId("due-now")).toContainText("$0.00");
    await expect(page.getByTestId("due-now")).toContainText("Nothing is charged now");
    await expect(page.getByTestId("new-caps")).toContainText(/apply on \d{1,2} \w+ \d{4}/);
    await expect(page.getByTestId("quote-lines")).toHaveCount(0);
    await expect(page.getByTestId("quote-explanation")).toContainText("You stay on Business, with its caps, until");
    await expectNoSeriousA11yViolations(page);

    await page.getByRole("button", { name: "Continue" }).click();
    const schedule = page.getByRole("button", { name: "Schedule the switch" });
    await expect(schedule).toBeDisabled();
    await expect(page.getByTestId("consent-text")).toContainText(/^I agree to switch from the Business plan to the Starter plan on .+ Nothing is charged now\.$/);
    await page.getByTestId("consent-checkbox").check();
    await schedule.click();

    await expect(page.getByRole("heading", { name: /^Your switch to Starter is scheduled for \d{1,2} \w+ \d{4}$/ })).toBeVisible();
    await expect(page.getByTestId("receipt-lead")).toContainText("Nothing is charged now");
    await expect(page.getByTestId("receipt-lead")).toContainText("cancel it on the Billing page");
    await expect(page.getByTestId("receipt-charged")).toHaveText(/Nothing/);
    // Still Business until the date.
    await expect(page.getByRole("complementary").getByText("Business plan")).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/plan-change-downgrade-receipt.png`, fullPage: true });

    await page.getByRole("link", { name: "Go to Billing" }).click();
    await expect(invoices).toHaveCount(invoicesBefore);
    const pending = page.getByTestId("pending-change");
    await expect(pending).toHaveCount(1);
    await expect(pending).toContainText("Business → Starter");
    await expect(pending).toContainText("Scheduled for");
    await expect(page.getByTestId("consent-record")).toHaveCount(1);
    await expectNoSeriousA11yViolations(page);

    await pending.getByRole("button", { name: "Cancel switch to Starter" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Cancel the switch to Starter?" });
    await expect(confirm).toContainText("You stay on Business");
    await confirm.getByRole("button", { name: "Keep the switch" }).click();
    await expect(confirm).toBeHidden();
    await expect(pending).toHaveCount(1);

    await pending.getByRole("button", { name: "Cancel switch to Starter" }).click();
    await confirm.getByRole("button", { name: "Cancel the switch" }).click();
    await expect(confirm).toBeHidden();
    await expect(page.getByTestId("billing-announcement")).toHaveText("The switch to Starter is cancelled. You stay on Business.");
    await expect(page.getByTestId("pending-changes")).toHaveCount(0);
    await expect(page.getByTestId("consent-record")).toHaveAttribute("data-status", "cancelled");
    await expect(page.getByTestId("next-invoice")).toContainText("Business plan");
    await expect(invoices).toHaveCount(invoicesBefore);
  });

  test("a price that expired or was tampered with is not confirmed; previewing again is offered", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_juniper");
    const previews: string[] = [];
    page.on("response", async (r) => {
      if (r.url().includes("billing.previewPlanChange") && r.ok()) {
        const body = (await r.json()) as Array<{ result: { data: { id: string } } }>;
        previews.push(body[0]!.result.data.id);
      }
    });
    await page.goto("/plans/change?to=pro");
    await page.getByRole("button", { name: "Preview the switch to Pro" }).click();
    await expect(page.getByTestId("quote-figures")).toBeVisible();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByTestId("consent-checkbox").check();

    // The server's clock says the quote has expired (the browser does not know yet).
    expect(previews).toHaveLength(1);
    const db = database();
    db.prepare("update quotes set expires_at_ms = ? where id = ?").run(Date.now() - 1_000, previews[0]);
    db.close();
    await page.getByRole("button", { name: "Schedule the switch" }).click();
    const error = page.getByTestId("confirm-error");
    await expect(error).toContainText("This price preview has expired.");
    await expectNoSeriousA11yViolations(page);
    await error.getByRole("button", { name: "Preview again" }).click();
    await expect(page.getByRole("heading", { name: "Preview: Business → Pro" })).toBeVisible();
    await expect(page.getByTestId("quote-figures")).toBeVisible();
    expect(previews).toHaveLength(2);

    // Amounts changed on the way to the server: refused, nothing changes.
    await page.route("**/trpc/billing.confirm**", async (route) => {
      const body = JSON.parse(route.request().postData()!) as Record<string, { accepted: { recurringAmount: number } }>;
      Object.values(body)[0]!.accepted.recurringAmount = 1;
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByTestId("consent-checkbox").check();
    await page.getByRole("button", { name: "Schedule the switch" }).click();
    await expect(error).toContainText("The amounts you accepted are not the ones quoted. Nothing was charged");
    await expect(error.getByRole("button", { name: "Preview again" })).toBeVisible();
    await page.unroute("**/trpc/billing.confirm**");

    await page.goto("/billing");
    await expect(page.getByTestId("current-plan")).toContainText("Business");
    await expect(page.getByTestId("consent-record")).toHaveCount(0);
  });

  test("the browser's clock runs out the quote: the confirm button is disabled and a new preview is offered", async ({ page }) => {
    await page.clock.install();
    await signInAsCustomer(page, "acc_demo_juniper");
    await page.goto("/plans/change?to=starter");
    await page.getByRole("button", { name: "Preview the switch to Starter" }).click();
    await expect(page.getByTestId("quote-expiry")).toContainText("This price is valid until");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByTestId("consent-checkbox").check();
    await expect(page.getByRole("button", { name: "Schedule the switch" })).toBeEnabled();

    await page.clock.fastForward("16:00");
    await expect(page.getByTestId("quote-expiry")).toContainText(/This price expired at/);
    await expect(page.getByRole("button", { name: "Schedule the switch" })).toBeDisabled();
    await page.getByRole("button", { name: "Preview again" }).click();
    await expect(page.getByTestId("quote-expiry")).toContainText("This price is valid until");
    await expect(page.getByRole("button", { name: "Continue" })).toBeEnabled();
  });

  test("every step has its address: back, forward and reload keep the step and the quote, and one choice makes one quote", async ({ page }) => {
    // Several reloads and history moves, each waiting for the server: more time on a busy machine.
    test.slow();
    await signInAsCustomer(page, "acc_demo_juniper");
    const previews: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("billing.previewPlanChange")) previews.push(r.url());
    });
    const quotesOfJuniper = () => {
      const db = database();
      try {
        return db.prepare("select id from quotes where account_id = 'acc_demo_juniper' and kind = 'plan_change' and to_plan_id = 'starter'").pluck().all() as string[];
      } finally {
        db.close();
      }
    };
    // An open quote for the same choice from an earlier visit may be answered again: at most one new one.
    const before = quotesOfJuniper();
    await page.goto("/plans/change?to=starter");
    await page.getByRole("button", { name: "Preview the switch to Starter" }).click();
    await expect(page).toHaveURL(/step=preview&quote=quo_/);
    const quoteId = new URL(page.url()).searchParams.get("quote")!;
    const due = await page.getByTestId("quote-figures").textContent();
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page).toHaveURL(new RegExp(`step=consent&quote=${quoteId}`));

    // Reload on the consent step: the same step, the same quote, no new price.
    await page.reload();
    await expect(currentStep(page)).toContainText("Consent");
    await expect(page.getByTestId("consent-checkbox")).toBeVisible();
    // Back: the preview of the same quote; back again: the choice; forward: the same preview again.
    await page.goBack();
    await expect(currentStep(page)).toContainText("Preview");
    await expect(page.getByTestId("quote-figures")).toHaveText(due!);
    await page.goBack();
    await expect(currentStep(page)).toContainText("Choose");
    await expect(page.getByRole("radio", { name: "Starter" })).toBeChecked();
    await page.goForward();
    await expect(currentStep(page)).toContainText("Preview");
    await expect(page).toHaveURL(new RegExp(`quote=${quoteId}`));
    expect(previews).toHaveLength(1);

    // The same choice previewed again from the first step answers the same quote: one quote, not one per visit.
    await page.getByRole("button", { name: "Back" }).click();
    await page.getByRole("button", { name: "Preview the switch to Starter" }).click();
    await expect(page).toHaveURL(new RegExp(`quote=${quoteId}`));
    const made = quotesOfJuniper().filter((id) => !before.includes(id));
    expect(made.length).toBeLessThanOrEqual(1);
    expect([...before, ...made]).toContain(quoteId);

    // Consent, then reload the receipt: still the receipt; back does not offer the consent again.
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByTestId("consent-checkbox").check();
    await page.getByRole("button", { name: "Schedule the switch" }).click();
    await expect(currentStep(page)).toContainText("Done");
    await expect(page).toHaveURL(new RegExp(`step=done&quote=${quoteId}`));
    await page.reload();
    await expect(currentStep(page)).toContainText("Done");
    await expect(page.getByRole("heading", { name: /Your switch to Starter is scheduled/ })).toBeVisible();
    await page.goBack();
    await expect(page.getByTestId("wizard-gone")).toContainText("You already confirmed this change to Starter");

    // The scheduled switch is cancelled again so the demo account stays as the other tests expect it.
    await page.goto("/billing");
    await page.getByTestId("pending-change").getByRole("button", { name: "Cancel switch to Starter" }).click();
    await page.getByRole("alertdialog", { name: "Cancel the switch to Starter?" }).getByRole("button", { name: "Cancel the switch" }).click();
    await expect(page.getByTestId("pending-changes")).toHaveCount(0);
  });

  test("a ?to= that cannot be offered is said plainly; the recommended plan is chosen instead", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_acme");
    await page.goto("/plans/change?to=platinum");
    await expect(page.getByTestId("wizard-note")).toContainText("There is no plan “platinum” to switch to");
    // Acme's traffic fits Business (see portal-pages.spec.ts).
    await expect(page.getByRole("radio", { name: "Business" })).toBeChecked();
    await page.goto("/plans/change?to=starter");
    await expect(page.getByTestId("wizard-note")).toContainText("You are already on the Starter plan.");

    // A link into the wizard while it is open (the banner's upgrade choice) starts it again with that plan.
    // The choice lives in the URL, so the radio turns checked after the navigation: click, then wait for it.
    await page.getByRole("radio", { name: "Pro" }).click();
    await expect(page).toHaveURL(/\/plans\/change\?to=pro$/);
    await expect(page.getByRole("radio", { name: "Pro" })).toBeChecked();
    await page.getByRole("button", { name: "Preview the switch to Pro" }).click();
    await expect(page.getByRole("heading", { name: "Preview: Starter → Pro" })).toBeVisible();
    await page.getByTestId("notice-banner").getByRole("link", { name: /Switch to Business/ }).click();
    await expect(currentStep(page)).toContainText("Choose");
    await expect(page.getByRole("radio", { name: "Business" })).toBeChecked();
  });

  test("the wizard fits a phone screen", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signInAsCustomer(page, "acc_demo_juniper");
    await page.goto("/plans/change?to=pro");
    await expect(page.getByRole("radio", { name: "Pro" })).toBeChecked();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.getByRole("button", { name: "Preview the switch to Pro" }).click();
    await expect(page.getByTestId("quote-figures")).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: `${SHOTS}/plan-change-phone-preview.png`, fullPage: true });
  });
});
