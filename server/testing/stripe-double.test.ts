import Stripe from "stripe";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../lib/clock";
import { createStripeClient } from "../billing/stripe/stripe-client";
import { lineAmountMinor, StripeDouble, sumDecimals } from "./stripe-double";

const utc = (s: string) => Date.parse(s);
let clock: ManualClock;
let double: StripeDouble;
let stripe: Stripe;

beforeEach(async () => {
  clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
  double = await StripeDouble.start(clock);
  stripe = createStripeClient("sk_test_headroom", { apiBase: double.url, timeoutMs: 1_000 });
});
afterEach(() => double.stop());

/** The error a call ends with (the test fails if it succeeds). */
async function failure(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  const outcome = await p.then(
    () => null,
    (e: unknown) => e as Stripe.errors.StripeError,
  );
  if (!outcome) throw new Error("expected the call to fail");
  return outcome;
}

describe("idempotent requests, as Stripe keeps them", () => {
  it("a 500 during execution is saved for its key and replayed, with Stripe-Should-Retry: false and Idempotent-Replayed: true", async () => {
    double.failNext("POST", /^\/v1\/customers$/, { status: 500 });
    const first = await failure(stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" }));
    expect(first).toMatchObject({ statusCode: 500, headers: { "stripe-should-retry": "false" } });
    const again = await failure(stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" }));
    expect(again).toMatchObject({ statusCode: 500, headers: { "stripe-should-retry": "false", "idempotent-replayed": "true" } });
    expect(double.customers.size).toBe(0);
    // Another key runs fresh.
    expect((await stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k2" })).id).toMatch(/^cus_/);
  });

  it("a 429 and a refusal before execution are not saved: the same key runs fresh afterwards", async () => {
    double.failNext("POST", /^\/v1\/customers$/, { status: 429, error: { type: "rate_limit_error", message: "Too many requests" } });
    expect((await failure(stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" }))).statusCode).toBe(429);
    const created = await stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" });
    expect(created.id).toMatch(/^cus_/);
    // The same key with other parameters is refused.
    expect(await failure(stripe.customers.create({ email: "b@example.com" }, { idempotencyKey: "k1" }))).toMatchObject({ statusCode: 400, type: "StripeIdempotencyError" });
  });

  it("keys are forgotten after 24 hours of the double's clock: the same key then runs again", async () => {
    const one = await stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" });
    clock.advance(23 * 3_600_000);
    expect((await stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" })).id).toBe(one.id);
    expect(double.remembers("k1")).toBe(true);
    clock.advance(3_600_000);
    expect(double.remembers("k1")).toBe(false);
    const two = await stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" });
    expect(two.id).not.toBe(one.id);
    expect(double.customers.size).toBe(2);
  });

  it("a 500 with effectApplied leaves the work done, and still replays the 500", async () => {
    double.failNext("POST", /^\/v1\/customers$/, { status: 500, effectApplied: true });
    await failure(stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" }));
    expect(double.customers.size).toBe(1);
    expect((await failure(stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "k1" }))).statusCode).toBe(500);
    expect(double.customers.size).toBe(1);
  });
});

describe("request validation, with Stripe's error shape", () => {
  /** A product, a monthly price with a lookup key, a customer and a subscription on it. */
  async function fixtures() {
    await stripe.products.create({ id: "prod_a", name: "A" });
    const price = await stripe.prices.create({ product: "prod_a", currency: "usd", unit_amount: 1_000, lookup_key: "a_monthly", recurring: { interval: "month" } });
    const c = double.createCustomer("a@example.com");
    const sub = double.createSubscription(c.id, ["a_monthly"], { startS: double.nowS(), endS: double.nowS() + 30 * 86_400 });
    return { price, sub };
  }
  const raw = (e: Stripe.errors.StripeError) => ({ status: e.statusCode, ...(e.raw as { type?: string; code?: string; param?: string; message?: string }) });

  it("an unknown parameter", async () => {
    const { sub } = await fixtures();
    // biome-ignore lint/suspicious/noExplicitAny: a parameter the SDK's types do not have, sent on purpose
    const e = await failure(stripe.subscriptions.update(sub.id, { prorate: true } as any));
    expect(raw(e)).toMatchObject({ status: 400, type: "invalid_request_error", code: "parameter_unknown", param: "prorate", message: "Received unknown parameter: prorate" });
    // biome-ignore lint/suspicious/noExplicitAny: a nested unknown parameter
    const nested = await failure(stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, plan_price: "x" }] } as any));
    expect(raw(nested)).toMatchObject({ code: "parameter_unknown", param: "items[0][plan_price]" });
  });

  it("a wrong type and a wrong enum value", async () => {
    const { sub } = await fixtures();
    // biome-ignore lint/suspicious/noExplicitAny: a string where Stripe wants an integer
    const e = await failure(stripe.subscriptions.update(sub.id, { proration_date: "yesterday" } as any));
    expect(raw(e)).toMatchObject({ status: 400, type: "invalid_request_error", code: "parameter_invalid_integer", param: "proration_date" });
    // biome-ignore lint/suspicious/noExplicitAny: a value outside the enum
    const en = await failure(stripe.subscriptions.update(sub.id, { proration_behavior: "sometimes" } as any));
    expect(raw(en)).toMatchObject({ status: 400, type: "invalid_request_error", param: "proration_behavior", message: "Invalid proration_behavior: must be one of always_invoice, create_prorations, none" });
  });

  it("a missing required parameter", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: name is required
    const e = await failure(stripe.products.create({ id: "prod_b" } as any));
    expect(raw(e)).toMatchObject({ status: 400, type: "invalid_request_error", code: "parameter_missing", param: "name", message: "Missing required param: name." });
    // biome-ignore lint/suspicious/noExplicitAny: recurring[interval] is required
    const nested = await failure(stripe.prices.create({ currency: "usd", unit_amount: 5, product: "prod_b", recurring: { usage_type: "licensed" } } as any));
    expect(raw(nested)).toMatchObject({ code: "parameter_missing", param: "recurring[interval]" });
  });

  it("pending_if_incomplete with a parameter Stripe's pending updates do not support", async () => {
    const { sub, price } = await fixtures();
    const e = await failure(stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: price.id }], payment_behavior: "pending_if_incomplete", metadata: { a: "b" } }));
    expect(raw(e)).toMatchObject({ status: 400, type: "invalid_request_error", param: "metadata" });
    const item = await failure(stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: price.id, metadata: { a: "b" } }], payment_behavior: "pending_if_incomplete" }));
    expect(raw(item)).toMatchObject({ param: "items[0][metadata]" });
    expect(double.executed.subscriptionUpdates).toBe(0);
  });

  it("a lookup key already in use without transfer_lookup_key, and transferred with it", async () => {
    const { price } = await fixtures();
    const e = await failure(stripe.prices.create({ product: "prod_a", currency: "usd", unit_amount: 2_000, lookup_key: "a_monthly", recurring: { interval: "month" } }));
    expect(raw(e)).toMatchObject({ status: 400, type: "invalid_request_error", param: "lookup_key", message: `A price (\`${price.id}\`) already uses that lookup key.` });
    const moved = await stripe.prices.create({ product: "prod_a", currency: "usd", unit_amount: 2_000, lookup_key: "a_monthly", transfer_lookup_key: true, recurring: { interval: "month" } });
    expect(double.priceByKey("a_monthly").id).toBe(moved.id);
  });

  it("a product id that exists", async () => {
    await fixtures();
    const e = await failure(stripe.products.create({ id: "prod_a", name: "Again" }));
    expect(raw(e)).toMatchObject({ status: 400, type: "invalid_request_error", code: "resource_already_exists", param: "id" });
  });

  it("cancel_at_period_end on a subscription run by a schedule", async () => {
    const { sub } = await fixtures();
    await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    const e = await failure(stripe.subscriptions.update(sub.id, { cancel_at_period_end: true }));
    expect(raw(e)).toMatchObject({ status: 400, type: "invalid_request_error", param: "cancel_at_period_end" });
    expect(double.subscription(sub.id).cancel_at_period_end).toBe(false);
  });

  it("a refused request is not saved for its key: the key is free for the corrected request", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: name is required
    await failure(stripe.products.create({ id: "prod_k" } as any, { idempotencyKey: "k-refused" }));
    expect(double.remembers("k-refused")).toBe(false);
    expect((await stripe.products.create({ id: "prod_k", name: "K" }, { idempotencyKey: "k-refused" })).id).toBe("prod_k");
  });
});

describe("invoice previews", () => {
  async function subscribed() {
    await stripe.products.create({ id: "prod_a", name: "A" });
    await stripe.prices.create({ product: "prod_a", currency: "usd", unit_amount: 1_000, lookup_key: "a", recurring: { interval: "month" } });
    const b = await stripe.prices.create({ product: "prod_a", currency: "usd", unit_amount: 3_000, lookup_key: "b", recurring: { interval: "month" } });
    const c = double.createCustomer("a@example.com");
    const now = double.nowS();
    const sub = double.createSubscription(c.id, ["a"], { startS: now - 15 * 86_400, endS: now + 15 * 86_400 });
    return { customer: c.id, sub, items: [{ id: sub.items.data[0].id, price: b.id }] };
  }

  it("follows proration_behavior: always_invoice previews the prorations charged now, create_prorations the next invoice with them, none the next invoice alone", async () => {
    const { customer, sub, items } = await subscribed();
    const preview = (proration_behavior: "always_invoice" | "create_prorations" | "none") =>
      stripe.invoices.createPreview({ customer, subscription: sub.id, subscription_details: { items, proration_behavior, ...(proration_behavior !== "none" ? { proration_date: double.nowS() } : {}) } });
    expect((await preview("always_invoice")).lines.data.map((l) => l.amount)).toEqual([-500, 1_500]);
    expect((await preview("create_prorations")).lines.data.map((l) => l.amount)).toEqual([-500, 1_500, 3_000]);
    expect((await preview("none")).lines.data.map((l) => l.amount)).toEqual([3_000]);
  });

  it("refuses a proration_date with proration_behavior=none, or outside the current period; an update takes one outside the period", async () => {
    const { customer, sub, items } = await subscribed();
    const none = await failure(stripe.invoices.createPreview({ customer, subscription: sub.id, subscription_details: { items, proration_behavior: "none", proration_date: double.nowS() } }));
    expect(none).toMatchObject({ statusCode: 400, param: "subscription_details[proration_date]" });
    const outside = await failure(stripe.invoices.createPreview({ customer, subscription: sub.id, subscription_details: { items, proration_behavior: "always_invoice", proration_date: double.nowS() - 40 * 86_400 } }));
    expect(outside.statusCode).toBe(400);
    const updated = await stripe.subscriptions.update(sub.id, { items, proration_behavior: "always_invoice", proration_date: double.nowS() - 40 * 86_400 });
    expect(updated.items.data[0]!.price.unit_amount).toBe(3_000);
  });

  it("applies the customer's balance and tax to the amount due, and shows no discounts", async () => {
    const { customer, sub, items } = await subscribed();
    double.customers.get(customer)!.balance = -200;
    double.taxBps = 2_000;
    const inv = await stripe.invoices.createPreview({ customer, subscription: sub.id, subscription_details: { items, proration_behavior: "always_invoice", proration_date: double.nowS() } });
    expect(inv).toMatchObject({ subtotal: 1_000, total: 1_200, starting_balance: -200, amount_due: 1_000, total_taxes: [{ amount: 200 }], total_discount_amounts: [] });
  });
});

describe("scripts that Stripe would not play", () => {
  it("a scripted 402 on a subscription update under pending_if_incomplete is answered with the double's own error, not passed off as Stripe's", async () => {
    await stripe.products.create({ id: "prod_a", name: "A" });
    const price = await stripe.prices.create({ product: "prod_a", currency: "usd", unit_amount: 1_000, lookup_key: "a", recurring: { interval: "month" } });
    const sub = double.createSubscription(double.createCustomer("a@example.com").id, ["a"], { startS: double.nowS(), endS: double.nowS() + 30 * 86_400 });
    double.failNext("POST", /^\/v1\/subscriptions\//, { status: 402, error: { type: "card_error", code: "card_declined", message: "Your card was declined." } });
    const e = await failure(stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: price.id }], payment_behavior: "pending_if_incomplete" }, { maxNetworkRetries: 0 }));
    expect(e).toMatchObject({ statusCode: 500, message: expect.stringContaining("set paymentFails instead") });
  });
});

describe("renewal invoices with metered usage", () => {
  const DAY_S = 86_400;
  /** A base price and two metered prices on one meter (per call in decimal cents; per started 1,000 calls), a customer subscribed to all three. */
  async function metered() {
    await stripe.products.create({ id: "prod_m", name: "M" });
    const meter = await stripe.billing.meters.create({ display_name: "Calls", event_name: "calls", default_aggregation: { formula: "sum" }, customer_mapping: { type: "by_id", event_payload_key: "stripe_customer_id" }, value_settings: { event_payload_key: "value" } });
    await stripe.prices.create({ product: "prod_m", currency: "usd", unit_amount: 1_000, lookup_key: "base", recurring: { interval: "month" } });
    await stripe.prices.create({ product: "prod_m", currency: "usd", unit_amount_decimal: Stripe.Decimal.from("0.05"), lookup_key: "per_call", recurring: { interval: "month", usage_type: "metered", meter: meter.id } });
    await stripe.prices.create({ product: "prod_m", currency: "usd", unit_amount: 300, transform_quantity: { divide_by: 1000, round: "up" }, lookup_key: "per_1000", recurring: { interval: "month", usage_type: "metered", meter: meter.id } });
    const customer = double.createCustomer("m@example.com").id as string;
    const startS = double.nowS() - 15 * DAY_S;
    const sub = double.createSubscription(customer, ["base", "per_call", "per_1000"], { startS, endS: startS + 30 * DAY_S });
    let n = 0;
    const report = (value: number | string, timestamp: number, who = customer) => stripe.billing.meterEvents.create({ event_name: "calls", payload: { stripe_customer_id: who, value: String(value) }, identifier: `e${++n}`, timestamp });
    return { customer, sub, startS, endS: startS + 30 * DAY_S, report };
  }
  const amounts = (inv: Stripe.Invoice) => inv.lines.data.map((l) => [l.description?.split(" ")[0], l.period.start, l.amount]);

  it("bills each metered item the period's usage × unit_amount_decimal, rounded half up on the line total; licensed items in advance", async () => {
    const { customer, sub, startS, endS, report } = await metered();
    // 1,030 calls: 51.5 cents → 52; 2 started thousands at $3.00. Another customer's calls, and calls before the period, are not billed.
    await report(1_000, startS);
    await report(30, double.nowS());
    await report(500, double.nowS(), double.createCustomer("other@example.com").id);
    await report(7, startS - 1);
    clock.set(endS * 1000);
    double.endPeriod(sub.id);
    const id = double.subscription(sub.id).latest_invoice as string;
    const draft = await stripe.invoices.retrieve(id);
    expect(draft).toMatchObject({ status: "draft", billing_reason: "subscription_cycle", customer, period_start: startS, period_end: endS });
    expect(amounts(draft)).toEqual([
      ["1", endS, 1_000],
      ["1030", startS, 52],
      ["2", startS, 600],
    ]);
    expect(draft.lines.data[1]).toMatchObject({ quantity: 1030, period: { start: startS, end: endS }, pricing: { price_details: { price: double.priceByKey("per_call").id } } });
    expect(draft.total).toBe(1_652);
  });

  it("finalizes after the grace period with the usage reported meanwhile for the period, then charges it; later usage is not on it", async () => {
    const { sub, startS, endS, report } = await metered();
    await report(20, startS + DAY_S);
    clock.set(endS * 1000);
    double.endPeriod(sub.id);
    const id = double.subscription(sub.id).latest_invoice as string;
    expect(amounts(await stripe.invoices.retrieve(id))[1]).toEqual(["20", startS, 1]);
    // Reported in the grace hour: 10 more calls of the period (30 × 0.05 = 1.5 → 2), and one of the new period (not this invoice's).
    clock.advance(3_000_000);
    await report(10, endS - 60);
    await report(5, endS + 60);
    double.takeEvents();
    const final = double.finalizeInvoice(id);
    expect([final.status, final.lines.data[1].amount, final.lines.data[1].quantity, final.total, final.amount_paid]).toEqual(["paid", 2, 30, 1_302, 1_302]);
    expect(double.takeEvents().map((e) => e.type)).toEqual(["invoice.finalized", "invoice.paid"]);
    await report(10, endS - 30);
    expect((await stripe.invoices.retrieve(id)).total).toBe(1_302);
    expect(() => double.finalizeInvoice(id)).toThrow(/not a draft/);
  });

  it("rounds each line on its own total, exactly, for sums that land on half a cent and beyond 2^53", () => {
    expect([lineAmountMinor("10", "0.05"), lineAmountMinor("9", "0.05"), lineAmountMinor("30", "0.05"), lineAmountMinor("24", "0.05"), lineAmountMinor("0", "0.05")]).toEqual([1, 0, 2, 1, 0]);
    expect(lineAmountMinor("3", "0.1666666666665")).toBe(0);
    expect(lineAmountMinor("3", "0.1666666666667")).toBe(1);
    expect(lineAmountMinor("180143985094819850", "0.05")).toBe(9_007_199_254_740_993);
    expect(sumDecimals(["1.5", "2", "0.25"])).toBe("3.75");
  });

  it("a paused collection keeps the renewal a draft; payment failing leaves it open", async () => {
    const { sub, endS, report } = await metered();
    await report(10, double.nowS());
    double.subscriptions.get(sub.id)!.pause_collection = { behavior: "keep_as_draft", resumes_at: null };
    clock.set(endS * 1000);
    double.endPeriod(sub.id);
    const id = double.subscription(sub.id).latest_invoice as string;
    expect(double.finalizeInvoice(id).status).toBe("draft");
    double.subscriptions.get(sub.id)!.pause_collection = null;
    double.paymentFails = true;
    const open = double.finalizeInvoice(id);
    expect([open.status, open.amount_paid, open.amount_due]).toEqual(["open", 0, 1_301]);
    expect(double.takeEvents().map((e) => e.type)).toEqual(["customer.subscription.updated", "invoice.finalized", "invoice.payment_failed"]);
  });
});
