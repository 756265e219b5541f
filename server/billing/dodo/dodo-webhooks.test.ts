import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { confirmationFor } from "../../../shared/consent";
import { ManualClock } from "../../lib/clock";
import { confirmPlanChange } from "../plan-change";
import { previewPlanChangeWithProvider } from "../quote";
import { dodoAccount, planOfAccount, postDodoWebhook, startDodoTest, type DodoTest } from "../../testing/dodo-harness";

const DAY = 86_400_000;
let clock: ManualClock;
let t: DodoTest;
let period: { startMs: number; endMs: number };

beforeEach(async () => {
  // Webhook timestamps are checked against the wall clock by the SDK (Standard Webhooks, 5 minutes).
  clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  period = { startMs: clock.now() - 15 * DAY, endMs: clock.now() + 15 * DAY };
  t = await startDodoTest(clock);
});
afterEach(() => t.stop());

const stored = () => t.sqlite.prepare("select count(*) from stripe_events where id like 'dodo:%'").pluck().get() as number;
const audits = (accountId: string) => t.sqlite.prepare("select count(*) from audit_log where account_id = ? and action = 'dodo.plan_changed'").pluck().get(accountId) as number;
const notices = (accountId: string, kind: string) => t.sqlite.prepare("select facts_json from notices where account_id = ? and kind = ?").pluck().all(accountId, kind) as string[];
/** A change made in Dodo's dashboard: the subscription moves to another product. */
const moveAtDodo = (subscriptionId: string, productId: string) => {
  const sub = t.double.subscriptions.get(subscriptionId)!;
  sub.product_id = productId;
};

describe("POST /webhooks/dodo", () => {
  it("refuses a forged, a stale and an unsigned webhook with 400, and nothing changes", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    moveAtDodo(a.subscriptionId, t.products.business);
    const payload = t.double.subscriptionPayload(a.subscriptionId);
    const forged = t.double.webhook("subscription.plan_changed", payload, { key: `whsec_${Buffer.from("not the key").toString("base64")}` });
    const stale = t.double.webhook("subscription.plan_changed", payload, { timestampS: Math.floor(clock.now() / 1000) - 600 });
    const unsigned = t.double.webhook("subscription.plan_changed", payload);
    delete unsigned.headers["webhook-signature"];
    for (const hook of [forged, stale]) expect(await postDodoWebhook(t, hook)).toMatchObject({ status: 400, body: { title: "Invalid signature" } });
    expect(await postDodoWebhook(t, unsigned)).toMatchObject({ status: 400, body: { title: "Missing signature" } });
    expect([stored(), planOfAccount(t, a.accountId), t.double.calls("GET", /^\/subscriptions\//).length]).toEqual([0, "starter", 0]);
  });

  it("a replayed webhook (the same webhook-id) has no effect twice", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    moveAtDodo(a.subscriptionId, t.products.business);
    const hook = t.double.webhook("subscription.plan_changed", t.double.subscriptionPayload(a.subscriptionId));
    expect(await postDodoWebhook(t, hook)).toMatchObject({ status: 200, body: { result: "processed" } });
    expect(await postDodoWebhook(t, hook)).toMatchObject({ status: 200, body: { result: "duplicate" } });
    expect([planOfAccount(t, a.accountId), audits(a.accountId), stored(), notices(a.accountId, "plan_changed").length]).toEqual(["business", 1, 1, 1]);
  });

  it("out of order: a late webhook with an older snapshot cannot move the account back (the subscription is re-read)", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    moveAtDodo(a.subscriptionId, t.products.pro);
    const older = t.double.webhook("subscription.plan_changed", t.double.subscriptionPayload(a.subscriptionId));
    moveAtDodo(a.subscriptionId, t.products.business);
    const newer = t.double.webhook("subscription.plan_changed", t.double.subscriptionPayload(a.subscriptionId));
    expect((await postDodoWebhook(t, newer)).body.result).toBe("processed");
    expect((await postDodoWebhook(t, older)).body.result).toBe("processed");
    // The older delivery re-read Dodo (business), so it changed nothing: one plan change, followed once.
    expect([planOfAccount(t, a.accountId), audits(a.accountId)]).toEqual(["business", 1]);
  });

  it("payment.failed of a renewal tells the customer once, with the portal link", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    t.double.payments.set("pay_renewal", { payment_id: "pay_renewal", subscription_id: a.subscriptionId, total_amount: 2900, currency: "USD", status: "failed", error_message: "Insufficient funds." });
    const failed = t.double.webhook("payment.failed", { payload_type: "Payment", payment_id: "pay_renewal", subscription_id: a.subscriptionId, status: "failed" });
    await postDodoWebhook(t, failed);
    await postDodoWebhook(t, failed);
    const told = notices(a.accountId, "payment_failed");
    expect(told).toHaveLength(1);
    expect(told[0]).toContain("The payment of $29.00 did not go through. Your plan is unchanged");
    expect(told[0]).toContain(`/portal/${a.customerId}`);
    expect(planOfAccount(t, a.accountId)).toBe("starter");
  });

  it("a declined plan change is told once (with the change), not again by its payment.failed", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    const q = await previewPlanChangeWithProvider(t.deps.billing, { accountId: a.accountId, toPlanId: "business" });
    t.double.declineNext(a.subscriptionId);
    await expect(confirmPlanChange(t.deps.billing, a.accountId, confirmationFor(q), { signedInAs: "x@example.com", ip: null, userAgent: null })).rejects.toThrow(/did not go through/);
    const payment = [...t.double.payments.values()][0]!;
    await postDodoWebhook(t, t.double.webhook("payment.failed", { payload_type: "Payment", payment_id: payment.payment_id, subscription_id: a.subscriptionId, status: "failed" }));
    const told = notices(a.accountId, "payment_failed");
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`/portal/${a.customerId}`);
  });

  it("subscription.on_hold tells the customer only while Dodo still holds the subscription", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    // Delivered after the subscription was active again: nothing to tell.
    await postDodoWebhook(t, t.double.webhook("subscription.on_hold", { ...t.double.subscriptionPayload(a.subscriptionId), status: "on_hold" }));
    expect(notices(a.accountId, "payment_failed")).toHaveLength(0);
    t.double.setStatus(a.subscriptionId, "on_hold");
    await postDodoWebhook(t, t.double.webhook("subscription.on_hold", t.double.subscriptionPayload(a.subscriptionId)));
    expect(notices(a.accountId, "payment_failed")).toHaveLength(1);
    expect(planOfAccount(t, a.accountId)).toBe("starter");
  });

  it("a cancelled subscription leaves the account on the free plan", async () => {
    const a = await dodoAccount(t, clock, "starter", period);
    t.double.setStatus(a.subscriptionId, "cancelled");
    await postDodoWebhook(t, t.double.webhook("subscription.cancelled", t.double.subscriptionPayload(a.subscriptionId)));
    expect(planOfAccount(t, a.accountId)).toBe("free");
    expect(t.sqlite.prepare("select stripe_subscription_id from accounts where id = ?").pluck().get(a.accountId)).toBeNull();
  });

  it("answers 404 problem+json when no webhook key is configured", async () => {
    await t.stop();
    t = await startDodoTest(clock, { webhookKey: null });
    const res = await fetch(`${t.url}/webhooks/dodo`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});
