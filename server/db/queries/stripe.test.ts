import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Database_ } from "../client";
import { accounts, consents, planChanges, quotes } from "../schema";
import { inTransaction } from "./plan-changes";
import { askConsentAgain, dueUsageReports, eventSeen, linkCustomer, markUsageReport, queueUsageReportInTx, reportedByMinuteInTx, storeEventInTx } from "./stripe";
import { memoryDatabase } from "../../testing/memory-database";

let database: Database_;
const NOW = Date.parse("2026-11-16T12:00:00Z");

beforeEach(() => {
  database = memoryDatabase();
  database.db.insert(accounts).values({ id: "acc_1", name: "Acme", email: "ops@acme.example", planId: "starter", billingAnchorMs: NOW, createdAtMs: NOW }).run();
});
afterEach(() => database.close());

const audit = (id: string) => ({ id, atMs: NOW, actor: "operator:cli", action: "stripe.linked", accountId: "acc_1", detailsJson: "{}" });
const link = { stripeCustomerId: "cus_1", stripeSubscriptionId: "sub_1", planId: "pro", planStartedAtMs: NOW, billingAnchorMs: NOW };

describe("Stripe queries", () => {
  it("stores an event id once: the second store of the same event commits nothing", async () => {
    const event = { id: "evt_1", type: "invoice.paid", createdMs: NOW, processedAtMs: NOW };
    expect(await eventSeen(database.db, "evt_1")).toBe(false);
    expect(await inTransaction(database.db, () => storeEventInTx(event))).toBe(true);
    expect(await inTransaction(database.db, () => storeEventInTx(event))).toBe(false);
    expect(await eventSeen(database.db, "evt_1")).toBe(true);
  });

  it("links a customer and audits it together, or neither", async () => {
    await linkCustomer(database.db, "acc_1", link, audit("aud_1"));
    // The same audit id again fails the insert: the second link is rolled back with it.
    await expect(linkCustomer(database.db, "acc_1", { ...link, stripeCustomerId: "cus_2", planId: "business" }, audit("aud_1"))).rejects.toThrow();
    expect(database.sqlite.prepare("select stripe_customer_id as customer, plan_id as plan from accounts").get()).toEqual({ customer: "cus_1", plan: "pro" });
    expect(database.sqlite.prepare("select count(*) from audit_log").pluck().get()).toBe(1);
  });

  it("queues a report identifier once, and moves only a report still pending", async () => {
    const report = { identifier: "hr:calls:acc_1:0", accountId: "acc_1", eventName: "headroom_api_calls", minuteMs: 0, seq: 0, value: 5, nextAttemptAtMs: NOW, createdAtMs: NOW };
    await inTransaction(database.db, function* () {
      yield* queueUsageReportInTx(report);
      yield* queueUsageReportInTx({ ...report, value: 9 });
    });
    expect(await inTransaction(database.db, () => reportedByMinuteInTx("acc_1", "headroom_api_calls", 0, 60_000))).toEqual(new Map([[0, { sum: 5, n: 1 }]]));
    expect(await markUsageReport(database.db, report.identifier, { status: "sent", sentAtMs: NOW, attempts: 1 })).toBe(true);
    // Settled by another process meanwhile: a late failure does not move it back.
    expect(await markUsageReport(database.db, report.identifier, { status: "failed", lastError: "late" })).toBe(false);
    expect(database.sqlite.prepare("select status, last_error as e from stripe_usage_reports").get()).toEqual({ status: "sent", e: null });
    expect(await dueUsageReports(database.db, NOW, 10)).toEqual([]);
  });

  it("asks for consent again only for a change never sent: one sent meanwhile waits for Stripe's answer", async () => {
    const db = database.db;
    db.insert(quotes).values({ id: "qt_1", accountId: "acc_1", kind: "plan_change", fromPlanId: "starter", toPlanId: "pro", timing: "now", effectiveAtMs: NOW, prorationAtMs: NOW, periodStartMs: NOW, periodEndMs: NOW + 1, recurringFromMs: NOW + 1, creditMinor: 0, chargeMinor: 0, amountDueNowMinor: 0, recurringMinor: 4900, currency: "USD", linesJson: "[]", consentText: "ok", accountFingerprint: "-", catalogFingerprint: "-", projectedMonthlyMinor: 4900, createdAtMs: NOW, expiresAtMs: NOW }).run();
    db.insert(consents).values({ id: "cns_1", quoteId: "qt_1", accountId: "acc_1", signedInAs: "ops@acme.example", textShown: "ok", amountDueNowMinor: 0, recurringMinor: 4900, currency: "USD", createdAtMs: NOW }).run();
    const change = { accountId: "acc_1", quoteId: "qt_1", consentId: "cns_1", kind: "plan_change" as const, fromPlanId: "starter", toPlanId: "pro", status: "applying" as const, effectiveAtMs: NOW, createdAtMs: NOW, updatedAtMs: NOW };
    db.insert(planChanges).values({ ...change, id: "pch_sent", providerSentAtMs: NOW }).run();
    expect(await askConsentAgain(db, "pch_sent", "expired", NOW)).toBe(false);
    db.delete(planChanges).run();
    db.insert(planChanges).values({ ...change, id: "pch_unsent" }).run();
    expect(await askConsentAgain(db, "pch_unsent", "expired", NOW)).toBe(true);
  });
});
