import { afterEach, describe, expect, it } from "vitest";
import type { Catalog } from "../../../shared/catalog";
import { demoCatalog } from "../../../shared/testing/demo-catalog";
import { yearlyCatalog } from "../../../shared/testing/yearly-catalog";
import { ManualClock } from "../../lib/clock";
import { StripeDouble } from "../../testing/stripe-double";
import { accepted, linkedAccount, planOf, startStripeTest, who, type StripeTest } from "../../testing/stripe-harness";
import { cancelScheduledChangeWithProvider } from "../manage-changes";
import { confirmPlanChange } from "../plan-change";
import { previewPlanChangeWithProvider } from "../quote";
import { basePriceKey, meteredPriceKey, syncStripeCatalog } from "./stripe-catalog";
import { createStripeClient, keyAfter } from "./stripe-client";

/**
 * The calls whose 500 leaves the outcome unknown (Stripe saved the 500 for the key and says
 * Stripe-Should-Retry: false, or a DELETE, which has no key to save it under, says so): Headroom
 * re-reads the object, stops if the change is there, and otherwise sends it once more under a key
 * derived from what it read. Each through the real SDK against the double, the change made or not
 * before the 500.
 */

const utc = (s: string) => Date.parse(s);
const NOV = { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") };
let clock: ManualClock;
let t: StripeTest;

/** What each test started, stopped after it. */
const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

async function start(catalog?: Catalog) {
  clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
  t = await startStripeTest(clock, catalog ? { catalog } : {});
  running.push(() => t.stop());
}

const billing = () => t.srv.deps.billing;
const changeRow = (id: string) => t.srv.sqlite.prepare("select status, provider_ref as ref from plan_changes where id = ?").get(id) as { status: string; ref: string };
const calls = (method: string, path: string) => t.double.calls(method, new RegExp(`^${path}$`));
const after = (key: string) => expect.stringMatching(new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:after:[0-9a-f]{16}$`));

/** A Business account with a downgrade to Starter scheduled at Stripe: the schedule and the change. */
async function scheduledDowngrade() {
  const a = await linkedAccount(t, clock, "business", NOV);
  const r = await confirmPlanChange(billing(), a.accountId, accepted(await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" })), who);
  expect(r.status).toBe("scheduled");
  const scheduleId = changeRow(r.planChangeId).ref.replace(/^schedule:/, "");
  t.double.clearRequests();
  return { ...a, changeId: r.planChangeId, scheduleId };
}

describe("subscriptionSchedules.release after a 500", () => {
  it("made before the 500: the re-read schedule is released, nothing is sent again", async () => {
    await start();
    const d = await scheduledDowngrade();
    t.double.failNext("POST", new RegExp(`^/v1/subscription_schedules/${d.scheduleId}/release$`), { status: 500, effectApplied: true });
    await cancelScheduledChangeWithProvider(billing(), d.accountId, d.changeId);
    expect(calls("POST", `/v1/subscription_schedules/${d.scheduleId}/release`).map((c) => c.idempotencyKey)).toEqual([`plan_change:${d.changeId}:cancel`]);
    // Read before the release (is it still active?) and after the 500 (was it released?).
    expect(calls("GET", `/v1/subscription_schedules/${d.scheduleId}`)).toHaveLength(2);
    expect([t.double.schedules.get(d.scheduleId)!.status, changeRow(d.changeId).status, planOf(t, d.accountId)]).toEqual(["released", "cancelled", "business"]);
  });

  it("not made: the schedule re-read as active is released under a key of that state, once", async () => {
    await start();
    const d = await scheduledDowngrade();
    t.double.failNext("POST", new RegExp(`^/v1/subscription_schedules/${d.scheduleId}/release$`), { status: 500 });
    await cancelScheduledChangeWithProvider(billing(), d.accountId, d.changeId);
    const key = `plan_change:${d.changeId}:cancel`;
    const sent = calls("POST", `/v1/subscription_schedules/${d.scheduleId}/release`);
    expect(sent.map((c) => [c.idempotencyKey, c.replayed])).toEqual([
      [key, false],
      [keyAfter(key, "active"), false],
    ]);
    expect([t.double.schedules.get(d.scheduleId)!.status, changeRow(d.changeId).status]).toEqual(["released", "cancelled"]);
  });
});

describe("subscriptionSchedules.update (the phases) after a 500", () => {
  /** Business → Starter with the phase update failing as scripted; the update calls and the schedule. */
  async function downgradeWithPhases500(effectApplied: boolean) {
    const a = await linkedAccount(t, clock, "business", NOV);
    t.double.failNext("POST", /^\/v1\/subscription_schedules\/sub_sched_\d+$/, { status: 500, effectApplied });
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "starter" });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    expect(r.status).toBe("scheduled");
    const scheduleId = changeRow(r.planChangeId).ref.replace(/^schedule:/, "");
    return { key: `quote:${q.id}:apply:phases`, sent: calls("POST", `/v1/subscription_schedules/${scheduleId}`), schedule: t.double.schedules.get(scheduleId)!, reads: calls("GET", `/v1/subscription_schedules/${scheduleId}`) };
  }
  const phasePrices = (phases: Array<{ items: Array<{ price: string }> }>) => phases.map((p) => p.items.map((i) => i.price));

  it("set before the 500, or not: the schedule is re-read and the same phases are set again under a key of what was read; the downgrade is scheduled once", async () => {
    await start();
    const made = await downgradeWithPhases500(true);
    const notMade = await downgradeWithPhases500(false);
    const business = t.double.priceByKey(basePriceKey("business")).id;
    const starter = t.double.priceByKey(basePriceKey("starter")).id;
    for (const run of [made, notMade]) {
      expect(run.sent.map((c) => [c.idempotencyKey, c.replayed])).toEqual([
        [run.key, false],
        [after(run.key), false],
      ]);
      expect(run.sent[1]!.params).toEqual(run.sent[0]!.params);
      expect(run.reads).toHaveLength(1);
      expect([run.schedule.status, phasePrices(run.schedule.phases)]).toEqual(["active", [[business], [starter]]]);
    }
    // The key after the 500 is derived from the state read: phases set already, or only the one Stripe made the schedule with.
    expect(made.sent[1]!.idempotencyKey!.split(":after:")[1]).not.toBe(notMade.sent[1]!.idempotencyKey!.split(":after:")[1]);
  });
});

describe("subscriptions.migrate (to flexible billing mode) after a 500", () => {
  /** Pro monthly with usage billed monthly → Pro yearly, the migration failing as scripted. */
  async function toYearlyWithMigrate500(effectApplied: boolean) {
    const a = await linkedAccount(t, clock, "pro", NOV, [meteredPriceKey("pro")]);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "pro", interval: "year" });
    t.double.failNext("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}/migrate$`), { status: 500, effectApplied });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    return { ...a, r, key: `quote:${q.id}:apply:flexible`, sent: calls("POST", `/v1/subscriptions/${a.subscriptionId}/migrate`), updates: calls("POST", `/v1/subscriptions/${a.subscriptionId}`) };
  }

  it("made before the 500: the re-read subscription is flexible, nothing is sent again, and the update goes on", async () => {
    await start(yearlyCatalog({ proYearlyQuota: "monthly" }));
    const m = await toYearlyWithMigrate500(true);
    expect(m.r.status).toBe("applied");
    expect(m.sent.map((c) => c.idempotencyKey)).toEqual([m.key]);
    expect(m.updates).toHaveLength(1);
    expect(t.double.subscription(m.subscriptionId)).toMatchObject({ billing_mode: { type: "flexible" } });
    expect(t.double.subscription(m.subscriptionId).items.data[0].price.lookup_key).toBe(basePriceKey("pro", "year"));
  });

  it("not made: the subscription re-read as classic is migrated under a key of that state, then updated", async () => {
    await start(yearlyCatalog({ proYearlyQuota: "monthly" }));
    const m = await toYearlyWithMigrate500(false);
    expect(m.r.status).toBe("applied");
    expect(m.sent.map((c) => [c.idempotencyKey, c.replayed])).toEqual([
      [m.key, false],
      [after(m.key), false],
    ]);
    expect(m.updates).toHaveLength(1);
    expect([t.double.subscription(m.subscriptionId).billing_mode.type, planOf(t, m.accountId)]).toEqual(["flexible", "pro"]);
  });
});

describe("subscriptions.cancel after a 500", () => {
  /** A Starter account on grandfathered terms leaving for Free: the subscription ends now, the DELETE failing as scripted. */
  async function toFreeWithCancel500(effectApplied: boolean) {
    const a = await linkedAccount(t, clock, "starter", NOV);
    t.srv.sqlite.prepare("update accounts set grandfathered_until_ms = ? where id = ?").run(NOV.endMs, a.accountId);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "free" });
    // A DELETE has no idempotency key Stripe keeps: the 500 is not saved, and Stripe-Should-Retry: false says a retry would not tell.
    t.double.failNext("DELETE", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`), { status: 500, headers: { "stripe-should-retry": "false" }, effectApplied });
    const r = await confirmPlanChange(billing(), a.accountId, accepted(q), who);
    return { ...a, r, key: `quote:${q.id}:apply`, sent: calls("DELETE", `/v1/subscriptions/${a.subscriptionId}`), reads: calls("GET", `/v1/subscriptions/${a.subscriptionId}`) };
  }

  it("made before the 500: the re-read subscription is canceled, nothing is sent again", async () => {
    await start();
    const c = await toFreeWithCancel500(true);
    expect(c.r.status).toBe("applied");
    expect(c.sent.map((s) => s.idempotencyKey)).toEqual([c.key]);
    // Read to find it live, then re-read after the 500.
    expect(c.reads.length).toBeGreaterThanOrEqual(2);
    expect([t.double.subscription(c.subscriptionId).status, planOf(t, c.accountId)]).toEqual(["canceled", "free"]);
  });

  it("not made: the subscription re-read as active is canceled under a key of that state", async () => {
    await start();
    const c = await toFreeWithCancel500(false);
    expect(c.r.status).toBe("applied");
    expect(c.sent.map((s) => [s.idempotencyKey, s.params])).toEqual([
      [c.key, { prorate: "false" }],
      [after(c.key), { prorate: "false" }],
    ]);
    expect([t.double.subscription(c.subscriptionId).status, planOf(t, c.accountId)]).toEqual(["canceled", "free"]);
  });

  it("withdrawing a cancellation at period end (to Free) after a 500 Stripe saved: re-read first and after, kept once", async () => {
    await start();
    const a = await linkedAccount(t, clock, "starter", NOV);
    const r = await confirmPlanChange(billing(), a.accountId, accepted(await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "free" })), who);
    expect(r.status).toBe("scheduled");
    expect(t.double.subscription(a.subscriptionId).cancel_at_period_end).toBe(true);
    t.double.clearRequests();
    t.double.failNext("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}$`), { status: 500, effectApplied: true });
    await cancelScheduledChangeWithProvider(billing(), a.accountId, r.planChangeId);
    expect(calls("POST", `/v1/subscriptions/${a.subscriptionId}`).map((c) => [c.idempotencyKey, c.params])).toEqual([[`plan_change:${r.planChangeId}:cancel`, { cancel_at_period_end: "false" }]]);
    // Sent before (resend): read before the call, and again after the 500.
    expect(calls("GET", `/v1/subscriptions/${a.subscriptionId}`)).toHaveLength(2);
    expect([t.double.subscription(a.subscriptionId).cancel_at_period_end, changeRow(r.planChangeId).status, planOf(t, a.accountId)]).toEqual([false, "cancelled", "starter"]);
  });
});

describe("billing.meters.create (stripe sync) after a 500", () => {
  /** A sync on an empty Stripe account, the first meter's creation failing as scripted; the meter calls. */
  async function syncWithMeter500(effectApplied: boolean) {
    const double = await StripeDouble.start(new ManualClock(utc("2026-11-16T00:00:00Z")));
    running.push(() => double.stop());
    double.failNext("POST", /^\/v1\/billing\/meters$/, { status: 500, effectApplied });
    const actions = await syncStripeCatalog(createStripeClient("sk_test_headroom", { apiBase: double.url }), demoCatalog, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    return { double, actions, creates: double.calls("POST", /^\/v1\/billing\/meters$/), lists: double.calls("GET", /^\/v1\/billing\/meters$/) };
  }

  it("made before the 500: the meters listed again show it, nothing is sent again; not made: sent again under a key of the list read", async () => {
    // The catalog's first meter to create is Pro's overage meter; the 500 is its creation's.
    const overage = "catalog:meter:headroom_overage_calls";
    const made = await syncWithMeter500(true);
    expect(made.creates.map((c) => c.idempotencyKey)).toEqual([overage, "catalog:meter:headroom_api_calls"]);
    // Listed before creating anything, and again after the 500.
    expect(made.lists).toHaveLength(2);
    const notMade = await syncWithMeter500(false);
    expect(notMade.creates.map((c) => [c.idempotencyKey, c.replayed])).toEqual([
      [overage, false],
      // No meter was listed: the key of that (empty) state.
      [keyAfter(overage, ""), false],
      ["catalog:meter:headroom_api_calls", false],
    ]);
    for (const run of [made, notMade]) {
      // One meter per event name, and the metered prices on theirs.
      const meters = [...run.double.meters.values()];
      expect(meters.map((m) => m.event_name).sort()).toEqual(["headroom_api_calls", "headroom_overage_calls"]);
      expect(run.actions.filter((a) => a.object === "meter").map((a) => a.action)).toEqual(["created", "created"]);
      expect(run.double.priceByKey(meteredPriceKey("enterprise")).recurring.meter).toBe(meters.find((m) => m.event_name === "headroom_api_calls")!.id);
      expect(run.double.priceByKey(meteredPriceKey("pro")).recurring.meter).toBe(meters.find((m) => m.event_name === "headroom_overage_calls")!.id);
    }
  });
});
