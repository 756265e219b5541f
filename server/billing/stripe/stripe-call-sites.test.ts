import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../../accounts/accounts";
import { ManualClock } from "../../lib/clock";
import { confirmPlanChange } from "../plan-change";
import { previewPlanChangeWithProvider } from "../quote";
import { basePriceKey, meteredPriceKey } from "./stripe-catalog";
import { previewOverageChange } from "../quote";
import { accepted, linkedAccount, planOf, startStripeTest, who, type StripeTest } from "../../testing/stripe-harness";
import { reconcileOverdueSchedules } from "./stripe-worker";
import { setBillingPaused } from "../../operator/controls";

/** The Stripe calls and branches no other test reaches, each through the real SDK against the double. */

const utc = (s: string) => Date.parse(s);
const NOV = { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") };
let clock: ManualClock;
let t: StripeTest;

beforeEach(async () => {
  clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
  t = await startStripeTest(clock);
});
afterEach(() => t.stop());

const billing = () => t.srv.deps.billing;
const changeStatus = (id: string) => t.srv.sqlite.prepare("select status from plan_changes where id = ?").pluck().get(id);

describe("Stripe call sites", () => {
  it("subscriptions.cancel with prorate=false: grandfathered terms left for Free end the subscription now, nothing charged", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    t.srv.sqlite.prepare("update accounts set grandfathered_until_ms = ? where id = ?").run(NOV.endMs, a.accountId);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "free" });
    expect(q).toMatchObject({ timing: "now", amountDueNowMinor: 0 });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("applied");
    const [cancel] = t.double.calls("DELETE", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`));
    expect(cancel!.params).toEqual({ prorate: "false" });
    expect(t.double.subscription(a.subscriptionId).status).toBe("canceled");
    expect(planOf(t, a.accountId)).toBe("free");
    expect(t.srv.sqlite.prepare("select stripe_subscription_id from accounts where id = ?").pluck().get(a.accountId)).toBeNull();
  });

  it("subscriptions.update with cancel_at_period_end=false under the …:keep key: an upgrade keeps a subscription set to end at Stripe", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    // Set to end at the period's end in Stripe's dashboard, with no change waiting here.
    t.double.subscriptions.get(a.subscriptionId)!.cancel_at_period_end = true;
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    expect((await confirmPlanChange(billing(), a.accountId, accepted(q), who)).status).toBe("applied");
    const updates = t.double.calls("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`));
    expect(updates.map((u) => [u.idempotencyKey, u.params.cancel_at_period_end])).toEqual([
      [`quote:${q.id}:apply`, undefined],
      [`quote:${q.id}:apply:keep`, "false"],
    ]);
    expect(t.double.subscription(a.subscriptionId).cancel_at_period_end).toBe(false);
  });

  it("subscriptions.retrieve from reconcileOverdueSchedules: a downgrade Stripe made without a webhook reaching us is followed", async () => {
    const a = await linkedAccount(t, clock, "business", NOV);
    const r = await confirmPlanChange(billing(), a.accountId, accepted(await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" })), who);
    expect(r.status).toBe("scheduled");
    clock.set(NOV.endMs + 1000);
    t.double.endPeriod(a.subscriptionId);
    t.double.takeEvents(); // never delivered
    t.double.clearRequests();
    // Within the grace hour nothing is read; past it the subscription is.
    expect(await reconcileOverdueSchedules(billing(), t.srv.deps.stripe!.provider)).toBe(0);
    clock.set(NOV.endMs + 2 * 3_600_000);
    expect(await reconcileOverdueSchedules(billing(), t.srv.deps.stripe!.provider)).toBe(1);
    expect(t.double.calls("GET", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`))).toHaveLength(1);
    expect([planOf(t, a.accountId), changeStatus(r.planChangeId)]).toEqual(["starter", "applied"]);
  });

  it("Checkout with the existing customer: an account whose subscription ended pays again as the same Stripe customer", async () => {
    const account = await createAccount(t.srv.deps.db, t.srv.deps.catalog, clock, { name: "Back", email: "back@example.com", planId: "free" });
    const customer = t.double.createCustomer("back@example.com");
    t.srv.sqlite.prepare("update accounts set stripe_customer_id = ? where id = ?").run(customer.id, account.id);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: account.id, toPlanId: "starter" });
    const r = await confirmPlanChange(billing(), account.id, accepted(q), who);
    expect(r.status).toBe("payment_required");
    const [session] = t.double.calls("POST", /^\/v1\/checkout\/sessions$/);
    expect(session!.params).toMatchObject({ customer: customer.id, line_items: [{ price: t.double.priceByKey(basePriceKey("starter")).id, quantity: "1" }] });
    expect(session!.params.customer_email).toBeUndefined();
  });

  it("Checkout after a 500 Stripe saved: a new session under a new key (the first never reached the customer)", async () => {
    const account = await createAccount(t.srv.deps.db, t.srv.deps.catalog, clock, { name: "Newco", email: "new@example.com", planId: "free" });
    t.double.failNext("POST", /^\/v1\/checkout\/sessions$/, { status: 500, effectApplied: true });
    const q = await previewPlanChangeWithProvider(billing(), { accountId: account.id, toPlanId: "starter" });
    const r = await confirmPlanChange(billing(), account.id, accepted(q), who);
    expect(r.status).toBe("payment_required");
    const keys = t.double.calls("POST", /^\/v1\/checkout\/sessions$/).map((c) => c.idempotencyKey);
    expect(keys).toEqual([`quote:${q.id}:apply`, expect.stringMatching(/:after:[0-9a-f]{16}$/)]);
    expect(r.checkoutUrl).toContain([...t.double.sessions.keys()].at(-1));
  });
});

describe("schedules made elsewhere, or whose creation failed", () => {
  it("an upgrade releases a schedule made in Stripe's dashboard (subscriptionSchedules.retrieve, then release under the …:release key)", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const schedule = await t.stripe.subscriptionSchedules.create({ from_subscription: a.subscriptionId });
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    expect((await confirmPlanChange(billing(), a.accountId, accepted(q), who)).status).toBe("applied");
    expect(t.double.calls("GET", new RegExp(`^/v1/subscription_schedules/${schedule.id}$`))).toHaveLength(1);
    const [release] = t.double.calls("POST", new RegExp(`^/v1/subscription_schedules/${schedule.id}/release$`));
    expect(release!.idempotencyKey).toBe(`quote:${q.id}:apply:release`);
    expect(t.double.schedules.get(schedule.id)!.status).toBe("released");
  });

  it("a schedule created by a request Stripe answered with a 500: the re-read subscription names it, and the downgrade goes on with it", async () => {
    const a = await linkedAccount(t, clock, "business", NOV);
    t.double.failNext("POST", /^\/v1\/subscription_schedules$/, { status: 500, effectApplied: true });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" })), who);
    expect(r.status).toBe("scheduled");
    expect(t.double.calls("POST", /^\/v1\/subscription_schedules$/)).toHaveLength(1);
    expect(t.double.schedules.size).toBe(1);
    const [id] = [...t.double.schedules.keys()];
    expect(t.double.schedules.get(id!)!.phases).toHaveLength(2);
    expect(t.srv.sqlite.prepare("select provider_ref from plan_changes where id = ?").pluck().get(r.planChangeId)).toBe(`schedule:${id}`);
  });
});

describe("the overage opt-in on a subscription already counting the meter", () => {
  it("subscriptions.update under the …:items key: an item of a former price on the same Stripe meter takes the overage price in place", async () => {
    const overage = t.double.priceByKey(meteredPriceKey("pro"));
    const legacy = await t.stripe.prices.create({ product: "headroom_pro", currency: "usd", unit_amount: 250, lookup_key: "legacy_pro_overage", recurring: { interval: "month", usage_type: "metered", meter: overage.recurring.meter } });
    const a = await linkedAccount(t, clock, "pro", NOV, ["legacy_pro_overage"]);
    const legacyItem = t.double.subscription(a.subscriptionId).items.data.find((i: { price: { id: string } }) => i.price.id === legacy.id)!;
    const q = await previewOverageChange(billing(), { accountId: a.accountId, optIn: true });
    expect((await confirmPlanChange(billing(), a.accountId, accepted(q), who)).status).toBe("applied");
    const [update] = t.double.calls("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`));
    expect(update!.params).toEqual({ items: [{ id: legacyItem.id, price: overage.id }], proration_behavior: "none" });
    expect(update!.idempotencyKey).toBe(`quote:${q.id}:apply:items`);
    expect(t.double.calls("POST", /^\/v1\/subscription_items$/)).toHaveLength(0);
    // One item on the meter, now at the overage price: its usage is never counted twice.
    expect(t.double.subscription(a.subscriptionId).items.data.filter((i: { price: { recurring: { meter?: string } } }) => i.price.recurring.meter === overage.recurring.meter).map((i: { price: { id: string } }) => i.price.id)).toEqual([overage.id]);
  });
});

describe("Stripe's preview totals in the quote", () => {
  it("a customer credit balance and tax Stripe adds are in the amount due now the customer consents to, and charged as previewed", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    t.double.customers.get(a.customerId)!.balance = -1_000;
    t.double.taxBps = 1_000;
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    // $85.00 of prorations, $8.50 tax, $10.00 of credit: $83.50 now.
    expect(q).toMatchObject({ pricedBy: "stripe", creditMinor: -1450, chargeMinor: 9950, amountDueNowMinor: 8350 });
    expect(q.consentText).toContain("a charge of $83.50 now");
    expect((await confirmPlanChange(billing(), a.accountId, accepted(q), who)).status).toBe("applied");
    const invoice = t.double.invoices.get(t.double.subscription(a.subscriptionId).latest_invoice as string)!;
    expect([invoice.amount_due, invoice.amount_paid, t.double.customers.get(a.customerId)!.balance]).toEqual([8350, 8350, 0]);
  });
});

describe("billing paused at Stripe too", () => {
  it("pausing billing sets pause_collection on each linked subscription; one that fails is reported, the others paused, and pausing again retries it", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const b = await linkedAccount(t, clock, "pro", NOV);
    t.double.failNext("POST", new RegExp(`^/v1/subscriptions/${b.subscriptionId}$`), { status: 400, error: { type: "invalid_request_error", message: "Something about this subscription." } });
    const paused = await setBillingPaused(billing(), true, "operator");
    expect(paused.subscriptions).toEqual({ done: 1, failed: [{ accountId: b.accountId, subscriptionId: b.subscriptionId, message: "Something about this subscription." }] });
    const [update] = t.double.calls("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`));
    expect(update!.params).toEqual({ pause_collection: { behavior: "keep_as_draft" } });
    expect(update!.idempotencyKey).toBe(`billing:pause:${clock.now()}:${a.subscriptionId}`);
    expect([t.double.subscription(a.subscriptionId).pause_collection, t.double.subscription(b.subscriptionId).pause_collection]).toEqual([{ behavior: "keep_as_draft", resumes_at: null }, null]);
    const audit = t.srv.sqlite.prepare("select details_json from audit_log where action = 'billing.paused'").pluck().get() as string;
    expect(JSON.parse(audit).subscriptions).toEqual({ done: 1, failed: [b.subscriptionId] });

    // Again: the one paused already is re-read and left alone; the other is paused now.
    t.double.clearRequests();
    clock.advance(60_000);
    expect((await setBillingPaused(billing(), true, "operator")).subscriptions).toEqual({ done: 2, failed: [] });
    expect(t.double.calls("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`))).toHaveLength(0);
    expect(t.double.subscription(b.subscriptionId).pause_collection).toMatchObject({ behavior: "keep_as_draft" });

    // Resumed: pause_collection is cleared on both.
    clock.advance(60_000);
    expect((await setBillingPaused(billing(), false, "operator")).subscriptions).toEqual({ done: 2, failed: [] });
    expect(t.double.calls("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`)).at(-1)!.params).toEqual({ pause_collection: "" });
    expect([t.double.subscription(a.subscriptionId).pause_collection, t.double.subscription(b.subscriptionId).pause_collection]).toEqual([null, null]);
  });
});
