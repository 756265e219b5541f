import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { confirmationFor } from "../../../shared/consent";
import type { Consenter } from "../plan-change";
import { confirmPlanChange } from "../plan-change";
import { cancelScheduledChangeWithProvider } from "../manage-changes";
import { previewPlanChangeWithProvider } from "../quote";
import { resumeApplyingChanges } from "../stripe/stripe-worker";
import { createAccount } from "../../accounts/accounts";
import { ManualClock } from "../../lib/clock";
import { ProviderUnavailableError } from "../billing-provider";
import { countOf, dodoAccount, planOfAccount, postDodoWebhook, startDodoTest, type DodoTest } from "../../testing/dodo-harness";

const DAY = 86_400_000;
const who: Consenter = { signedInAs: "ops@acme.example", ip: "127.0.0.1", userAgent: "vitest" };
let clock: ManualClock;
let t: DodoTest;
/** A 30-day period, half gone: Dodo's prorated_immediately bills half of each price. */
let period: { startMs: number; endMs: number };

beforeEach(async () => {
  // The wall clock's second: the SDK checks webhook timestamps against it.
  clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  period = { startMs: clock.now() - 15 * DAY, endMs: clock.now() + 15 * DAY };
  t = await startDodoTest(clock);
});
afterEach(() => t.stop());

const billing = () => t.deps.billing;
const changeCalls = (subId: string) => t.double.calls("POST", new RegExp(`^/subscriptions/${subId}/change-plan$`));
const statusOf = (accountId: string) => t.sqlite.prepare("select status from plan_changes where account_id = ? order by created_at_ms desc").pluck().get(accountId) as string;

describe("an upgrade through Dodo Payments, with consent", () => {
  it("quotes Dodo's preview (line items, credit, tax), then sends one change with prevent_change and no retries", async () => {
    t.double.taxRate = 0.1;
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    const [preview] = t.double.calls("POST", /change-plan\/preview$/);
    expect(preview!.body).toEqual({ product_id: t.products.business, quantity: 1, proration_billing_mode: "prorated_immediately", effective_at: "immediately" });
    expect(preview!.authorization).toBe("Bearer dodo_test_headroom_key");
    // Half of $199.00 = $99.50, less half of $29.00 = $14.50 credit, plus 10% tax on $85.00 = $8.50: $93.50 now.
    expect(q).toMatchObject({ pricedBy: "stripe", chargeMinor: 9950 + 850, creditMinor: -1450, amountDueNowMinor: 9350, stripeSubscriptionId: a.subscriptionId, stripeProrationBehavior: "prorated_immediately" });
    expect(JSON.parse(q.linesJson)).toEqual([
      expect.objectContaining({ kind: "proration_charge", amountMinor: 9950, description: "Business (50.0% of the period)" }),
      expect.objectContaining({ kind: "proration_credit", amountMinor: -1450 }),
      expect.objectContaining({ kind: "proration_charge", amountMinor: 850, description: "Tax" }),
    ]);
    expect(q.consentText).toMatch(/^I authorise a charge of \$93\.50 now and \$199\.00 every month from .* until I cancel, for the Business plan\. The \$93\.50 charged now is the Business plan's price for the rest of my current billing period, less a credit for the unused time on my Starter plan\.$/);
    expect(changeCalls(a.subscriptionId)).toHaveLength(0);

    const [one, two] = await Promise.all([confirmPlanChange(billing(), a.accountId, confirmationFor(q), who), confirmPlanChange(billing(), a.accountId, confirmationFor(q), who)]);
    expect(one.planChangeId).toBe(two.planChangeId);
    expect([one.status, two.status]).toEqual(["applied", "applied"]);
    const sent = changeCalls(a.subscriptionId);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual({ product_id: t.products.business, quantity: 1, proration_billing_mode: "prorated_immediately", effective_at: "immediately", on_payment_failure: "prevent_change" });
    expect(t.double.changes).toHaveLength(1);
    expect(planOfAccount(t, a.accountId)).toBe("business");
    const invoice = t.sqlite.prepare("select total_minor, status, stripe_invoice_id from invoices where account_id = ?").get(a.accountId) as { total_minor: number; status: string; stripe_invoice_id: string };
    expect(invoice).toMatchObject({ total_minor: 9350, status: "paid" });
    expect(invoice.stripe_invoice_id).toMatch(/^pay_/);
  });

  it("uses the operator's proration mode for the preview and the change", async () => {
    await t.stop();
    t = await startDodoTest(clock, { proration: "full_immediately" });
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    expect(q).toMatchObject({ amountDueNowMinor: 19900, creditMinor: 0, stripeProrationBehavior: "full_immediately" });
    expect(q.consentText).toContain("The $199.00 charged now is the Business plan's full price; the unused time on my Starter plan is not credited.");
    await confirmPlanChange(billing(), a.accountId, confirmationFor(q), who);
    expect(changeCalls(a.subscriptionId)[0]?.body?.proration_billing_mode).toBe("full_immediately");
  });

  it("a declined card leaves the plan as it was and tells the customer, with a link to update the payment method", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.declineNext(a.subscriptionId);
    // The customer's answer says it in words; the change waits for its payment.
    await expect(confirmPlanChange(billing(), a.accountId, confirmationFor(q), who)).rejects.toThrow(/did not go through \(Your card was declined\), so your plan is unchanged\. Update your payment method at http/);
    expect(statusOf(a.accountId)).toBe("payment_pending");
    expect(planOfAccount(t, a.accountId)).toBe("starter");
    expect(t.double.changes).toHaveLength(0);
    const message = t.sqlite.prepare("select failure_message from plan_changes where account_id = ?").pluck().get(a.accountId) as string;
    expect(message).toMatch(/The payment of \$85\.00 for your switch to the Business plan did not go through \(Your card was declined\), so your plan is unchanged\./);
    expect(message).toContain(`${t.double.baseUrl}/portal/${a.customerId}`);
    // The customer pays later: Dodo makes the change and says so; the change waiting for it is committed once.
    t.double.payPending(a.subscriptionId);
    const hook = t.double.webhook("subscription.plan_changed", t.double.subscriptionPayload(a.subscriptionId));
    expect((await postDodoWebhook(t, hook)).body.result).toBe("processed");
    expect(await postDodoWebhook(t, hook)).toMatchObject({ status: 200, body: { result: "duplicate" } });
    expect([planOfAccount(t, a.accountId), statusOf(a.accountId), t.double.changes.length]).toEqual(["business", "applied", 1]);
  });

  it("a refused change (subscription on hold) fails with Dodo's reason and changes nothing", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.setStatus(a.subscriptionId, "on_hold");
    // Re-priced before sending: Dodo refuses the preview (422), nothing is sent.
    await expect(confirmPlanChange(billing(), a.accountId, confirmationFor(q), who)).rejects.toThrow(/^Dodo Payments cannot price this change now: Subscription is on_hold; only an active subscription can change plan\. Nothing was charged/);
    expect(changeCalls(a.subscriptionId)).toHaveLength(0);
    expect([planOfAccount(t, a.accountId), t.double.changes.length]).toEqual(["starter", 0]);
  });
});

describe("a subscription on hold", () => {
  it("cannot change plan (and no second subscription is started): the customer is told to update the payment method", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    t.double.setStatus(a.subscriptionId, "on_hold");
    await expect(previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" })).rejects.toThrow(
      new RegExp(`^Your subscription is on hold after a payment that did not go through, so its plan cannot change now\\. Nothing was charged and your plan is unchanged\\. Update your payment method at ${t.double.baseUrl}/portal/${a.customerId}`),
    );
    expect([t.double.checkouts.size, t.double.calls("POST", /change-plan/).length]).toEqual([0, 0]);
  });
});

describe("a customer without a subscription", () => {
  it("is sent to Dodo's checkout for a customer tied to the account, and the plan changes when Dodo reports the subscription active", async () => {
    const account = await createAccount(t.deps.db, t.deps.catalog, clock, { name: "Solo", email: "solo@example.com", planId: "free" }, { billingAnchorMs: period.startMs, billingInterval: "month" });
    const q = await previewPlanChangeWithProvider(billing(), { accountId: account.id, toPlanId: "starter" });
    const r = await confirmPlanChange(billing(), account.id, confirmationFor(q), who);
    expect(r).toMatchObject({ status: "payment_required", checkoutUrl: expect.stringMatching(new RegExp(`^${t.double.baseUrl}/checkout/`)) });
    const [customer] = [...t.double.customers.values()];
    expect(customer).toMatchObject({ email: "solo@example.com", metadata: { headroom_account_id: account.id } });
    const [session] = [...t.double.checkouts.values()];
    expect(session!.body).toMatchObject({ product_cart: [{ product_id: t.products.starter, quantity: 1 }], customer: { customer_id: customer!.customer_id }, metadata: { headroom_account_id: account.id } });
    expect(planOfAccount(t, account.id)).toBe("free");

    const sub = t.double.completeCheckout(session!.session_id, { startMs: clock.now(), endMs: clock.now() + 30 * DAY });
    await postDodoWebhook(t, t.double.webhook("subscription.active", t.double.subscriptionPayload(sub.subscription_id)));
    expect([planOfAccount(t, account.id), statusOf(account.id)]).toEqual(["starter", "applied"]);
    expect(t.sqlite.prepare("select stripe_subscription_id from accounts where id = ?").pluck().get(account.id)).toBe(sub.subscription_id);
  });
});

describe("a crash or a lost answer between Dodo and Headroom", () => {
  it("Dodo made the change but its answer was lost: the change stays applying, and the worker re-reads instead of sending again", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.failNext("POST", /\/change-plan$/, { hang: true, effectApplied: true });
    await expect(confirmPlanChange(billing(), a.accountId, confirmationFor(q), who)).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect([statusOf(a.accountId), planOfAccount(t, a.accountId)]).toEqual(["applying", "starter"]);
    expect(await resumeApplyingChanges(billing())).toEqual({ resumed: 1, expired: 0 });
    expect(changeCalls(a.subscriptionId)).toHaveLength(1);
    expect([t.double.changes.length, statusOf(a.accountId), planOfAccount(t, a.accountId)]).toEqual([1, "applied", "business"]);
    // The payment Dodo took is found and mirrored: one receipt.
    const [payment] = [...t.double.payments.values()];
    expect(t.sqlite.prepare("select stripe_invoice_id, total_minor from invoices where account_id = ?").all(a.accountId)).toEqual([{ stripe_invoice_id: payment!.payment_id, total_minor: 8500 }]);
  });

  it("the request never reached Dodo: the worker re-reads, finds nothing, and sends it once", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.failNext("POST", /\/change-plan$/, { hang: true, effectApplied: false });
    await expect(confirmPlanChange(billing(), a.accountId, confirmationFor(q), who)).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(t.double.changes).toHaveLength(0);
    await resumeApplyingChanges(billing());
    expect([changeCalls(a.subscriptionId).length, t.double.changes.length, planOfAccount(t, a.accountId)]).toEqual([2, 1, "business"]);
  });

  it("a crash between Dodo's answer and the local commit: the next confirm re-reads the subscription and sends no second change", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.sqlite.exec(`create trigger crash_once before update of status on plan_changes when new.status = 'applied' begin select raise(abort, 'simulated crash before the commit'); end`);
    await expect(confirmPlanChange(billing(), a.accountId, confirmationFor(q), who)).rejects.toThrow(/simulated crash/);
    t.sqlite.exec("drop trigger crash_once");
    const r = await confirmPlanChange(billing(), a.accountId, confirmationFor(q), who);
    expect(r).toMatchObject({ status: "applied", replayed: true });
    expect([changeCalls(a.subscriptionId).length, t.double.changes.length, countOf(t, "plan_changes", a.accountId), countOf(t, "invoices", a.accountId), planOfAccount(t, a.accountId)]).toEqual([1, 1, 1, 1, "business"]);
  });
});

describe("a downgrade at the next billing date", () => {
  it("is scheduled with effective_at next_billing_date, and its cancellation deletes the schedule", async () => {
    const a = await dodoAccount(t, clock, "business", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" });
    expect(q.timing).toBe("period_end");
    const r = await confirmPlanChange(billing(), a.accountId, confirmationFor(q), who);
    expect(r.status).toBe("scheduled");
    expect(changeCalls(a.subscriptionId)[0]!.body).toEqual({ product_id: t.products.starter, quantity: 1, proration_billing_mode: "prorated_immediately", effective_at: "next_billing_date" });
    expect(t.double.subscriptions.get(a.subscriptionId)?.scheduled_change).toMatchObject({ product_id: t.products.starter });
    expect(planOfAccount(t, a.accountId)).toBe("business");

    // Dodo deletes the schedule but the answer is lost: the SDK retries, gets 404, and the re-read confirms it is gone.
    t.double.failNext("DELETE", /\/change-plan\/scheduled$/, { hang: true, effectApplied: true });
    await cancelScheduledChangeWithProvider(billing(), a.accountId, r.planChangeId);
    expect(t.double.calls("DELETE", new RegExp(`^/subscriptions/${a.subscriptionId}/change-plan/scheduled$`))).toHaveLength(2);
    expect(t.double.subscriptions.get(a.subscriptionId)!.scheduled_change).toBeNull();
    expect(statusOf(a.accountId)).toBe("cancelled");
  });

  it("takes effect when Dodo renews the subscription on the new product (the renewal webhook re-reads it)", async () => {
    const a = await dodoAccount(t, clock, "business", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" });
    await confirmPlanChange(billing(), a.accountId, confirmationFor(q), who);
    t.double.renew(a.subscriptionId);
    await postDodoWebhook(t, t.double.webhook("subscription.renewed", t.double.subscriptionPayload(a.subscriptionId)));
    expect([planOfAccount(t, a.accountId), statusOf(a.accountId)]).toEqual(["starter", "applied"]);
  });

  it("to Free: the subscription is cancelled at the next billing date, and the cancellation can be withdrawn", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "free" });
    const r = await confirmPlanChange(billing(), a.accountId, confirmationFor(q), who);
    expect(r.status).toBe("scheduled");
    const patches = t.double.calls("PATCH", new RegExp(`^/subscriptions/${a.subscriptionId}$`));
    expect(patches.map((p) => p.body)).toEqual([{ cancel_at_next_billing_date: true }]);
    expect(changeCalls(a.subscriptionId)).toHaveLength(0);
    await cancelScheduledChangeWithProvider(billing(), a.accountId, r.planChangeId);
    expect(t.double.subscriptions.get(a.subscriptionId)?.cancel_at_next_billing_date).toBe(false);
    expect([statusOf(a.accountId), planOfAccount(t, a.accountId)]).toEqual(["cancelled", "starter"]);
  });
});

describe("a move to Free at the billing date", () => {
  it("ends the subscription at Dodo's renewal: the cancellation webhook applies the scheduled change once", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "free" });
    await confirmPlanChange(billing(), a.accountId, confirmationFor(q), who);
    t.double.renew(a.subscriptionId);
    const hook = t.double.webhook("subscription.cancelled", t.double.subscriptionPayload(a.subscriptionId));
    await postDodoWebhook(t, hook);
    await postDodoWebhook(t, hook);
    expect([planOfAccount(t, a.accountId), statusOf(a.accountId)]).toEqual(["free", "applied"]);
    expect(t.sqlite.prepare("select stripe_subscription_id from accounts where id = ?").pluck().get(a.accountId)).toBeNull();
  });
});

describe("a refund", () => {
  it("refunds a Dodo payment in full once; a partial amount is refused with where to make it", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    await confirmPlanChange(billing(), a.accountId, confirmationFor(q), who);
    const invoice = t.sqlite.prepare("select id, number, total_minor as totalMinor, currency, stripe_invoice_id as stripeInvoiceId from invoices where account_id = ?").get(a.accountId) as { number: string; totalMinor: number; currency: string; stripeInvoiceId: string };
    const provider = t.deps.dodo!.provider;
    await expect(provider.refund(invoice as never, 100, "refund:1", "goodwill")).rejects.toThrow(/a partial refund is made in Dodo's dashboard/);
    const { refundId } = await provider.refund(invoice as never, invoice.totalMinor, "refund:2", "wrong plan");
    expect(t.double.refunds.get(refundId)).toMatchObject({ payment_id: invoice.stripeInvoiceId, amount: 8500, metadata: { headroom_key: "refund:2", headroom_invoice: invoice.number } });
    // Sent again with the same key (an answer lost): the refund made is found, nothing is sent.
    const posts = () => t.double.calls("POST", /^\/refunds$/).length;
    expect(posts()).toBe(1);
    expect(await provider.refund(invoice as never, invoice.totalMinor, "refund:2", "wrong plan")).toEqual({ refundId });
    expect(posts()).toBe(1);
    // Another request for the same payment: Dodo refuses a second full refund, nothing is paid twice.
    await expect(provider.refund(invoice as never, invoice.totalMinor, "refund:3", "again")).rejects.toThrow(/Dodo Payments refused the refund: This payment is already refunded/);
    expect(t.double.refunds.size).toBe(1);
  });
});

describe("billing paused by an operator", () => {
  it("pauses each linked Dodo subscription once (re-read first), resumes it, and reports one Dodo refuses", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const b = await dodoAccount(t, clock, "pro", period);
    t.double.setStatus(b.subscriptionId, "cancelled");
    const provider = t.deps.dodo!.provider;
    const subs = [{ accountId: a.accountId, subscriptionId: a.subscriptionId }, { accountId: b.accountId, subscriptionId: b.subscriptionId }];
    expect(await provider.setCollectionPaused(subs, true, "pause:1")).toEqual({ done: 2, failed: [] });
    expect(await provider.setCollectionPaused(subs, true, "pause:1")).toEqual({ done: 2, failed: [] });
    expect(t.double.calls("PATCH", /^\/subscriptions\//).map((c) => c.body)).toEqual([{ pause: true }]);
    expect(t.double.subscriptions.get(a.subscriptionId)?.status).toBe("paused");
    expect(await provider.setCollectionPaused(subs, false, "pause:2")).toEqual({ done: 2, failed: [] });
    expect(t.double.subscriptions.get(a.subscriptionId)?.status).toBe("active");
    t.double.failNext("GET", new RegExp(`^/subscriptions/${a.subscriptionId}$`), { status: 404, message: "Subscription not found" });
    const report = await provider.setCollectionPaused(subs, true, "pause:3");
    expect(report.failed).toEqual([{ accountId: a.accountId, subscriptionId: a.subscriptionId, message: "Subscription not found" }]);
  });
});
