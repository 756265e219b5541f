import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock";
import { meteredPriceKey } from "./stripe-catalog";
import { linkedAccount, postEvent, startStripeTest, type StripeTest } from "../../testing/stripe-harness";

const utc = (s: string) => Date.parse(s);
const NOV = { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") };
const MIN = 60_000;
let clock: ManualClock;
let t: StripeTest;

beforeEach(async () => {
  clock = new ManualClock(utc("2026-11-16T12:00:00Z"));
  t = await startStripeTest(clock);
});
afterEach(() => t.stop());

function usage(accountId: string, minuteMs: number, allowed: number, key = "key_1") {
  t.srv.sqlite
    .prepare("insert into usage_minute (minute_ms, key_id, account_id, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, ?, 0, 0, 0) on conflict (minute_ms, key_id, meter) do update set allowed = allowed + excluded.allowed")
    .run(minuteMs, `${key}_${accountId}`, accountId, allowed);
}
const reporter = () => t.srv.deps.stripe!.usage;
const meterCalls = () => t.double.calls("POST", /^\/v1\/billing\/meter_events$/);

describe("metered usage as Stripe meter events", () => {
  it("sends each (account, minute) once with a stable identifier, also its Idempotency-Key", async () => {
    const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    const m1 = utc("2026-11-16T11:00:00Z");
    usage(a.accountId, m1, 120);
    usage(a.accountId, m1, 30, "key_2");
    usage(a.accountId, m1 + MIN, 7);
    usage(a.accountId, clock.now() - MIN, 99); // this minute has not settled yet

    expect(await reporter().enqueue()).toBe(2);
    expect(await reporter().enqueue()).toBe(0);
    expect(await reporter().backlog()).toMatchObject({ pending: 2, failed: 0, oldestPendingMinuteMs: m1 });
    expect(await reporter().send()).toEqual({ sent: 2, retrying: 0, failed: 0 });
    const [first, second] = meterCalls();
    expect(first!.params).toEqual({ event_name: "headroom_api_calls", payload: { stripe_customer_id: a.customerId, value: "150" }, identifier: `hr:calls:${a.accountId}:${m1}`, timestamp: String(m1 / 1000) });
    expect(first!.idempotencyKey).toBe(`hr:calls:${a.accountId}:${m1}`);
    expect(second!.params.payload.value).toBe("7");
    expect(await reporter().backlog()).toMatchObject({ pending: 0, failed: 0, oldestPendingMinuteMs: null });

    // A second run sends nothing more; a minute that grew later (late events) gets a correction with the difference.
    expect([await reporter().enqueue(), (await reporter().send()).sent]).toEqual([0, 0]);
    usage(a.accountId, m1, 5, "key_3");
    expect(await reporter().enqueue()).toBe(1);
    await reporter().send();
    expect(meterCalls()[2]!.params).toMatchObject({ identifier: `hr:calls:${a.accountId}:${m1}:1`, payload: { value: "5" } });
    expect(t.double.meterEvents.reduce((s, e) => s + Number(e.payload.value), 0)).toBe(162);
  });

  it("retries a failed send later with the same identifier, and never counts it twice", async () => {
    const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    const m1 = utc("2026-11-16T11:00:00Z");
    const id = `hr:calls:${a.accountId}:${m1}`;
    usage(a.accountId, m1, 40);
    await reporter().enqueue();
    // Stripe fails while recording it (saved for the key, Stripe-Should-Retry: false); the event is sent
    // again under a new key with the same identifier, and that fails too: the report waits with a backoff.
    t.double.failNext("POST", /^\/v1\/billing\/meter_events$/, { status: 500 }, 2);
    expect(await reporter().send()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    expect(meterCalls().map((c) => c.idempotencyKey)).toEqual([id, expect.stringMatching(new RegExp(`^${id}:after:`))]);
    expect(await reporter().backlog()).toMatchObject({ pending: 1 });
    expect((await reporter().send()).sent).toBe(0); // not due yet
    clock.advance(61_000);
    // This time the event is processed but the answer is lost (timeout): the retry is replayed, not counted again.
    t.double.failNext("POST", /^\/v1\/billing\/meter_events$/, { hangAfterProcessing: true });
    expect(await reporter().send()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    const calls = meterCalls();
    // The first key replays its 500; the next key (derived anew) is processed, its answer lost, then replayed.
    expect(calls.map((c) => c.replayed)).toEqual([false, false, true, false, true]);
    expect(new Set(calls.map((c) => c.params.identifier))).toEqual(new Set([id]));
    expect(t.double.executed.meterEvents).toBe(1);
    expect((await reporter().backlog()).pending).toBe(0);
  });

  it("a 500 after Stripe recorded the event: sent again under a new key, the identifier keeps it counted once", async () => {
    const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    const m1 = utc("2026-11-16T11:00:00Z");
    usage(a.accountId, m1, 40);
    await reporter().enqueue();
    t.double.failNext("POST", /^\/v1\/billing\/meter_events$/, { status: 500, effectApplied: true });
    expect(await reporter().send()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(meterCalls()).toHaveLength(2);
    expect(new Set(meterCalls().map((c) => c.idempotencyKey)).size).toBe(2);
    expect(t.double.executed.meterEvents).toBe(1);
    expect(t.double.meterEvents.reduce((s, e) => s + Number(e.payload.value), 0)).toBe(40);
  });

  it("a 429 stops the run; the rest waits for the next one", async () => {
    const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    for (let i = 0; i < 5; i++) usage(a.accountId, utc("2026-11-16T10:00:00Z") + i * MIN, 10);
    await reporter().enqueue();
    t.double.failNext("POST", /^\/v1\/billing\/meter_events$/, { status: 429, headers: { "retry-after": "0" }, error: { type: "rate_limit_error", message: "Too many requests" } }, 50);
    const r = await reporter().send();
    expect(r.sent).toBe(0);
    expect(r.retrying).toBeGreaterThan(0);
    expect((await reporter().backlog()).pending).toBe(5);
  });

  it("Pro with overage on reports only the calls beyond the monthly quota", async () => {
    const a = await linkedAccount(t, clock, "pro", NOV, [meteredPriceKey("pro")]);
    t.srv.sqlite.prepare("update accounts set overage_opt_in = 1 where id = ?").run(a.accountId);
    usage(a.accountId, utc("2026-11-15T10:00:00Z"), 9_000);
    usage(a.accountId, utc("2026-11-16T10:00:00Z"), 1_500); // 500 over
    usage(a.accountId, utc("2026-11-16T10:01:00Z"), 200); // 200 over
    expect(await reporter().enqueue()).toBe(2);
    await reporter().send();
    expect(meterCalls().map((c) => [c.params.event_name, c.params.payload.value])).toEqual([
      ["headroom_overage_calls", "500"],
      ["headroom_overage_calls", "200"],
    ]);
    // Accounts without usage billing send nothing.
    const starter = await linkedAccount(t, clock, "starter", NOV);
    usage(starter.accountId, utc("2026-11-16T10:00:00Z"), 5_000);
    expect(await reporter().enqueue()).toBe(0);
  });
});

describe("operator view", () => {
  it("operator.stripeStatus shows the backlog", async () => {
    const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    usage(a.accountId, utc("2026-11-16T11:00:00Z"), 3);
    await reporter().enqueue();
    expect(await t.srv.deps.stripe!.status()).toMatchObject({ enabled: true, webhooksConfigured: true, usageBacklog: { pending: 1, failed: 0 }, changesInFlight: { applying: 0 } });
  });
});

describe("what Stripe refuses in meter events", () => {
  it("Stripe accepts a meter event it cannot bill and reports it later: the error report (a thin event) marks the report failed with Stripe's reason", async () => {
    const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    const m1 = utc("2026-11-16T11:00:00Z");
    usage(a.accountId, m1, 40);
    usage(a.accountId, m1 + MIN, 2);
    await reporter().enqueue();
    // Stripe was unreachable for weeks: the first minute is sent 36 days after it, the second just inside the window.
    clock.set(m1 + 35 * 86_400_000 + 30_000);
    expect(await reporter().send()).toEqual({ sent: 2, retrying: 0, failed: 0 });
    expect(t.double.executed.meterEvents).toBe(1);
    expect(t.double.meterEventsRefused.map((e) => [e.identifier, e.error.code])).toEqual([[`hr:calls:${a.accountId}:${m1}`, "timestamp_too_far_in_past"]]);

    const report = t.double.meterErrorReport()!;
    expect(report).toMatchObject({ object: "v2.core.event", type: "v1.billing.meter.error_report_triggered" });
    const posted = await postEvent(t, report);
    expect(posted.body).toMatchObject({ result: "processed" });
    expect(await reporter().backlog()).toMatchObject({ pending: 0, failed: 1, lastError: expect.stringContaining("timestamp_too_far_in_past") });
    // Delivered again: nothing moves twice; the full event was read from Stripe once.
    expect((await postEvent(t, report)).body.result).toBe("duplicate");
    expect(t.double.calls("GET", /^\/v2\/core\/events\//)).toHaveLength(1);
    expect(t.double.meterErrorReport()).toBeNull();
  });

  it("an identifier sent again within 24 hours is counted once, under any key", async () => {
    const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    const params = { event_name: "headroom_api_calls", payload: { stripe_customer_id: a.customerId, value: "5" }, identifier: "hr:test:1", timestamp: Math.floor(clock.now() / 1000) };
    await t.stripe.billing.meterEvents.create(params, { idempotencyKey: "one" });
    await t.stripe.billing.meterEvents.create(params, { idempotencyKey: "two" });
    expect(t.double.executed.meterEvents).toBe(1);
    clock.advance(25 * 3_600_000);
    await t.stripe.billing.meterEvents.create({ ...params, timestamp: Math.floor(clock.now() / 1000) }, { idempotencyKey: "three" });
    expect(t.double.executed.meterEvents).toBe(2);
  });
});
