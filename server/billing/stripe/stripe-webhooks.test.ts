import { createHmac } from "node:crypto";
import Stripe from "stripe";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock";
import { basePriceKey } from "./stripe-catalog";
import { linkedAccount, planOf, postEvent, startStripeTest, WEBHOOK_SECRET, type StripeTest } from "../../testing/stripe-harness";

const utc = (s: string) => Date.parse(s);
const NOV = { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") };
let clock: ManualClock;
let t: StripeTest;

beforeEach(async () => {
  clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
  t = await startStripeTest(clock);
});
afterEach(() => t.stop());

const events = () => t.srv.sqlite.prepare("select count(*) from stripe_events").pluck().get() as number;
const nowS = () => Math.floor(clock.now() / 1000);

/** Moves the double's subscription to another plan's price, as a change made at Stripe would. */
function movePrice(subscriptionId: string, planId: "starter" | "business" | "pro") {
  const sub = t.double.subscriptions.get(subscriptionId)!;
  sub.items[0].price = t.double.priceByKey(basePriceKey(planId)).id;
  return t.double.subscription(subscriptionId);
}

describe("POST /webhooks/stripe signatures", () => {
  it("refuses a forged signature with 400 and changes nothing", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const event = t.double.event("customer.subscription.updated", movePrice(a.subscriptionId, "business"));
    expect((await postEvent(t, event, { secret: "whsec_somebody_else" })).status).toBe(400);
    const payload = JSON.stringify(event);
    const tampered = `t=${nowS()},v1=${createHmac("sha256", WEBHOOK_SECRET).update(`${nowS()}.${payload}x`).digest("hex")}`;
    expect((await postEvent(t, event, { header: tampered })).status).toBe(400);
    expect((await postEvent(t, event, { header: "garbage" })).status).toBe(400);
    expect([events(), planOf(t, a.accountId)]).toEqual([0, "starter"]);
  });

  it("refuses a signature older than 300 s or further than 300 s ahead", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const event = t.double.event("customer.subscription.updated", movePrice(a.subscriptionId, "business"));
    expect((await postEvent(t, event, { timestampS: nowS() - 301 })).status).toBe(400);
    expect((await postEvent(t, event, { timestampS: nowS() + 301 })).status).toBe(400);
    expect([events(), planOf(t, a.accountId)]).toEqual([0, "starter"]);
    expect((await postEvent(t, event, { timestampS: nowS() - 299 })).status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("business");
  });

  it("accepts either of two v1 signatures during a secret rotation", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const event = t.double.event("customer.subscription.updated", movePrice(a.subscriptionId, "business"));
    const payload = JSON.stringify(event);
    const sign = (secret: string) => createHmac("sha256", secret).update(`${nowS()}.${payload}`).digest("hex");
    const res = await postEvent(t, event, { header: `t=${nowS()},v1=${sign("whsec_the_old_secret")},v1=${sign(WEBHOOK_SECRET)}` });
    expect(res.status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("business");
  });

  it("answers 404 when no webhook secret is configured", async () => {
    await t.stop();
    t = await startStripeTest(clock, { webhookSecret: null });
    expect((await postEvent(t, t.double.event("invoice.paid", { id: "in_x" }))).status).toBe(404);
  });
});

describe("each event once, in Stripe's current order", () => {
  it("a replayed event is processed once", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    // A failed renewal: the customer is told once, however often Stripe delivers it.
    const sub = t.double.subscriptions.get(a.subscriptionId)!;
    const inv = { id: "in_failed_1", object: "invoice", customer: a.customerId, currency: "usd", status: "open", billing_reason: "subscription_cycle", total: 2900, amount_due: 2900, amount_paid: 0, attempt_count: 1, next_payment_attempt: nowS() + 3 * 86_400, period_start: nowS(), period_end: nowS(), parent: { type: "subscription_details", subscription_details: { subscription: sub.id } }, lines: { object: "list", data: [], has_more: false } };
    t.double.invoices.set(inv.id, inv);
    const event = t.double.event("invoice.payment_failed", inv);
    expect((await postEvent(t, event)).body.result).toBe("processed");
    expect((await postEvent(t, event)).body.result).toBe("duplicate");
    const notices = t.srv.sqlite.prepare("select facts_json from notices where account_id = ? and kind = 'payment_failed'").pluck().all(a.accountId) as string[];
    expect(notices).toHaveLength(1);
    expect(JSON.parse(notices[0]!).text).toMatch(/^The payment of \$29\.00 for invoice HR-\d{6} did not go through\. Your plan is unchanged/);
    expect(t.srv.sqlite.prepare("select count(*) from invoices where account_id = ? and status = 'open'").pluck().get(a.accountId)).toBe(1);
    expect([events(), planOf(t, a.accountId)]).toEqual([1, "starter"]);
  });

  it("a paid renewal more than twice the last one is an anomaly, recorded and told once", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const sub = t.double.subscriptions.get(a.subscriptionId)!;
    const day = 86_400;
    const renewal = (id: string, total: number, startS: number) => ({
      id, object: "invoice", customer: a.customerId, currency: "usd", status: "paid", billing_reason: "subscription_cycle", total, amount_due: total, amount_paid: total, attempt_count: 1,
      period_start: startS, period_end: startS + 30 * day, parent: { type: "subscription_details", subscription_details: { subscription: sub.id } }, lines: { object: "list", data: [], has_more: false },
    });
    const start = nowS();
    const anomalies = t.srv.sqlite.prepare("select previous_total_minor as previous, total_minor as total from anomalies where account_id = ?");
    const told = t.srv.sqlite.prepare("select count(*) from notices where account_id = ? and kind = 'anomaly'").pluck();
    for (const [id, total, at] of [["in_renew_1", 2_900, start], ["in_renew_2", 5_800, start + 30 * day]] as const) {
      t.double.invoices.set(id, renewal(id, total, at));
      expect((await postEvent(t, t.double.event("invoice.paid", t.double.invoices.get(id)!))).status).toBe(200);
    }
    // Exactly twice the last one is not an anomaly; more than twice is.
    expect(anomalies.all(a.accountId)).toEqual([]);
    t.double.invoices.set("in_renew_3", renewal("in_renew_3", 59_900, start + 60 * day));
    const event = t.double.event("invoice.paid", t.double.invoices.get("in_renew_3")!);
    expect((await postEvent(t, event)).status).toBe(200);
    expect(anomalies.all(a.accountId)).toEqual([{ previous: 5_800, total: 59_900 }]);
    expect(told.get(a.accountId)).toBe(1);
    // The same invoice again (a replay under a new event id): still one.
    expect((await postEvent(t, t.double.event("invoice.paid", t.double.invoices.get("in_renew_3")!))).status).toBe(200);
    expect([anomalies.all(a.accountId).length, told.get(a.accountId)]).toEqual([1, 1]);
  });

  it("two subscription events out of order cannot move the account back: the subscription is re-read", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const older = t.double.event("customer.subscription.updated", movePrice(a.subscriptionId, "business"), nowS() - 60);
    const newer = t.double.event("customer.subscription.updated", movePrice(a.subscriptionId, "pro"), nowS() - 30);
    expect((await postEvent(t, newer)).status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("pro");
    expect((await postEvent(t, older)).status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("pro");
    expect(t.srv.deps.meter.limitsFor(a.accountId).limits.find((l) => l.window === "month")!.limit).toBe(10_000);
  });

  it("a late 'updated' after 'deleted' leaves the account on Free", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const updated = t.double.event("customer.subscription.updated", t.double.subscription(a.subscriptionId), nowS() - 60);
    t.double.subscriptions.get(a.subscriptionId)!.status = "canceled";
    const deleted = t.double.event("customer.subscription.deleted", t.double.subscription(a.subscriptionId), nowS() - 10);
    expect((await postEvent(t, deleted)).status).toBe(200);
    expect((await postEvent(t, updated)).status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("free");
    expect(t.srv.sqlite.prepare("select stripe_subscription_id from accounts where id = ?").pluck().get(a.accountId)).toBeNull();
  });

  it("an event Stripe cannot be asked about is not stored, so Stripe's redelivery is processed", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    const event = t.double.event("customer.subscription.updated", movePrice(a.subscriptionId, "business"));
    t.double.failNext("GET", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`), { status: 503 }, 3);
    expect((await postEvent(t, event)).status).toBe(500);
    expect([events(), planOf(t, a.accountId)]).toEqual([0, "starter"]);
    expect((await postEvent(t, event)).body.result).toBe("processed");
    expect(planOf(t, a.accountId)).toBe("business");
  });
});

describe("events at the endpoint's API version", () => {
  it("an endpoint on an older API version sends older payloads: only ids are read from them, the objects are re-read at the SDK's version", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV);
    t.double.endpointApiVersion = "2024-06-20";
    const moved = movePrice(a.subscriptionId, "business");
    // Before 2025-03-31 an item carried no period of its own and the subscription did: the payload is not what the SDK's types say.
    const { items: _items, ...older } = moved;
    void _items;
    const event = t.double.event("customer.subscription.updated", { ...older, current_period_start: NOV.startMs / 1000, current_period_end: NOV.endMs / 1000, plan: { id: "legacy" } });
    expect(event.api_version).toBe("2024-06-20");
    t.double.clearRequests();
    expect((await postEvent(t, event)).status).toBe(200);
    expect(planOf(t, a.accountId)).toBe("business");
    const [read] = t.double.calls("GET", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`));
    expect(read!.stripeVersion).toBe(Stripe.API_VERSION);
  });
});
