import Stripe from "stripe";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../lib/clock";
import { createStripeClient } from "../billing/stripe/stripe-client";
import { StripeDouble } from "./stripe-double";

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
