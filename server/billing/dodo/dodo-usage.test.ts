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

describe("usage to Dodo as usage events", () => {
  it("sends batches of at most 1,000 with event_id, and a retry after a lost answer is counted once per event id", async () => {
    const a = await dodoAccount(t, clock, "enterprise", { startMs: clock.now() - DAY, endMs: clock.now() + 29 * DAY });
    await queued(a.accountId, 1_500);
    // Dodo takes the first batch, but its answer is lost.
    t.double.failNext("POST", /^\/events\/ingest$/, { hang: true, effectApplied: true });
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 0, retrying: 1_000, failed: 0 });
    expect(t.double.events.size).toBe(1_000);
    clock.advance(61_000);
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 1_500, retrying: 0, failed: 0 });
    expect(ingests().map((r) => r.body!.events.length)).toEqual([1_000, 1_000, 500]);
    const [first] = ingests();
    expect(first!.body!.events[0]).toEqual({ event_id: expect.stringMatching(/^hr:calls:/), customer_id: a.customerId, event_name: METER_ALL_CALLS, timestamp: expect.any(String), metadata: { value: 3 } });
    // Each minute once at Dodo, however often it was sent.
    expect(t.double.events.size).toBe(1_500);
    expect(t.double.usageOf(a.customerId, METER_ALL_CALLS)).toBe(4_500);
    expect(statuses()).toEqual({ sent: 1_500 });
    // Nothing left: a third run sends nothing.
    expect(await t.deps.dodo!.usage.send()).toEqual({ sent: 0, retrying: 0, failed: 0 });
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
