import DodoPayments from "dodopayments";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DodoDouble } from "./dodo-double";

const DAY = 86_400_000;
let double: DodoDouble;
let dodo: DodoPayments;
let now: number;

beforeEach(async () => {
  now = Math.floor(Date.now() / 1000) * 1000;
  double = new DodoDouble(() => now);
  dodo = new DodoPayments({ bearerToken: "dodo_test", baseURL: await double.start(), maxRetries: 0, timeout: 2_000 });
});
afterEach(() => double.stop());

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof DodoPayments.APIError && typeof err.status === "number") return err.status;
    throw err;
  }
}

function subscribed() {
  const starter = double.createProduct({ name: "Starter", price: 2900, metadata: {} });
  const business = double.createProduct({ name: "Business", price: 19900, metadata: {} });
  const customer = double.createCustomer("a@example.com");
  const sub = double.createSubscription(customer.customer_id, starter.product_id, { startMs: now - 10 * DAY, endMs: now + 20 * DAY });
  return { starter, business, customer, sub };
}

describe("the Dodo double refuses what Dodo refuses", () => {
  it("an unknown field in a change, and a change on a subscription that is not active (422)", async () => {
    const { business, sub } = subscribed();
    const body = { product_id: business.product_id, quantity: 1, proration_billing_mode: "prorated_immediately" as const };
    // The SDK sends what it is given: a field Dodo does not know reaches the double and is refused.
    expect(await status(dodo.subscriptions.changePlan(sub.subscription_id, { ...body, proration_date: 123 } as never))).toBe(422);
    double.setStatus(sub.subscription_id, "on_hold");
    expect(await status(dodo.subscriptions.changePlan(sub.subscription_id, body))).toBe(422);
    expect(await status(dodo.subscriptions.previewChangePlan(sub.subscription_id, body))).toBe(422);
    expect(double.changes).toHaveLength(0);
  });

  it("more than 1,000 events, a duplicate event_id in one request, an event outside the timestamp window (422); a resent id counts once", async () => {
    const { customer } = subscribed();
    const ev = (i: number, at = now) => ({ event_id: `e${i}`, customer_id: customer.customer_id, event_name: "api", timestamp: new Date(at).toISOString() });
    expect(await status(dodo.usageEvents.ingest({ events: Array.from({ length: 1_001 }, (_, i) => ev(i)) }))).toBe(422);
    expect(await status(dodo.usageEvents.ingest({ events: [ev(1), ev(1)] }))).toBe(422);
    expect(await status(dodo.usageEvents.ingest({ events: [ev(2, now - 2 * 3_600_000)] }))).toBe(422);
    expect(await status(dodo.usageEvents.ingest({ events: [ev(3, now + 3_600_000)] }))).toBe(422);
    expect(double.events.size).toBe(0);
    expect(await dodo.usageEvents.ingest({ events: [ev(1), ev(2)] })).toEqual({ ingested_count: 2 });
    expect(await dodo.usageEvents.ingest({ events: [ev(1), ev(4)] })).toEqual({ ingested_count: 1 });
    expect(double.events.size).toBe(3);
  });

  it("prices the three proration modes, and keeps the plan when a declined payment must prevent the change", async () => {
    const { business, sub } = subscribed();
    const preview = (mode: "prorated_immediately" | "difference_immediately" | "full_immediately") => dodo.subscriptions.previewChangePlan(sub.subscription_id, { product_id: business.product_id, quantity: 1, proration_billing_mode: mode });
    // Two thirds of the period left.
    expect((await preview("prorated_immediately")).immediate_charge.summary).toMatchObject({ total_amount: 13267 - 1933, customer_credits: -1933 });
    expect((await preview("difference_immediately")).immediate_charge.summary).toMatchObject({ total_amount: 17000, customer_credits: -2900 });
    expect((await preview("full_immediately")).immediate_charge.summary).toMatchObject({ total_amount: 19900, customer_credits: 0 });
    double.declineNext(sub.subscription_id);
    const answer = await dodo.subscriptions.changePlan(sub.subscription_id, { product_id: business.product_id, quantity: 1, proration_billing_mode: "prorated_immediately", on_payment_failure: "prevent_change" });
    expect((await dodo.payments.retrieve(answer.payment_id!)).status).toBe("failed");
    expect((await dodo.subscriptions.retrieve(sub.subscription_id)).product_id).toBe(sub.product_id);
    // A second change while one waits for its payment: 409.
    expect(await status(dodo.subscriptions.changePlan(sub.subscription_id, { product_id: business.product_id, quantity: 1, proration_billing_mode: "prorated_immediately" }))).toBe(409);
  });

  it("signs webhooks that the SDK's unwrap accepts, and the SDK refuses another key's", async () => {
    const hook = double.webhook("subscription.active", { subscription_id: "sub_1" });
    expect(dodo.webhooks.unwrap(hook.body, { headers: hook.headers, key: double.webhookKey })).toMatchObject({ type: "subscription.active" });
    const other = new DodoDouble().webhookKey;
    expect(() => dodo.webhooks.unwrap(hook.body, { headers: hook.headers, key: other })).toThrow();
  });
});
