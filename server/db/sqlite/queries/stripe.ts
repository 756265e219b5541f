import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
import { accounts, planChanges, quotes, stripeEvents, stripeUsageReports, usageMinute, type AccountRow, type PlanChangeStatus } from "../../schema";
import type { Db } from "../../client";
import type { PlanChangeRow, QuoteRow } from "../../queries/plan-changes";
import type { UsageReportBacklog, UsageReportPatch, UsageReportRow } from "../../queries/stripe";
import type { MeterColumn } from "../../queries/usage";

/** The SQLite side of `server/db/queries/stripe.ts`: what the Stripe provider reads and writes outside a unit of work. */

// ---- webhooks -------------------------------------------------------------------------------

/** Whether a Stripe event was processed already (its id is stored with its effect). */
export async function eventSeen(db: Db, eventId: string): Promise<boolean> {
  return Boolean(db.select({ id: stripeEvents.id }).from(stripeEvents).where(eq(stripeEvents.id, eventId)).get());
}

// ---- stripe link ----------------------------------------------------------------------------

/** The account a Stripe customer is linked to, if any. */
export async function accountIdOfCustomer(db: Db, customerId: string): Promise<string | null> {
  return db.select({ id: accounts.id }).from(accounts).where(eq(accounts.stripeCustomerId, customerId)).get()?.id ?? null;
}

// ---- worker ---------------------------------------------------------------------------------

/** Plan changes left "applying", with their quotes. */
export async function applyingChanges(db: Db): Promise<Array<{ change: PlanChangeRow; quote: QuoteRow }>> {
  return db
    .select()
    .from(planChanges)
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .where(eq(planChanges.status, "applying"))
    .all()
    .map((r) => ({ change: r.plan_changes, quote: r.quotes }));
}

/**
 * A change still "applying" whose preview expired before it was sent: the customer is asked to
 * consent again. Only while it was never sent: a replayed confirmation may have sent it since it
 * was read, and Stripe's answer to that must be committed. False when another process moved it first.
 */
export async function askConsentAgain(db: Db, planChangeId: string, message: string, nowMs: number): Promise<boolean> {
  return (
    db
      .update(planChanges)
      .set({ status: "needs_consent", failureMessage: message, updatedAtMs: nowMs })
      .where(and(eq(planChanges.id, planChangeId), eq(planChanges.status, "applying"), isNull(planChanges.providerSentAtMs)))
      .run().changes === 1
  );
}

/** Switches scheduled at Stripe whose date passed before `beforeMs`, with the subscription of their account. */
export async function overdueScheduledSwitches(db: Db, beforeMs: number): Promise<Array<{ accountId: string; subscriptionId: string }>> {
  return db
    .select({ accountId: planChanges.accountId, subscriptionId: accounts.stripeSubscriptionId })
    .from(planChanges)
    .innerJoin(accounts, eq(accounts.id, planChanges.accountId))
    .where(and(eq(planChanges.status, "scheduled"), isNotNull(planChanges.providerRef), lte(planChanges.effectiveAtMs, beforeMs), isNotNull(accounts.stripeSubscriptionId)))
    .all()
    .map((r) => ({ accountId: r.accountId, subscriptionId: r.subscriptionId! }));
}

/** Plan changes consented to and still with Stripe, by status. */
export async function changesInFlight(db: Db): Promise<{ applying: number; paymentPending: number; paymentRequired: number }> {
  const count = (status: PlanChangeStatus) => db.select({ n: sql<number>`count(*)` }).from(planChanges).where(eq(planChanges.status, status)).get()!.n;
  return { applying: count("applying"), paymentPending: count("payment_pending"), paymentRequired: count("payment_required") };
}

// ---- meter events ---------------------------------------------------------------------------

/** Accounts linked to a Stripe customer and subscription. */
export async function stripeLinkedAccounts(db: Db): Promise<AccountRow[]> {
  return db
    .select()
    .from(accounts)
    .where(and(isNotNull(accounts.stripeCustomerId), isNotNull(accounts.stripeSubscriptionId)))
    .all();
}

/** When the account's latest applied plan change was applied (unix ms), or null. */
export async function lastAppliedAtMs(db: Db, accountId: string): Promise<number | null> {
  return (
    db
      .select({ at: planChanges.appliedAtMs })
      .from(planChanges)
      .where(and(eq(planChanges.accountId, accountId), eq(planChanges.status, "applied")))
      .orderBy(desc(planChanges.appliedAtMs))
      .get()?.at ?? null
  );
}

/** Units of one meter served (allowed + would throttle) per minute in [fromMs, toMs), oldest first. */
export async function callsByMinute(db: Db, accountId: string, fromMs: number, toMs: number, meter: MeterColumn): Promise<Array<{ minuteMs: number; n: number }>> {
  return db
    .select({ minuteMs: usageMinute.minuteMs, n: sql<number>`sum(${usageMinute.allowed} + ${usageMinute.wouldThrottle})` })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, accountId), inArray(usageMinute.meter, [...meter]), gte(usageMinute.minuteMs, fromMs), lt(usageMinute.minuteMs, toMs)))
    .groupBy(usageMinute.minuteMs)
    .orderBy(asc(usageMinute.minuteMs))
    .all();
}

/** Reports due to be sent now, oldest minute first. */
export async function dueUsageReports(db: Db, nowMs: number, limit: number): Promise<UsageReportRow[]> {
  return db
    .select()
    .from(stripeUsageReports)
    .where(and(eq(stripeUsageReports.status, "pending"), lte(stripeUsageReports.nextAttemptAtMs, nowMs)))
    .orderBy(asc(stripeUsageReports.minuteMs))
    .limit(limit)
    .all();
}

/** The Stripe customer of each of these accounts (null: not linked). */
export async function stripeCustomersOf(db: Db, accountIds: string[]): Promise<Map<string, string | null>> {
  if (accountIds.length === 0) return new Map();
  return new Map(
    db
      .select({ id: accounts.id, customer: accounts.stripeCustomerId })
      .from(accounts)
      .where(inArray(accounts.id, accountIds))
      .all()
      .map((a) => [a.id, a.customer]),
  );
}

/** Records how a send went. Only a report still pending moves: one another process already settled stays as it is. */
export async function markUsageReport(db: Db, identifier: string, set: UsageReportPatch): Promise<boolean> {
  return db.update(stripeUsageReports).set(set).where(and(eq(stripeUsageReports.identifier, identifier), eq(stripeUsageReports.status, "pending"))).run().changes === 1;
}

/** What is still to be sent to Stripe's meters: pending reports (and the oldest minute), refused ones, the last error. */
export async function usageReportBacklog(db: Db): Promise<UsageReportBacklog> {
  const pending = db
    .select({ n: sql<number>`count(*)`, oldest: sql<number | null>`min(${stripeUsageReports.minuteMs})` })
    .from(stripeUsageReports)
    .where(eq(stripeUsageReports.status, "pending"))
    .get()!;
  const failed = db.select({ n: sql<number>`count(*)` }).from(stripeUsageReports).where(eq(stripeUsageReports.status, "failed")).get()!.n;
  const lastError =
    db
      .select({ e: stripeUsageReports.lastError })
      .from(stripeUsageReports)
      .where(sql`${stripeUsageReports.lastError} is not null and ${stripeUsageReports.status} != 'sent'`)
      .orderBy(desc(stripeUsageReports.createdAtMs))
      .get()?.e ?? null;
  return { pending: pending.n, failed, oldestPendingMinuteMs: pending.oldest, lastError };
}
