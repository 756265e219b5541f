import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inTransaction } from "../../db/queries/plan-changes";
import { queueUsageReportInTx } from "../../db/queries/stripe";
import { ManualClock } from "../../lib/clock";
import { dodoAccount, startDodoTest, type DodoTest } from "../../testing/dodo-harness";
import { METER_ALL_CALLS } from "../stripe/stripe-catalog";

const DAY = 86_400_000;
const MINUTE = 60_000;
let clock: ManualClock;
let t: DodoTest;

beforeEach(async () => {
  clock = new ManualClock(Math.floor(Date.now() / MINUTE) * MINUTE);
  t = await startDodoTest(clock);
});
afterEach(() => t.stop());

/** `n` minutes of usage waiting in the outbox, the newest a minute ago, `value` calls each. */
async function queued(accountId: string, n: number, value = 3) {
  const now = clock.now();
  await inTransaction(t.deps.db, function* () {
    for (let i = 0; i < n; i++) {
      const minuteMs = now - (n - i) * MINUTE;
      yield* queueUsageReportInTx({ identifier: `hr:calls:${accountId}:${minuteMs}`, accountId, eventName: METER_ALL_CALLS, minuteMs, seq: 0, value, nextAttemptAtMs: now, createdAtMs: now });
    }
  });
}
const ingests = () => t.double.calls("POST", /^\/events\/ingest$/);
const statuses = () => Object.fromEntries(t.sqlite.prepare("select status, count(*) as n from stripe_usage_reports group by status").all().map((r) => [(r as { status: string }).status, (r as { n: number }).n]));

function usage(accountId: string, minuteMs: number, allowed: number, key = "key_1") {
  t.sqlite
    .prepare("insert into usage_minute (minute_ms, key_id, account_id, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, ?, 0, 0, 0) on conflict (minute_ms, key_id, meter) do update set allowed = allowed + excluded.allowed")
    .run(minuteMs, `${key}_${accountId}`, accountId, allowed);
}

describe("usage to Dodo as usage events", () => {
  it("from the rollups: each (account, minute) once, a later correction with the difference, all counted once at Dodo", async () => {
    const a = await dodoAccount(t, clock, "enterprise", { startMs: clock.now() - DAY, endMs: clock.now() + 29 * DAY });
    const reporter = t.deps.dodo!.usage;
    const m1 = clock.now() - 30 * MINUTE;
    usage(a.accountId, m1, 120);
    usage(a.accountId, m1, 30, "key_2");
    usage(a.accountId, m1 + MINUTE, 7);
    usage(a.accountId, clock.now() - MINUTE, 99); // not settled yet
    expect(await reporter.enqueue()).toBe(2);
    expect(await reporter.send()).toEqual({ sent: 2, retrying: 0, failed: 0 });
    expect(ingests()[0]!.body!.events).toEqual([
      { event_id: `hr:calls:${a.accountId}:${m1}`, customer_id: a.customerId, event_name: METER_ALL_CALLS, timestamp: new Date(m1).toISOString(), metadata: { value: 150 } },
      { event_id: `hr:calls:${a.accountId}:${m1 + MINUTE}`, customer_id: a.customerId, event_name: METER_ALL_CALLS, timestamp: new Date(m1 + MINUTE).toISOString(), metadata: { value: 7 } },
    ]);
    usage(a.accountId, m1, 5, "key_3");
    expect(await reporter.enqueue()).toBe(1);
    await reporter.send();
    expect(ingests()[1]!.body!.events).toEqual([expect.objectContaining({ event_id: `hr:calls:${a.accountId}:${m1}:1`, metadata: { value: 5 } })]);
    expect(t.double.usageOf(a.customerId, METER_ALL_CALLS)).toBe(162);
  });

  it("sends batches of at most 1,000 with event_id; a batch resent after a lost answer (by the SDK, or by the next run) is counted once per event id", async () => {
    const a = await dodoAccount(t, clock, "enterprise", { startMs: clock.now() - DAY, endMs: clock.now() + 29 * DAY });
    await queued(a.accountId, 2_500);
    // Dodo takes the first batch but its answer is lost: the SDK sends it again (safe: Dodo dedupes by event_id).
    t.double.failNext("POST", /^\/events\/ingest$/, { hang: true, effectApplied: true });
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 2_500, retrying: 0, failed: 0 });
    expect(ingests().map((r) => r.body!.events.length)).toEqual([1_000, 1_000, 1_000, 500]);
    expect(ingests()[0]!.body!.events[0]).toEqual({ event_id: expect.stringMatching(/^hr:calls:/), customer_id: a.customerId, event_name: METER_ALL_CALLS, timestamp: expect.any(String), metadata: { value: 3 } });
    expect(t.double.events.size).toBe(2_500);

    // Dodo fails past the SDK's retries: the batch waits for the next run, then goes once more.
    clock.advance(10 * MINUTE);
    await queued(a.accountId, 5);
    for (let i = 0; i < 3; i++) t.double.failNext("POST", /^\/events\/ingest$/, { status: 503 });
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 0, retrying: 5, failed: 0 });
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 0, retrying: 0, failed: 0 });
    clock.advance(61_000);
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 5, retrying: 0, failed: 0 });
    // Each minute once at Dodo, however often it was sent.
    expect(t.double.events.size).toBe(2_505);
    expect(t.double.usageOf(a.customerId, METER_ALL_CALLS)).toBe(7_515);
    expect(statuses()).toEqual({ sent: 2_505 });
  });

  it("stamps a minute older than Dodo's window inside it, so late usage is still accepted", async () => {
    const a = await dodoAccount(t, clock, "enterprise", { startMs: clock.now() - DAY, endMs: clock.now() + 29 * DAY });
    await queued(a.accountId, 120, 1);
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 120, retrying: 0, failed: 0 });
    const stamps = ingests()[0]!.body!.events.map((e: { timestamp: string }) => Date.parse(e.timestamp));
    expect(Math.min(...stamps)).toBeGreaterThanOrEqual(clock.now() - 60 * MINUTE);
  });

  it("a batch Dodo refuses is kept as failed with Dodo's reason, for an operator", async () => {
    const a = await dodoAccount(t, clock, "enterprise", { startMs: clock.now() - DAY, endMs: clock.now() + 29 * DAY });
    await queued(a.accountId, 5);
    t.double.customers.delete(a.customerId);
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 0, retrying: 0, failed: 5 });
    expect(await t.deps.dodo!.usage.backlog()).toMatchObject({ pending: 0, failed: 5, lastError: expect.stringMatching(/^Dodo refused these usage events: events\[\]: unknown customer/) });
  });

  it("reconciles Dodo's totals for the period with what the outbox queued: equal once sent, the pending part named", async () => {
    const a = await dodoAccount(t, clock, "enterprise", { startMs: clock.now() - DAY, endMs: clock.now() + 29 * DAY });
    const meter = t.double.createMeter(METER_ALL_CALLS);
    await queued(a.accountId, 10, 7);
    expect((await t.deps.dodo!.usageReconciliation(a.accountId)).meters).toEqual([{ meterId: meter.id, eventName: METER_ALL_CALLS, dodoUnits: 0, headroomUnits: 70, pendingUnits: 70, differenceUnits: -70 }]);
    await t.deps.dodo!.usage.send();
    expect((await t.deps.dodo!.usageReconciliation(a.accountId)).meters).toEqual([{ meterId: meter.id, eventName: METER_ALL_CALLS, dodoUnits: 70, headroomUnits: 70, pendingUnits: 0, differenceUnits: 0 }]);
    // An event counted at Dodo that Headroom never sent shows as a difference.
    t.double.events.set("stray", { event_id: "stray", customer_id: a.customerId, event_name: METER_ALL_CALLS, timestamp: new Date(clock.now()).toISOString(), metadata: { value: 5 } });
    expect((await t.deps.dodo!.usageReconciliation(a.accountId)).meters[0]).toMatchObject({ dodoUnits: 75, headroomUnits: 70, differenceUnits: 5 });
  });
});
