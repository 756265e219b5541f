import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows, rowsOf, seedPlanChange } from "../../testing/dialect-rows";
import { DIALECTS, runUnit, type OpenDialect } from "../../testing/pg-dialects";
import { inTransaction, markSent, updateChangeInTx } from "./plan-changes";
import {
  accountIdOfCustomer,
  applyingChanges,
  askConsentAgain,
  callsByMinute,
  changesInFlight,
  dueUsageReports,
  eventSeen,
  lastAppliedAtMs,
  linkCustomer,
  markUsageReport,
  overdueScheduledSwitches,
  queueUsageReportInTx,
  reportedByMinuteInTx,
  stripeCustomersOf,
  stripeLinkedAccounts,
  storeEventInTx,
  usageReportBacklog,
} from "./stripe";

const NOW = Date.parse("2026-11-16T12:00:00Z");
const MINUTE = 60_000;

const audit = (id: string) => ({ id, atMs: NOW, actor: "operator:cli", action: "stripe.linked", accountId: "acc_1", detailsJson: "{}" });
const link = { stripeCustomerId: "cus_1", stripeSubscriptionId: "sub_1", planId: "pro", planStartedAtMs: NOW, billingAnchorMs: NOW };
const report = (identifier: string, over: Partial<{ accountId: string; eventName: string; minuteMs: number; seq: number; value: number; nextAttemptAtMs: number; createdAtMs: number }> = {}) => ({
  identifier,
  accountId: "acc_1",
  eventName: "headroom_api_calls",
  minuteMs: 0,
  seq: 0,
  value: 5,
  nextAttemptAtMs: NOW,
  createdAtMs: NOW,
  ...over,
});

describe.each(DIALECTS)("Stripe queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  const db = () => database.store.db;
  const queue = (...rows: ReturnType<typeof report>[]) =>
    runUnit(database.store, function* () {
      for (const row of rows) yield* queueUsageReportInTx(row);
    });
  /** A change in the given status, touched as the test needs (sent, scheduled at Stripe, applied at a moment). */
  const change = async (id: string, status: Parameters<typeof seedPlanChange>[1]["status"], set: Parameters<typeof updateChangeInTx>[1] = {}, accountId = "acc_1") => {
    await seedPlanChange(database.store, { id, accountId, toPlanId: "pro", status, effectiveAtMs: NOW });
    if (Object.keys(set).length) await runUnit(database.store, () => updateChangeInTx(id, set));
  };

  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [accountRow("acc_1", { name: "Acme", email: "ops@acme.example", billingAnchorMs: NOW, createdAtMs: NOW })]);
  });

  it("stores an event id once: the second store of the same event commits nothing", async () => {
    const event = { id: "evt_1", type: "invoice.paid", createdMs: NOW, processedAtMs: NOW };
    expect(await eventSeen(db(), "evt_1")).toBe(false);
    expect(await inTransaction(db(), () => storeEventInTx(event))).toBe(true);
    expect(await inTransaction(db(), () => storeEventInTx(event))).toBe(false);
    expect(await eventSeen(db(), "evt_1")).toBe(true);
  });

  it("links a customer and audits it together, or neither; the customer then leads to the account", async () => {
    expect(await accountIdOfCustomer(db(), "cus_1")).toBeNull();
    await linkCustomer(db(), "acc_1", link, audit("aud_1"));
    // The same audit id again fails the insert: the second link is rolled back with it.
    await expect(linkCustomer(db(), "acc_1", { ...link, stripeCustomerId: "cus_2", planId: "business" }, audit("aud_1"))).rejects.toThrow();
    expect((await rowsOf(database.store, "accounts")).map((a) => ({ customer: a.stripeCustomerId, plan: a.planId }))).toEqual([{ customer: "cus_1", plan: "pro" }]);
    expect(await rowsOf(database.store, "auditLog")).toHaveLength(1);
    expect(await accountIdOfCustomer(db(), "cus_1")).toBe("acc_1");
    expect(await accountIdOfCustomer(db(), "cus_2")).toBeNull();
  });

  it("lists the accounts linked to a customer and a subscription, and the customer of each account asked for", async () => {
    await insertRows(database.store, "accounts", [
      accountRow("acc_2", { stripeCustomerId: "cus_2", stripeSubscriptionId: "sub_2" }),
      accountRow("acc_3", { stripeCustomerId: "cus_3" }),
      accountRow("acc_4", { stripeCustomerId: "cus_4", stripeSubscriptionId: "sub_4" }),
    ]);
    expect((await stripeLinkedAccounts(db())).map((a) => [a.id, a.stripeCustomerId, a.stripeSubscriptionId]).sort()).toEqual([
      ["acc_2", "cus_2", "sub_2"],
      ["acc_4", "cus_4", "sub_4"],
    ]);
    expect(await stripeCustomersOf(db(), ["acc_1", "acc_3", "acc_none"])).toEqual(
      new Map([
        ["acc_1", null],
        ["acc_3", "cus_3"],
      ]),
    );
    expect(await stripeCustomersOf(db(), [])).toEqual(new Map());
  });

  it("queues a report identifier once, and moves only a report still pending", async () => {
    const r = report("hr:calls:acc_1:0");
    await queue(r, { ...r, value: 9 });
    expect(await inTransaction(db(), () => reportedByMinuteInTx("acc_1", "headroom_api_calls", 0, MINUTE))).toEqual(new Map([[0, { sum: 5, n: 1 }]]));
    expect(await markUsageReport(db(), r.identifier, { status: "sent", sentAtMs: NOW, attempts: 1 })).toBe(true);
    // Settled by another process meanwhile: a late failure does not move it back.
    expect(await markUsageReport(db(), r.identifier, { status: "failed", lastError: "late" })).toBe(false);
    expect(await markUsageReport(db(), "hr:calls:acc_1:none", { status: "sent" })).toBe(false);
    expect((await rowsOf(database.store, "stripeUsageReports")).map((x) => ({ status: x.status, e: x.lastError, attempts: x.attempts }))).toEqual([{ status: "sent", e: null, attempts: 1 }]);
    expect(await dueUsageReports(db(), NOW, 10)).toEqual([]);
  });

  it("hands out the reports due, oldest minute first, up to the limit", async () => {
    await queue(
      report("r_later", { minuteMs: 2 * MINUTE }),
      report("r_first", { minuteMs: 0 }),
      report("r_not_yet", { minuteMs: -MINUTE, nextAttemptAtMs: NOW + 1 }),
      report("r_second", { minuteMs: MINUTE }),
      report("r_sent", { minuteMs: -2 * MINUTE }),
    );
    await markUsageReport(db(), "r_sent", { status: "sent", sentAtMs: NOW });
    expect((await dueUsageReports(db(), NOW, 10)).map((r) => r.identifier)).toEqual(["r_first", "r_second", "r_later"]);
    const [first] = await dueUsageReports(db(), NOW, 1);
    expect(first).toEqual({ ...report("r_first"), status: "pending", attempts: 0, lastError: null, sentAtMs: null });
    expect((await dueUsageReports(db(), NOW + 1, 2)).map((r) => r.identifier)).toEqual(["r_not_yet", "r_first"]);
  });

  it("sums what is still to be sent: pending reports and their oldest minute, refused ones, the latest error not yet overcome", async () => {
    expect(await usageReportBacklog(db())).toEqual({ pending: 0, failed: 0, oldestPendingMinuteMs: null, lastError: null });
    await queue(
      report("r_1", { minuteMs: 3 * MINUTE, createdAtMs: NOW }),
      report("r_2", { minuteMs: 5 * MINUTE, createdAtMs: NOW + 1 }),
      report("r_3", { minuteMs: MINUTE, createdAtMs: NOW + 2 }),
      report("r_4", { minuteMs: 0, createdAtMs: NOW + 3 }),
      report("r_5", { minuteMs: 0, createdAtMs: NOW + 4 }),
    );
    await markUsageReport(db(), "r_1", { lastError: "timeout", attempts: 1 });
    await markUsageReport(db(), "r_2", { status: "failed", lastError: "refused" });
    await markUsageReport(db(), "r_3", { status: "sent", lastError: "was slow", sentAtMs: NOW });
    expect(await usageReportBacklog(db())).toEqual({ pending: 3, failed: 1, oldestPendingMinuteMs: 0, lastError: "refused" });
    // A pending report failing later is the latest error; one sent since does not count.
    await markUsageReport(db(), "r_5", { lastError: "later", attempts: 1 });
    expect(await usageReportBacklog(db())).toEqual({ pending: 3, failed: 1, oldestPendingMinuteMs: 0, lastError: "later" });
  });

  it("counts the calls of one meter per minute in a window, the default meter's old rows with it", async () => {
    await insertRows(database.store, "usageMinute", [
      { minuteMs: 0, keyId: "k1", accountId: "acc_1", meter: "calls", allowed: 4, wouldThrottle: 1, throttled: 7 },
      { minuteMs: 0, keyId: "k2", accountId: "acc_1", meter: "calls", allowed: 2 },
      { minuteMs: 0, keyId: "k1", accountId: "acc_1", meter: "", allowed: 10 },
      { minuteMs: MINUTE, keyId: "k1", accountId: "acc_1", meter: "calls", allowed: 3_000_000_000 },
      { minuteMs: MINUTE, keyId: "k1", accountId: "acc_1", meter: "tokens", allowed: 50 },
      { minuteMs: MINUTE, keyId: "k9", accountId: "acc_2", meter: "calls", allowed: 50 },
      { minuteMs: 2 * MINUTE, keyId: "k1", accountId: "acc_1", meter: "calls", allowed: 1 },
    ]);
    expect(await callsByMinute(db(), "acc_1", 0, 2 * MINUTE, ["calls", ""])).toEqual([
      { minuteMs: 0, n: 17 },
      { minuteMs: MINUTE, n: 3_000_000_000 },
    ]);
    expect(await callsByMinute(db(), "acc_1", MINUTE, 3 * MINUTE, ["tokens", "tokens"])).toEqual([{ minuteMs: MINUTE, n: 50 }]);
    expect(await callsByMinute(db(), "acc_1", 5 * MINUTE, 6 * MINUTE, ["calls", ""])).toEqual([]);
  });

  it("asks for consent again only for a change never sent: one sent meanwhile waits for Stripe's answer", async () => {
    await change("pch_sent", "applying", { providerSentAtMs: NOW });
    expect(await askConsentAgain(db(), "pch_sent", "expired", NOW)).toBe(false);
    await insertRows(database.store, "accounts", [accountRow("acc_2")]);
    await change("pch_unsent", "applying", {}, "acc_2");
    expect(await askConsentAgain(db(), "pch_unsent", "expired", NOW + 5)).toBe(true);
    expect(await askConsentAgain(db(), "pch_unsent", "expired", NOW + 6)).toBe(false);
    const rows = await rowsOf(database.store, "planChanges");
    expect(rows.find((c) => c.id === "pch_unsent")).toMatchObject({ status: "needs_consent", failureMessage: "expired", updatedAtMs: NOW + 5 });
    expect(rows.find((c) => c.id === "pch_sent")).toMatchObject({ status: "applying", failureMessage: null });
  });

  it("lists the changes applying with their quotes, and counts the changes still with Stripe", async () => {
    for (const [i, status] of (["applying", "applying", "payment_pending", "payment_required", "payment_required", "payment_required", "applied", "scheduled"] as const).entries()) {
      await insertRows(database.store, "accounts", [accountRow(`acc_s${i}`)]);
      await change(`pch_${i}`, status, {}, `acc_s${i}`);
    }
    expect((await applyingChanges(db())).map((r) => [r.change.id, r.quote.id, r.quote.toPlanId]).sort()).toEqual([
      ["pch_0", "q_pch_0", "pro"],
      ["pch_1", "q_pch_1", "pro"],
    ]);
    expect(await changesInFlight(db())).toEqual({ applying: 2, paymentPending: 1, paymentRequired: 3 });
  });

  it("finds the switches scheduled at Stripe whose date passed, for accounts still subscribed", async () => {
    await insertRows(database.store, "accounts", [accountRow("acc_2", { stripeSubscriptionId: "sub_2" }), accountRow("acc_3", { stripeSubscriptionId: "sub_3" }), accountRow("acc_4")]);
    await change("pch_due", "scheduled", { providerRef: "sched_2", effectiveAtMs: NOW - 1 }, "acc_2");
    await change("pch_later", "scheduled", { providerRef: "sched_3", effectiveAtMs: NOW + 1 }, "acc_3");
    await change("pch_local", "scheduled", { effectiveAtMs: NOW - 1 }, "acc_1");
    await change("pch_unsubscribed", "scheduled", { providerRef: "sched_4", effectiveAtMs: NOW - 1 }, "acc_4");
    expect(await overdueScheduledSwitches(db(), NOW)).toEqual([{ accountId: "acc_2", subscriptionId: "sub_2" }]);
    expect((await overdueScheduledSwitches(db(), NOW + 1)).sort((a, b) => a.accountId.localeCompare(b.accountId))).toEqual([
      { accountId: "acc_2", subscriptionId: "sub_2" },
      { accountId: "acc_3", subscriptionId: "sub_3" },
    ]);
  });

  it("answers when the latest applied change was applied; one recorded but not yet carried out has no moment and does not hide it", async () => {
    expect(await lastAppliedAtMs(db(), "acc_1")).toBeNull();
    await change("pch_old", "applied", { appliedAtMs: NOW - 10 });
    await change("pch_new", "applied", { appliedAtMs: NOW - 5 });
    await change("pch_unclaimed", "applied");
    await change("pch_cancelled", "cancelled", { appliedAtMs: NOW });
    expect(await lastAppliedAtMs(db(), "acc_1")).toBe(NOW - 5);
  });

  it("of two settlements of one report at once, one moves it and the report shows that one", async () => {
    for (let round = 0; round < 5; round++) {
      const id = `r_race_${round}`;
      await queue(report(id, { minuteMs: round * MINUTE }));
      const [sent, failed] = await Promise.all([markUsageReport(db(), id, { status: "sent", sentAtMs: NOW }), markUsageReport(db(), id, { status: "failed", lastError: "refused" })]);
      expect([sent, failed].filter(Boolean)).toHaveLength(1);
      const stored = (await rowsOf(database.store, "stripeUsageReports")).find((r) => r.identifier === id)!;
      expect(stored.status).toBe(sent ? "sent" : "failed");
    }
  });

  it("of asking for consent again and sending a change at once, exactly one happens", async () => {
    for (let round = 0; round < 5; round++) {
      const accountId = `acc_race_${round}`;
      await insertRows(database.store, "accounts", [accountRow(accountId)]);
      await change(`pch_race_${round}`, "applying", {}, accountId);
      const [asked, another, sent] = await Promise.all([
        askConsentAgain(db(), `pch_race_${round}`, "expired", NOW),
        askConsentAgain(db(), `pch_race_${round}`, "expired", NOW),
        markSent(db(), `pch_race_${round}`, NOW),
      ]);
      expect([asked, another, sent].filter(Boolean)).toHaveLength(1);
      const stored = (await rowsOf(database.store, "planChanges")).find((c) => c.id === `pch_race_${round}`)!;
      expect(stored.status).toBe(sent ? "applying" : "needs_consent");
      expect(stored.providerSentAtMs).toBe(sent ? NOW : null);
    }
  });
});
