import { and, asc, count, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
import type { AccountRow, PlanChangeRow, QuoteRow } from "../../queries/plan-changes";
import type { UsageReportBacklog, UsageReportPatch, UsageReportRow } from "../../queries/stripe";
import type { MeterColumn } from "../../queries/usage";
import type { PgDb } from "../client";
import { accounts, planChanges, quotes, stripeEvents, stripeUsageReports, usageMinute } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/stripe.ts`: the same functions, the same answers. The
 * moves (`askConsentAgain`, `markUsageReport`) are one conditional update each: under READ COMMITTED
 * an update that waited on a concurrent writer re-checks its condition against the row's new
 * version, so of two at once exactly one moves the row, as with SQLite's single writer.
 */

// ---- webhooks -------------------------------------------------------------------------------

export async function eventSeen(db: PgDb, eventId: string): Promise<boolean> {
  return (await db.select({ id: stripeEvents.id }).from(stripeEvents).where(eq(stripeEvents.id, eventId))).length > 0;
}

// ---- stripe link ----------------------------------------------------------------------------

export async function accountIdOfCustomer(db: PgDb, customerId: string): Promise<string | null> {
  const [row] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.stripeCustomerId, customerId)).limit(1);
  return row?.id ?? null;
}

// ---- worker ---------------------------------------------------------------------------------

export async function applyingChanges(db: PgDb): Promise<Array<{ change: PlanChangeRow; quote: QuoteRow }>> {
  const rows = await db.select().from(planChanges).innerJoin(quotes, eq(quotes.id, planChanges.quoteId)).where(eq(planChanges.status, "applying"));
  return rows.map((r) => ({ change: r.plan_changes, quote: r.quotes }));
}

export async function askConsentAgain(db: PgDb, planChangeId: string, message: string, nowMs: number): Promise<boolean> {
  const done = await db
    .update(planChanges)
    .set({ status: "needs_consent", failureMessage: message, updatedAtMs: nowMs })
    .where(and(eq(planChanges.id, planChangeId), eq(planChanges.status, "applying"), isNull(planChanges.providerSentAtMs)));
  return done.rowCount === 1;
}

export async function overdueScheduledSwitches(db: PgDb, beforeMs: number): Promise<Array<{ accountId: string; subscriptionId: string }>> {
  const rows = await db
    .select({ accountId: planChanges.accountId, subscriptionId: accounts.stripeSubscriptionId })
    .from(planChanges)
    .innerJoin(accounts, eq(accounts.id, planChanges.accountId))
    .where(and(eq(planChanges.status, "scheduled"), isNotNull(planChanges.providerRef), lte(planChanges.effectiveAtMs, beforeMs), isNotNull(accounts.stripeSubscriptionId)));
  return rows.map((r) => ({ accountId: r.accountId, subscriptionId: r.subscriptionId! }));
}

/** The three counts in one statement, so that they are of one moment. */
export async function changesInFlight(db: PgDb): Promise<{ applying: number; paymentPending: number; paymentRequired: number }> {
  const [row] = await db
    .select({
      applying: count(sql`case when ${planChanges.status} = 'applying' then 1 end`),
      paymentPending: count(sql`case when ${planChanges.status} = 'payment_pending' then 1 end`),
      paymentRequired: count(sql`case when ${planChanges.status} = 'payment_required' then 1 end`),
    })
    .from(planChanges)
    .where(inArray(planChanges.status, ["applying", "payment_pending", "payment_required"]));
  return { applying: row!.applying, paymentPending: row!.paymentPending, paymentRequired: row!.paymentRequired };
}

// ---- meter events ---------------------------------------------------------------------------

export async function stripeLinkedAccounts(db: PgDb): Promise<AccountRow[]> {
  return db
    .select()
    .from(accounts)
    .where(and(isNotNull(accounts.stripeCustomerId), isNotNull(accounts.stripeSubscriptionId)));
}

/**
 * A change recorded as applied but not yet carried out has no moment: SQLite sorts NULL lowest, last
 * when descending, and PostgreSQL first, hence `nulls last`.
 */
export async function lastAppliedAtMs(db: PgDb, accountId: string): Promise<number | null> {
  const [row] = await db
    .select({ at: planChanges.appliedAtMs })
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.status, "applied")))
    .orderBy(sql`${planChanges.appliedAtMs} desc nulls last`)
    .limit(1);
  return row?.at ?? null;
}

/** PostgreSQL sums bigints to numeric, which node-postgres hands over as a string. */
export async function callsByMinute(db: PgDb, accountId: string, fromMs: number, toMs: number, meter: MeterColumn): Promise<Array<{ minuteMs: number; n: number }>> {
  return db
    .select({ minuteMs: usageMinute.minuteMs, n: sql<number>`sum(${usageMinute.allowed} + ${usageMinute.wouldThrottle})`.mapWith(Number) })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, accountId), inArray(usageMinute.meter, [...meter]), gte(usageMinute.minuteMs, fromMs), lt(usageMinute.minuteMs, toMs)))
    .groupBy(usageMinute.minuteMs)
    .orderBy(asc(usageMinute.minuteMs));
}

/** Reports of one minute come in their sequence, then identifier order (SQLite leaves their order unspecified). */
export async function dueUsageReports(db: PgDb, nowMs: number, limit: number): Promise<UsageReportRow[]> {
  return db
    .select()
    .from(stripeUsageReports)
    .where(and(eq(stripeUsageReports.status, "pending"), lte(stripeUsageReports.nextAttemptAtMs, nowMs)))
    .orderBy(asc(stripeUsageReports.minuteMs), asc(stripeUsageReports.seq), asc(stripeUsageReports.identifier))
    .limit(limit);
}

export async function stripeCustomersOf(db: PgDb, accountIds: string[]): Promise<Map<string, string | null>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db.select({ id: accounts.id, customer: accounts.stripeCustomerId }).from(accounts).where(inArray(accounts.id, accountIds));
  return new Map(rows.map((a) => [a.id, a.customer]));
}

export async function markUsageReport(db: PgDb, identifier: string, set: UsageReportPatch): Promise<boolean> {
  const done = await db.update(stripeUsageReports).set(set).where(and(eq(stripeUsageReports.identifier, identifier), eq(stripeUsageReports.status, "pending")));
  return done.rowCount === 1;
}

/** Errors of the same millisecond: the one with the greatest identifier (SQLite leaves it unspecified). */
export async function usageReportBacklog(db: PgDb): Promise<UsageReportBacklog> {
  const [pending] = await db
    .select({ n: count(), oldest: sql<number | null>`min(${stripeUsageReports.minuteMs})`.mapWith(Number) })
    .from(stripeUsageReports)
    .where(eq(stripeUsageReports.status, "pending"));
  const [failed] = await db.select({ n: count() }).from(stripeUsageReports).where(eq(stripeUsageReports.status, "failed"));
  const [last] = await db
    .select({ e: stripeUsageReports.lastError })
    .from(stripeUsageReports)
    .where(sql`${stripeUsageReports.lastError} is not null and ${stripeUsageReports.status} != 'sent'`)
    .orderBy(desc(stripeUsageReports.createdAtMs), desc(stripeUsageReports.identifier))
    .limit(1);
  return { pending: pending!.n, failed: failed!.n, oldestPendingMinuteMs: pending!.oldest, lastError: last?.e ?? null };
}
