import { confirmationFor } from "../../../shared/consent";
import { sqliteHandle } from "../../db/open-store";
import Stripe from "stripe";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../../accounts/accounts";
import { ManualClock } from "../../lib/clock";
import { createLogger } from "../../lib/logger";
import { createRuntime, startServer } from "../../main";
import { DomainError } from "../../lib/domain-error";
import { confirmPlanChange } from "../plan-change";
import { cancelScheduledChangeWithProvider, decideApproval } from "../manage-changes";
import { previewOverageChange, previewPlanChangeWithProvider } from "../quote";
import { PortalClient } from "../../testing/portal-client";
import { basePriceKey, meteredPriceKey } from "./stripe-catalog";
import { accepted, count, linkedAccount, planOf, postEvent, startStripeTest, who, type StripeTest } from "../../testing/stripe-harness";
import { resumeApplyingChanges } from "./stripe-worker";

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
const updates = (subId: string) => t.double.calls("POST", new RegExp(`^/v1/subscriptions/${subId}$`));
async function rejects(p: Promise<unknown>, code: string): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe(code);
    return e as DomainError;
  }
  throw new Error(`expected ${code}`);
}

describe("an upgrade through Stripe, with consent", () => {
  it("quotes Stripe's preview, re-previews at the same proration_date, then updates once with the quote's key", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    const business = t.double.priceByKey(basePriceKey("business")).id;

    const [preview] = t.double.calls("POST", /^\/v1\/invoices\/create_preview$/);
    expect(preview!.params).toMatchObject({
      customer: a.customerId,
      subscription: a.subscriptionId,
      subscription_details: { items: [{ id: a.itemId, price: business }], proration_behavior: "always_invoice", proration_date: String(utc("2026-11-16T00:00:00Z") / 1000) },
    });
    expect(preview!.stripeVersion).toBe(Stripe.API_VERSION);
    // Stripe's numbers: −$14.50 + $99.50 = $85.00 now; the quote keeps Stripe's proration_date.
    expect(q).toMatchObject({ pricedBy: "stripe", creditMinor: -1450, chargeMinor: 9950, amountDueNowMinor: 8500, prorationAtMs: utc("2026-11-16T00:00:00Z"), recurringFromMs: NOV.endMs, stripeSubscriptionId: a.subscriptionId });
    expect(q.consentText).toBe("I authorise a charge of $85.00 now and $199.00 every month from 1 Dec 2026 until I cancel, for the Business plan.");
    // No consent yet: nothing was sent that changes the subscription.
    expect(updates(a.subscriptionId)).toHaveLength(0);

    clock.advance(90_000);
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r).toMatchObject({ status: "applied", toPlanId: "business", amountDueNowMinor: 8500, replayed: false });

    // The re-preview before charging used the consented proration_date, not the confirmation's time.
    const previews = t.double.calls("POST", /^\/v1\/invoices\/create_preview$/);
    expect(previews).toHaveLength(2);
    expect(previews[1]!.params.subscription_details.proration_date).toBe(String(utc("2026-11-16T00:00:00Z") / 1000));
    const [update] = updates(a.subscriptionId);
    expect(update!.params).toMatchObject({
      items: [{ id: a.itemId, price: business }],
      proration_date: String(utc("2026-11-16T00:00:00Z") / 1000),
      proration_behavior: "always_invoice",
      payment_behavior: "pending_if_incomplete",
    });
    expect(update!.idempotencyKey).toBe(`quote:${q.id}:apply`);
    expect(update!.stripeVersion).toBe(Stripe.API_VERSION);
    expect(update!.authorization).toBe("Bearer sk_test_headroom");

    expect(planOf(t, a.accountId)).toBe("business");
    const invoice = t.srv.sqlite.prepare("select total_minor, status, stripe_invoice_id from invoices where account_id = ?").get(a.accountId) as { total_minor: number; status: string; stripe_invoice_id: string };
    expect(invoice).toMatchObject({ total_minor: 8500, status: "paid" });
    expect(invoice.stripe_invoice_id).toMatch(/^in_/);
    expect(t.srv.sqlite.prepare("select idempotency_key from plan_changes where account_id = ?").pluck().get(a.accountId)).toBe(`quote:${q.id}:apply`);
    // Caps follow the new price at once.
    expect(t.srv.deps.meter.limitsFor(a.accountId).limits.find((l) => l.window === "minute")!.limit).toBe(300);
  });

  it("sends no update without a consent for that quote, or for amounts other than the quote's", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    const input = accepted(q);
    await rejects(confirmPlanChange(billing(), a.accountId, { ...input, accepted: { ...input.accepted, amountDueNow: 100 } }, who), "CONFLICT");
    const other = await linkedAccount(t, clock, "starter", NOV);
    await rejects(confirmPlanChange(billing(), other.accountId, input, who), "NOT_FOUND");
    expect(updates(a.subscriptionId)).toHaveLength(0);
    expect(t.double.executed.subscriptionUpdates).toBe(0);
    expect([count(t, "consents", a.accountId), count(t, "plan_changes", a.accountId), planOf(t, a.accountId)]).toEqual([0, 0, "starter"]);
  });

  it("a double confirm sends one update and answers both with the same change", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    const [one, two] = await Promise.all([confirmPlanChange(billing(), a.accountId, accepted(q), who), confirmPlanChange(billing(), a.accountId, accepted(q), who)]);
    expect(two.planChangeId).toBe(one.planChangeId);
    expect([one.replayed, two.replayed].sort()).toEqual([false, true]);
    const again = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(again).toMatchObject({ status: "applied", replayed: true, planChangeId: one.planChangeId });
    expect(updates(a.subscriptionId)).toHaveLength(1);
    expect(t.double.executed.subscriptionUpdates).toBe(1);
    expect([count(t, "consents", a.accountId), count(t, "plan_changes", a.accountId), count(t, "invoices", a.accountId)]).toEqual([1, 1, 1]);
  });

  it("a crash between Stripe's answer and the local commit: the next confirm sends the same key, and one change and one invoice exist", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    // The local commit fails once, after Stripe has answered.
    t.srv.sqlite.exec(`create trigger crash_once before update of status on plan_changes when new.status = 'applied' begin select raise(abort, 'simulated crash before the commit'); end`);
    await expect(confirmPlanChange(billing(), a.accountId, accepted(q), who)).rejects.toThrow(/simulated crash/);
    expect(t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(a.accountId)).toBe("applying");
    expect(planOf(t, a.accountId)).toBe("starter");
    t.srv.sqlite.exec("drop trigger crash_once");

    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r).toMatchObject({ status: "applied", replayed: true });
    // A change sent before is re-read first (Stripe may have forgotten its key): the subscription already
    // has the new price, so nothing is sent again; its invoice comes with the re-read.
    expect(updates(a.subscriptionId)).toHaveLength(1);
    expect(t.double.calls("GET", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`)).some((c) => c.params.expand?.includes("latest_invoice"))).toBe(true);
    // Stripe applied it once; no second re-preview (it would no longer show the consented amount).
    expect(t.double.executed.subscriptionUpdates).toBe(1);
    expect(t.double.calls("POST", /create_preview/)).toHaveLength(2);
    expect([count(t, "plan_changes", a.accountId), count(t, "invoices", a.accountId), planOf(t, a.accountId)]).toEqual([1, 1, "business"]);
  });

  it("a change left applying by a crash is finished at restart by the worker, with the same key", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.srv.sqlite.exec(`create trigger crash_once before update of status on plan_changes when new.status = 'applied' begin select raise(abort, 'simulated crash'); end`);
    await expect(confirmPlanChange(billing(), a.accountId, accepted(q), who)).rejects.toThrow(/simulated crash/);
    t.srv.sqlite.exec("drop trigger crash_once");
    expect(await resumeApplyingChanges(billing())).toEqual({ resumed: 1, expired: 0 });
    const sent = updates(a.subscriptionId);
    expect(new Set(sent.map((s) => s.idempotencyKey))).toEqual(new Set([`quote:${q.id}:apply`]));
    expect([t.double.executed.subscriptionUpdates, count(t, "invoices", a.accountId), planOf(t, a.accountId)]).toEqual([1, 1, "business"]);
  });

  it("a restart finishes a change left applying: the billing worker sends it again with the same key", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.srv.sqlite.exec(`create trigger crash_once before update of status on plan_changes when new.status = 'applied' begin select raise(abort, 'simulated crash'); end`);
    await expect(confirmPlanChange(billing(), a.accountId, accepted(q), who)).rejects.toThrow(/simulated crash/);
    t.srv.sqlite.exec("drop trigger crash_once");
    // Stop the server (keeping its database) and start another process's worth on the same file.
    await t.srv.started.stop();
    const runtime = await createRuntime({ config: t.srv.deps.config, clock, logger: createLogger("silent"), stripe: { timeoutMs: 400, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, workerIntervalMs: 3_600_000 } });
    const restarted = await startServer(runtime);
    try {
      await runtime.deps.stripe!.worker.runOnce();
      expect(sqliteHandle(runtime.database).prepare("select plan_id from accounts where id = ?").pluck().get(a.accountId)).toBe("business");
      expect(sqliteHandle(runtime.database).prepare("select count(*) from invoices where account_id = ?").pluck().get(a.accountId)).toBe(1);
    } finally {
      await restarted.stop();
    }
    expect(new Set(updates(a.subscriptionId).map((u) => u.idempotencyKey))).toEqual(new Set([`quote:${q.id}:apply`]));
    expect(t.double.executed.subscriptionUpdates).toBe(1);
  });

  it("a 500 Stripe saved for the key is replayed to the same key: Headroom re-reads, then sends once more under a key derived from what it read", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    const path = new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`);
    t.double.failNext("POST", path, { status: 500 });
    // The second key's answer is lost on the way (a timeout): retried with that key, replayed.
    t.double.failNext("POST", path, { hangAfterProcessing: true });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("applied");
    const sent = updates(a.subscriptionId);
    const key = `quote:${q.id}:apply`;
    expect(sent.map((s) => s.idempotencyKey)).toEqual([key, expect.stringMatching(new RegExp(`^${key}:after:[0-9a-f]{16}$`)), sent[1]!.idempotencyKey]);
    expect(sent.map((s) => s.replayed)).toEqual([false, false, true]);
    expect([t.double.executed.subscriptionUpdates, count(t, "invoices", a.accountId), planOf(t, a.accountId)]).toEqual([1, 1, "business"]);

    // The first key still answers with its saved 500 (Stripe-Should-Retry: false): a blind retry would have got only that.
    const replay = await t.stripe.subscriptions.update(a.subscriptionId, sent[0]!.params as Stripe.SubscriptionUpdateParams, { idempotencyKey: key }).catch((e: Stripe.errors.StripeError) => e);
    expect(replay).toMatchObject({ statusCode: 500, headers: { "idempotent-replayed": "true", "stripe-should-retry": "false" } });
    expect(t.double.executed.subscriptionUpdates).toBe(1);
  });

  it("a 500 after Stripe made the change: the re-read finds it made, and nothing is sent again", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.failNext("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`), { status: 500, effectApplied: true });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("applied");
    expect(updates(a.subscriptionId)).toHaveLength(1);
    expect([t.double.executed.subscriptionUpdates, planOf(t, a.accountId)]).toEqual([1, "business"]);
    // The invoice Stripe issued is mirrored from the re-read subscription.
    expect(t.srv.sqlite.prepare("select total_minor, status from invoices where account_id = ?").all(a.accountId)).toEqual([{ total_minor: 8500, status: "paid" }]);
  });

  it("Stripe-Should-Retry is honoured: true retries a 5xx Stripe did not save with the same key; false stops a 409 at once", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    const path = new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`);
    t.double.failNext("POST", path, { status: 503, saved: false, headers: { "stripe-should-retry": "true" } });
    expect((await confirmPlanChange(billing(), a.accountId, accepted(q), who)).status).toBe("applied");
    expect(new Set(updates(a.subscriptionId).map((s) => s.idempotencyKey))).toEqual(new Set([`quote:${q.id}:apply`]));
    expect(updates(a.subscriptionId)).toHaveLength(2);

    const b = await linkedAccount(t, clock, "starter", NOV);
    const qb = await previewPlanChangeWithProvider(billing(), { accountId: b.accountId, toPlanId: "business" });
    t.double.failNext("POST", new RegExp(`^/v1/subscriptions/${b.subscriptionId}$`), { status: 409, headers: { "stripe-should-retry": "false" }, error: { type: "invalid_request_error", message: "Conflict." } });
    await rejects(confirmPlanChange(billing(), b.accountId, accepted(qb), who), "PRECONDITION_FAILED");
    expect(updates(b.subscriptionId)).toHaveLength(1);
  });

  it("a change resumed more than a day later, when Stripe no longer remembers its key, is re-read and not made twice", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.srv.sqlite.exec(`create trigger crash_once before update of status on plan_changes when new.status = 'applied' begin select raise(abort, 'simulated crash'); end`);
    await expect(confirmPlanChange(billing(), a.accountId, accepted(q), who)).rejects.toThrow(/simulated crash/);
    t.srv.sqlite.exec("drop trigger crash_once");
    clock.advance(25 * 3_600_000);
    expect(t.double.remembers(`quote:${q.id}:apply`)).toBe(false);
    expect(await resumeApplyingChanges(billing())).toEqual({ resumed: 1, expired: 0 });
    expect(updates(a.subscriptionId)).toHaveLength(1);
    expect([t.double.executed.subscriptionUpdates, count(t, "invoices", a.accountId), planOf(t, a.accountId)]).toEqual([1, 1, "business"]);
  });

  it("honours a 429 and gives up on an outage without losing the consent (the change stays applying, retried later)", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.failNext("POST", /^\/v1\/invoices\/create_preview$/, { status: 429, headers: { "retry-after": "0" }, error: { type: "rate_limit_error", message: "Too many requests" } });
    t.double.failNext("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`), { hang: true }, 3);
    await expect(confirmPlanChange(billing(), a.accountId, accepted(q), who)).rejects.toThrow(/could not be reached/);
    expect(t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(a.accountId)).toBe("applying");
    expect(planOf(t, a.accountId)).toBe("starter");
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("applied");
    expect(new Set(updates(a.subscriptionId).map((s) => s.idempotencyKey))).toEqual(new Set([`quote:${q.id}:apply`]));
    expect(t.double.executed.subscriptionUpdates).toBe(1);
  });
});

describe("when the charge is not made", () => {
  it("a declined card under pending_if_incomplete is no 402: Stripe answers 200 with a pending update and an open invoice; the plan is unchanged and the quote not sent again", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.paymentFails = true;
    const e = await rejects(confirmPlanChange(billing(), a.accountId, accepted(q), who), "PRECONDITION_FAILED");
    expect(e.message).toContain("did not go through, so your plan is unchanged");
    expect(planOf(t, a.accountId)).toBe("starter");
    expect(t.double.subscription(a.subscriptionId)).toMatchObject({ pending_update: { expires_at: expect.any(Number) }, items: { data: [{ price: { lookup_key: basePriceKey("starter") } }] } });
    expect(t.double.invoices.get(t.double.subscription(a.subscriptionId).latest_invoice as string)).toMatchObject({ status: "open", amount_due: 8500 });
    const notice = t.srv.sqlite.prepare("select facts_json from notices where account_id = ? and kind = 'payment_failed'").pluck().get(a.accountId) as string;
    expect(JSON.parse(notice).text).toContain("did not go through");
    expect(updates(a.subscriptionId)).toHaveLength(1);
    await rejects(confirmPlanChange(billing(), a.accountId, accepted(q), who), "PRECONDITION_FAILED");
    expect(updates(a.subscriptionId)).toHaveLength(1);
    expect(t.double.executed.subscriptionUpdates).toBe(1);
  });

  it("a failed payment with pending_if_incomplete: the change stays pending; paid later, the webhook applies it", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.paymentFails = true;
    const e = await rejects(confirmPlanChange(billing(), a.accountId, accepted(q), who), "PRECONDITION_FAILED");
    expect(e.message).toMatch(/^The payment of \$85\.00 for your switch to the Business plan did not go through, so your plan is unchanged\./);
    expect(planOf(t, a.accountId)).toBe("starter");
    expect(t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(a.accountId)).toBe("payment_pending");
    expect(t.srv.sqlite.prepare("select status from invoices where account_id = ?").pluck().get(a.accountId)).toBe("open");

    // Stripe reports the failed attempt: the customer is told, the change stays pending.
    const invoiceId = t.double.subscription(a.subscriptionId).latest_invoice as string;
    expect((await postEvent(t, t.double.event("invoice.payment_failed", t.double.invoices.get(invoiceId)!))).status).toBe(200);
    expect(t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(a.accountId)).toBe("payment_pending");
    expect(t.srv.sqlite.prepare("select count(*) from notices where account_id = ? and kind = 'payment_failed'").pluck().get(a.accountId)).toBe(2);
    expect(planOf(t, a.accountId)).toBe("starter");

    // The customer pays the open invoice at Stripe: invoice.paid → the subscription (re-read) has the new price.
    const paid = t.double.payInvoice(invoiceId);
    expect((await postEvent(t, t.double.event("invoice.paid", paid))).status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("business");
    expect(t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(a.accountId)).toBe("applied");
    expect(t.srv.sqlite.prepare("select status from invoices where account_id = ?").all(a.accountId)).toEqual([{ status: "paid" }]);
    expect(t.double.executed.subscriptionUpdates).toBe(1);
  });

  it("a pending change nobody pays expires at Stripe: closed as failed, its invoice void, the customer told, nothing applied", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.paymentFails = true;
    await rejects(confirmPlanChange(billing(), a.accountId, accepted(q), who), "PRECONDITION_FAILED");
    const change = () => t.srv.sqlite.prepare("select status, failure_message as message from plan_changes where account_id = ?").get(a.accountId) as { status: string; message: string };
    expect(change().status).toBe("payment_pending");

    // 23 hours later Stripe voids the invoice and drops the update.
    const sub = t.double.expirePendingUpdate(a.subscriptionId);
    const event = t.double.event("customer.subscription.pending_update_expired", sub);
    expect((await postEvent(t, event)).status).toBe(200);
    expect(change()).toEqual({ status: "failed", message: expect.stringContaining("was not completed in time, so the switch was dropped: your plan is unchanged") });
    expect(t.srv.sqlite.prepare("select status from invoices where account_id = ?").all(a.accountId)).toEqual([{ status: "void" }]);
    expect(planOf(t, a.accountId)).toBe("starter");
    const told = t.srv.sqlite.prepare("select count(*) from notices where account_id = ? and kind = 'payment_failed'").pluck();
    expect(told.get(a.accountId)).toBe(2);

    // The same event again, or a later subscription update: nothing moves twice.
    expect((await postEvent(t, event)).status).toBe(200);
    expect((await postEvent(t, t.double.event("customer.subscription.updated", sub))).status).toBe(200);
    expect(told.get(a.accountId)).toBe(2);
    expect(change().status).toBe("failed");
    expect(t.double.executed.subscriptionUpdates).toBe(1);
  });

  it("a price that moved at Stripe since the consent is not charged: the customer is asked to consent again", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.previewAdjustMinor = 100;
    const e = await rejects(confirmPlanChange(billing(), a.accountId, accepted(q), who), "PRECONDITION_FAILED");
    expect(e.message).toContain("Stripe now asks $86.00 now instead of $85.00");
    expect(updates(a.subscriptionId)).toHaveLength(0);
    expect([planOf(t, a.accountId), t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(a.accountId)]).toEqual(["starter", "needs_consent"]);
  });

  it("a 4xx from Stripe is put in plain words", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    t.double.failNext("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`), { status: 400, error: { type: "invalid_request_error", message: "This subscription cannot be updated because it is canceled." } });
    const e = await rejects(confirmPlanChange(billing(), a.accountId, accepted(q), who), "PRECONDITION_FAILED");
    expect(e.message).toBe("Stripe could not make your switch to the Business plan (This subscription cannot be updated because it is canceled). Nothing was charged and your plan is unchanged.");
    expect(planOf(t, a.accountId)).toBe("starter");
  });
});

describe("no payment method yet: Stripe Checkout", () => {
  it("a Free customer's upgrade returns a checkout URL; the plan changes on checkout.session.completed, never before", async () => {
    const account = await createAccount(t.srv.deps.db, t.srv.deps.catalog, clock, { name: "Newco", email: "founder@newco.example", planId: "free" }, { billingAnchorMs: utc("2026-10-20T00:00:00Z") });
    const q = await previewPlanChangeWithProvider(billing(), { accountId: account.id, toPlanId: "starter" });
    expect(t.double.calls("POST", /create_preview/)).toHaveLength(0);
    expect(q).toMatchObject({ pricedBy: "local", amountDueNowMinor: 2900 });

    const r = await confirmPlanChange(billing(), account.id, accepted(q), who);
    expect(r.status).toBe("payment_required");
    expect(r.checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const [session] = t.double.calls("POST", /^\/v1\/checkout\/sessions$/);
    expect(session!.params).toMatchObject({ mode: "subscription", customer_email: "founder@newco.example", client_reference_id: account.id, line_items: [{ price: t.double.priceByKey(basePriceKey("starter")).id, quantity: "1" }], metadata: { headroom_plan_change_id: r.planChangeId } });
    expect(session!.idempotencyKey).toBe(`quote:${q.id}:apply`);
    // Confirming again returns the same page, no second session.
    expect((await confirmPlanChange(billing(), account.id, accepted(q), who)).checkoutUrl).toBe(r.checkoutUrl);
    expect(t.double.executed.checkoutSessions).toBe(1);
    // Abandoned so far: nothing changed.
    expect([planOf(t, account.id), count(t, "invoices", account.id)]).toEqual(["free", 0]);

    const sessionId = r.checkoutUrl!.split("/").pop()!;
    const done = t.double.completeCheckout(sessionId);
    expect((await postEvent(t, t.double.event("checkout.session.completed", done.session))).status).toBe(200);
    expect(planOf(t, account.id)).toBe("starter");
    const row = t.srv.sqlite.prepare("select stripe_customer_id, stripe_subscription_id, billing_anchor_ms from accounts where id = ?").get(account.id) as Record<string, unknown>;
    expect(row).toEqual({ stripe_customer_id: done.session.customer, stripe_subscription_id: done.subscription.id, billing_anchor_ms: utc("2026-11-16T00:00:00Z") });
    expect(t.srv.sqlite.prepare("select total_minor, status from invoices where account_id = ?").get(account.id)).toEqual({ total_minor: 2900, status: "paid" });
    expect(t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(account.id)).toBe("applied");
    // An "expired" for this session arriving late (or handled by another process) cannot close a paid change.
    expect((await postEvent(t, t.double.event("checkout.session.expired", { ...done.session, status: "expired" }))).status).toBe(200);
    expect(t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(account.id)).toBe("applied");
    expect(planOf(t, account.id)).toBe("starter");
  });

  it("an expired checkout closes the waiting change and changes nothing", async () => {
    const account = await createAccount(t.srv.deps.db, t.srv.deps.catalog, clock, { name: "Newco", email: "later@newco.example", planId: "free" });
    const q = await previewPlanChangeWithProvider(billing(), { accountId: account.id, toPlanId: "pro" });
    const r = await confirmPlanChange(billing(), account.id, accepted(q), who);
    const session = t.double.sessions.get(r.checkoutUrl!.split("/").pop()!)!;
    expect((await postEvent(t, t.double.event("checkout.session.expired", { ...session, status: "expired" }))).status).toBe(200);
    expect([planOf(t, account.id), t.srv.sqlite.prepare("select status from plan_changes where account_id = ?").pluck().get(account.id)]).toEqual(["free", "cancelled"]);
  });
});

describe("downgrades at the period end through a subscription schedule", () => {
  it("schedules the next phase, can be cancelled (schedule released), and applies when Stripe moves the subscription", async () => {
    const a = await linkedAccount(t, clock, "business", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" });
    expect(q).toMatchObject({ timing: "period_end", amountDueNowMinor: 0, pricedBy: "local" });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("scheduled");
    const [created] = t.double.calls("POST", /^\/v1\/subscription_schedules$/);
    expect(created!.params).toEqual({ from_subscription: a.subscriptionId });
    const [phases] = t.double.calls("POST", /^\/v1\/subscription_schedules\/sub_sched_\d+$/);
    expect(phases!.params).toMatchObject({
      end_behavior: "release",
      phases: [
        { items: [{ price: t.double.priceByKey(basePriceKey("business")).id, quantity: "1" }], end_date: String(NOV.endMs / 1000) },
        { items: [{ price: t.double.priceByKey(basePriceKey("starter")).id, quantity: "1" }], duration: { interval: "month", interval_count: "1" } },
      ],
    });
    expect(planOf(t, a.accountId)).toBe("business");

    await cancelScheduledChangeWithProvider(billing(), a.accountId, r.planChangeId);
    expect(t.double.calls("POST", /\/release$/)).toHaveLength(1);
    expect(t.srv.sqlite.prepare("select status from plan_changes where id = ?").pluck().get(r.planChangeId)).toBe("cancelled");

    // Again, and this time the period ends: Stripe moves the subscription; the webhook follows it.
    const q2 = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" });
    const r2 = await confirmPlanChange(billing(), a.accountId, accepted(q2), who);
    clock.set(NOV.endMs + 1000);
    t.double.endPeriod(a.subscriptionId);
    // Stripe keeps the schedule active through its last phase: the subscription moves, the schedule is updated, not released.
    const events = t.double.takeEvents();
    expect(events.map((e) => e.type)).toEqual(["customer.subscription.updated", "subscription_schedule.updated"]);
    expect(events[1]!.data.object).toMatchObject({ status: "active", current_phase: { start_date: NOV.endMs / 1000 } });
    for (const e of events) expect((await postEvent(t, e)).status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("starter");
    expect(t.srv.sqlite.prepare("select status from plan_changes where id = ?").pluck().get(r2.planChangeId)).toBe("applied");
    expect(t.srv.deps.meter.limitsFor(a.accountId).limits.find((l) => l.window === "minute")!.limit).toBe(60);

    // The last phase ends: released, the subscription goes on by itself on Starter.
    clock.set(utc("2026-12-31T00:00:01Z"));
    t.double.endPeriod(a.subscriptionId);
    const later = t.double.takeEvents();
    expect(later.map((e) => e.type)).toEqual(["subscription_schedule.released", "customer.subscription.updated"]);
    for (const e of later) expect((await postEvent(t, e)).status).toBe(200);
    expect([planOf(t, a.accountId), t.double.subscription(a.subscriptionId).schedule]).toEqual(["starter", null]);
  });

  it("a second downgrade while the schedule still runs its last phase: the existing schedule is read and its phases replaced, metered items without a quantity", async () => {
    const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    const r1 = await confirmPlanChange(billing(), a.accountId, accepted(await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" })), who);
    expect(r1.status).toBe("scheduled");
    // The enterprise metered item is a phase item with a price and no quantity.
    const [first] = t.double.calls("POST", /^\/v1\/subscription_schedules\/sub_sched_\d+$/);
    expect(first!.params.phases[0].items).toEqual([{ price: t.double.priceByKey(basePriceKey("enterprise")).id, quantity: "1" }, { price: t.double.priceByKey(meteredPriceKey("enterprise")).id }]);
    clock.set(NOV.endMs + 1000);
    t.double.endPeriod(a.subscriptionId);
    for (const e of t.double.takeEvents()) expect((await postEvent(t, e)).status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("business");

    t.double.clearRequests();
    const r2 = await confirmPlanChange(billing(), a.accountId, accepted(await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" })), who);
    expect(r2.status).toBe("scheduled");
    // No second schedule: the one running is retrieved, and its current phase keeps its start.
    expect(t.double.calls("POST", /^\/v1\/subscription_schedules$/)).toHaveLength(0);
    const scheduleId = t.double.subscription(a.subscriptionId).schedule as string;
    expect(t.double.calls("GET", new RegExp(`^/v1/subscription_schedules/${scheduleId}$`)).length).toBeGreaterThan(0);
    const [update] = t.double.calls("POST", new RegExp(`^/v1/subscription_schedules/${scheduleId}$`));
    // Business bills no usage: its phase dropped Enterprise's metered item.
    expect(update!.params.phases[0]).toMatchObject({ start_date: String(NOV.endMs / 1000), items: [{ price: t.double.priceByKey(basePriceKey("business")).id, quantity: "1" }] });
    expect(update!.params.phases[1].items[0]).toEqual({ price: t.double.priceByKey(basePriceKey("starter")).id, quantity: "1" });
  });

  it("an upgrade replaces a scheduled downgrade: the schedule is released first, and the customer told", async () => {
    const a = await linkedAccount(t, clock, "business", NOV);
    const down = await confirmPlanChange(billing(), a.accountId, accepted(await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" })), who);
    expect(down.status).toBe("scheduled");
    const up = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "enterprise" });
    expect((await confirmPlanChange(billing(), a.accountId, accepted(up), who)).status).toBe("applied");
    const released = t.double.calls("POST", /\/release$/);
    expect(released).toHaveLength(1);
    expect(released[0]!.idempotencyKey).toBe(`plan_change:${down.planChangeId}:cancel`);
    // Released before the upgrade was sent: one waiting change per account, at Stripe as here.
    expect(t.double.requests.indexOf(released[0]!)).toBeLessThan(t.double.requests.indexOf(updates(a.subscriptionId).at(-1)!));
    expect(t.srv.sqlite.prepare("select status from plan_changes where id = ?").pluck().get(down.planChangeId)).toBe("cancelled");
    const told = t.srv.sqlite.prepare("select facts_json from notices where account_id = ? and dedupe_key like ?").pluck().get(a.accountId, `%${down.planChangeId}:replaced`) as string;
    expect(JSON.parse(told).title).toBe("Your scheduled switch to Starter was cancelled");
    // Enterprise brings its metered price along.
    expect(updates(a.subscriptionId).at(-1)!.params.items).toEqual([{ id: a.itemId, price: t.double.priceByKey(basePriceKey("enterprise")).id }, { price: t.double.priceByKey(meteredPriceKey("enterprise")).id }]);
    expect(planOf(t, a.accountId)).toBe("enterprise");
  });

  it("to Free: cancel at period end, withdrawn on cancel", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "free" });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("scheduled");
    expect(updates(a.subscriptionId).map((u) => u.params)).toEqual([{ cancel_at_period_end: "true" }]);
    await cancelScheduledChangeWithProvider(billing(), a.accountId, r.planChangeId);
    expect(updates(a.subscriptionId).map((u) => u.params)).toEqual([{ cancel_at_period_end: "true" }, { cancel_at_period_end: "false" }]);
    expect(planOf(t, a.accountId)).toBe("starter");
  });
});

describe("the portal's tRPC contract with Stripe", () => {
  it("preview and confirm keep their shapes; a declined card is a 412 with the plain words; Checkout adds checkoutUrl", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const customer = await PortalClient.signIn(t.srv, a.accountId);
    const quote = (await customer.mutate<{ id: string; amountDueNowMinor: number; recurringMinor: number; currency: string; lines: unknown[]; consentText: string }>("billing.previewPlanChange", { toPlanId: "business" })).data!;
    expect(quote).toMatchObject({ amountDueNowMinor: 8500, recurringMinor: 19_900, currency: "USD" });
    expect(quote.lines).toHaveLength(2);
    // A decline under pending_if_incomplete: a 200 with a pending update at Stripe, a 412 with plain words here.
    t.double.paymentFails = true;
    const declined = await customer.mutate("billing.confirm", confirmationFor(quote));
    expect(declined.status).toBe(412);
    expect(declined.error!.message).toContain("The payment of $85.00 for your switch to the Business plan did not go through, so your plan is unchanged.");
    t.double.paymentFails = false;

    const free = await createAccount(t.srv.deps.db, t.srv.deps.catalog, clock, { name: "Newco", email: "trpc@newco.example", planId: "free" });
    const newco = await PortalClient.signIn(t.srv, free.id);
    const q = (await newco.mutate<{ id: string; amountDueNowMinor: number; recurringMinor: number; currency: string; consentText: string }>("billing.previewPlanChange", { toPlanId: "starter" })).data!;
    const confirmed = await newco.mutate<{ status: string; checkoutUrl: string; planChangeId: string }>("billing.confirm", confirmationFor(q));
    expect(confirmed.data).toMatchObject({ status: "payment_required", checkoutUrl: expect.stringMatching(/^https:\/\/checkout\.stripe\.test\//) });
    expect(planOf(t, free.id)).toBe("free");
  });
});

describe("approvals and overage through Stripe", () => {
  it("an approved change over the billing cap is applied at Stripe with the consented quote", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    billing().billingCapMinor = 10_000;
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "business" });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("pending_approval");
    expect(updates(a.subscriptionId)).toHaveLength(0);
    const request = t.srv.sqlite.prepare("select id from approval_requests where account_id = ?").pluck().get(a.accountId) as string;
    // Approved in the same second: Stripe's price now is the one consented to.
    expect((await decideApproval(billing(), { requestId: request, approve: true }, "op")).status).toBe("approved");
    await expect.poll(() => planOf(t, a.accountId)).toBe("business");
    const [update] = updates(a.subscriptionId);
    expect(update!.params.proration_date).toBe(String(utc("2026-11-16T00:00:00Z") / 1000));
    expect(update!.idempotencyKey).toBe(`quote:${q.id}:apply`);
    expect(t.srv.sqlite.prepare("select total_minor from invoices where account_id = ?").pluck().get(a.accountId)).toBe(8500);
  });

  it("overage opt-in adds the metered price to the subscription once", async () => {
    const a = await linkedAccount(t, clock, "pro", NOV);
    const q = await previewOverageChange(t.srv.deps.billing, { accountId: a.accountId, optIn: true });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("applied");
    const [item] = t.double.calls("POST", /^\/v1\/subscription_items$/);
    expect(item!.params).toEqual({ subscription: a.subscriptionId, price: t.double.priceByKey(meteredPriceKey("pro")).id });
    expect(item!.idempotencyKey).toBe(`quote:${q.id}:apply`);
    expect(t.srv.deps.meter.limitsFor(a.accountId).limits.find((l) => l.window === "month")!.limit).toBeNull();
  });
});
