import { and, desc, eq, gte, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import { accounts, approvalRequests, consents, planChanges, quotes, settings, usageDay, type AccountRow } from "../../schema";
import type { Db } from "../../client";
import type { ApprovalRequestRow, BillingPlanChange, NewQuote, PendingApprovalRow } from "../../queries/billing";
import { billingPlanChangeOf } from "../../queries/billing-rows";
import type { PlanChangeRow, QuoteRow } from "../../queries/plan-changes";
import type { MeterColumn } from "../../queries/usage";

/** The SQLite side of `server/db/queries/billing.ts`: its reads and writes outside a unit of work. */

const PAUSED_KEY = "billing_paused";

export async function writeBillingPaused(db: Db, paused: boolean, nowMs: number): Promise<void> {
  db.insert(settings)
    .values({ key: PAUSED_KEY, value: String(paused), updatedAtMs: nowMs })
    .onConflictDoUpdate({ target: settings.key, set: { value: String(paused), updatedAtMs: nowMs } })
    .run();
}

// ---- quotes --------------------------------------------------------------------------------

export async function insertQuote(db: Db, row: NewQuote): Promise<QuoteRow> {
  return db.insert(quotes).values(row).returning().get();
}

/** One of the account's quotes (another account's is not found). */
export async function quoteOfAccount(db: Db, accountId: string, quoteId: string): Promise<QuoteRow | undefined> {
  return db.select().from(quotes).where(and(eq(quotes.id, quoteId), eq(quotes.accountId, accountId))).get();
}

/** The customer consented to the quote (its change was confirmed, or its confirmation is under way). */
export async function quoteConsented(db: Db, quoteId: string): Promise<boolean> {
  return db.select({ id: consents.id }).from(consents).where(eq(consents.quoteId, quoteId)).get() !== undefined;
}

/**
 * The newest quote for the same change from the same account state (same fingerprints), valid
 * until at least `validUntilMs`, that nobody consented to: previewing the same choice again
 * (a reload, back and forward, a second tab) answers it instead of pricing it anew.
 */
export async function reusableQuote(
  db: Db,
  q: Pick<QuoteRow, "accountId" | "kind" | "toPlanId" | "toPlanVersion" | "toInterval" | "accountFingerprint" | "catalogFingerprint"> & { validUntilMs: number },
): Promise<QuoteRow | undefined> {
  return db
    .select()
    .from(quotes)
    .where(
      and(
        eq(quotes.accountId, q.accountId),
        eq(quotes.kind, q.kind),
        eq(quotes.toPlanId, q.toPlanId),
        eq(quotes.toPlanVersion, q.toPlanVersion),
        eq(quotes.toInterval, q.toInterval),
        eq(quotes.accountFingerprint, q.accountFingerprint),
        eq(quotes.catalogFingerprint, q.catalogFingerprint),
        gte(quotes.expiresAtMs, q.validUntilMs),
        sql`not exists (select 1 from ${consents} where ${consents.quoteId} = ${quotes.id})`,
      ),
    )
    .orderBy(desc(quotes.createdAtMs))
    .limit(1)
    .get();
}

/** The account's most recent quotes, newest first. */
export async function recentQuotes(db: Db, accountId: string, limit: number): Promise<QuoteRow[]> {
  return db.select().from(quotes).where(eq(quotes.accountId, accountId)).orderBy(desc(quotes.createdAtMs)).limit(limit).all();
}

// ---- approvals -----------------------------------------------------------------------------

export async function approvalRequestById(db: Db, requestId: string): Promise<ApprovalRequestRow | undefined> {
  return db.select().from(approvalRequests).where(eq(approvalRequests.id, requestId)).get();
}

/** The requests waiting for an operator, newest first, each with its plan change and quote. */
export async function pendingApprovalRows(db: Db): Promise<PendingApprovalRow[]> {
  return db
    .select()
    .from(approvalRequests)
    .innerJoin(planChanges, eq(planChanges.id, approvalRequests.planChangeId))
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .where(eq(approvalRequests.status, "pending"))
    .orderBy(desc(approvalRequests.createdAtMs))
    .all();
}

// ---- waiting changes -----------------------------------------------------------------------

/** One of the account's changes still waiting (scheduled, or pending approval), if it is. */
export async function waitingChange(db: Db, accountId: string, planChangeId: string): Promise<PlanChangeRow | undefined> {
  return db
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.id, planChangeId), eq(planChanges.accountId, accountId), inArray(planChanges.status, ["scheduled", "pending_approval"])))
    .get();
}

/**
 * Cancels one of the account's waiting changes and withdraws its approval request if one was still
 * pending, in one transaction. False (nothing changed) when the change is not waiting any more, or
 * is not the account's.
 */
export async function cancelWaitingChange(db: Db, accountId: string, planChangeId: string, nowMs: number): Promise<boolean> {
  return db.transaction((tx) => {
    const done = tx
      .update(planChanges)
      .set({ status: "cancelled", updatedAtMs: nowMs })
      .where(and(eq(planChanges.id, planChangeId), eq(planChanges.accountId, accountId), inArray(planChanges.status, ["scheduled", "pending_approval"])))
      .run();
    if (done.changes !== 1) return false;
    tx.update(approvalRequests).set({ status: "withdrawn", decidedAtMs: nowMs }).where(and(eq(approvalRequests.planChangeId, planChangeId), eq(approvalRequests.status, "pending"))).run();
    return true;
  });
}

// ---- the billing calendar ------------------------------------------------------------------

/** Changes scheduled in the local calendar (not at the remote provider) whose date has come. */
export async function dueScheduledChanges(db: Db, nowMs: number): Promise<PlanChangeRow[]> {
  return db.select().from(planChanges).where(and(eq(planChanges.status, "scheduled"), lte(planChanges.effectiveAtMs, nowMs), isNull(planChanges.providerRef))).all();
}

/**
 * The applied plan change that started the account's billing period at `anchorMs` (an interval
 * change, Free → paid, the end of grandfathered terms), with the period it cut short: its quote's.
 */
export async function changeThatMovedAnchor(db: Db, accountId: string, anchorMs: number): Promise<{ fromPlanId: string; fromInterval: "month" | "year"; periodStartMs: number } | undefined> {
  return db
    .select({ fromPlanId: quotes.fromPlanId, fromInterval: quotes.fromInterval, periodStartMs: quotes.periodStartMs })
    .from(planChanges)
    .innerJoin(quotes, eq(planChanges.quoteId, quotes.id))
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "applied"), eq(planChanges.effectiveAtMs, anchorMs), sql`${quotes.recurringFromMs} <> ${quotes.periodEndMs}`))
    .get();
}

export async function allAccountRows(db: Db): Promise<AccountRow[]> {
  return db.select().from(accounts).all();
}

// ---- the billing page ----------------------------------------------------------------------

/** Units of one meter served (allowed + would_throttle) on the whole UTC days in [fromMs, toMs), from the day rollup. */
export async function callsOnDays(db: Db, accountId: string, fromMs: number, toMs: number, meter: MeterColumn): Promise<number> {
  return db
    .select({ n: sql<number>`coalesce(sum(${usageDay.allowed} + ${usageDay.wouldThrottle}), 0)` })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), inArray(usageDay.meter, [...meter]), gte(usageDay.dayMs, fromMs), lt(usageDay.dayMs, toMs)))
    .get()!.n;
}

/** The account's plan changes, newest first, each with the consent behind it and its approval if it needed one. */
export async function planChangesWithConsents(db: Db, accountId: string): Promise<BillingPlanChange[]> {
  return db
    .select()
    .from(planChanges)
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .innerJoin(consents, eq(consents.id, planChanges.consentId))
    .leftJoin(approvalRequests, eq(approvalRequests.planChangeId, planChanges.id))
    .where(eq(planChanges.accountId, accountId))
    .orderBy(desc(planChanges.createdAtMs))
    .all()
    .map(billingPlanChangeOf);
}
