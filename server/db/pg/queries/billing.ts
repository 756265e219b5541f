import { and, desc, eq, gte, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import type { ApprovalRequestRow, BillingPlanChange, NewQuote, PendingApprovalRow } from "../../queries/billing";
import { billingPlanChangeOf } from "../../queries/billing-rows";
import type { AccountRow, PlanChangeRow, QuoteRow } from "../../queries/plan-changes";
import { retryingConflicts } from "../../queries/unit";
import type { MeterColumn } from "../../queries/usage";
import type { PgDb } from "../client";
import { accounts, approvalRequests, consents, planChanges, quotes, settings, usageDay } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/billing.ts`: the same functions, the same answers. Where
 * SQLite leaves the order of rows created in the same millisecond unspecified, they come here in a
 * fixed order (by id) so that a page does not reshuffle between two reads.
 */

const PAUSED_KEY = "billing_paused";

export async function writeBillingPaused(db: PgDb, paused: boolean, nowMs: number): Promise<void> {
  await db
    .insert(settings)
    .values({ key: PAUSED_KEY, value: String(paused), updatedAtMs: nowMs })
    .onConflictDoUpdate({ target: settings.key, set: { value: String(paused), updatedAtMs: nowMs } });
}

// ---- quotes --------------------------------------------------------------------------------

export async function insertQuote(db: PgDb, row: NewQuote): Promise<QuoteRow> {
  const [inserted] = await db.insert(quotes).values(row).returning();
  return inserted!;
}

export async function quoteOfAccount(db: PgDb, accountId: string, quoteId: string): Promise<QuoteRow | undefined> {
  const [row] = await db.select().from(quotes).where(and(eq(quotes.id, quoteId), eq(quotes.accountId, accountId)));
  return row;
}

export async function quoteConsented(db: PgDb, quoteId: string): Promise<boolean> {
  return (await db.select({ id: consents.id }).from(consents).where(eq(consents.quoteId, quoteId)).limit(1)).length > 0;
}

export async function reusableQuote(
  db: PgDb,
  q: Pick<QuoteRow, "accountId" | "kind" | "toPlanId" | "toPlanVersion" | "toInterval" | "accountFingerprint" | "catalogFingerprint"> & { validUntilMs: number },
): Promise<QuoteRow | undefined> {
  const [row] = await db
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
    .orderBy(desc(quotes.createdAtMs), desc(quotes.id))
    .limit(1);
  return row;
}

export async function recentQuotes(db: PgDb, accountId: string, limit: number): Promise<QuoteRow[]> {
  return db.select().from(quotes).where(eq(quotes.accountId, accountId)).orderBy(desc(quotes.createdAtMs), desc(quotes.id)).limit(limit);
}

// ---- approvals -----------------------------------------------------------------------------

export async function approvalRequestById(db: PgDb, requestId: string): Promise<ApprovalRequestRow | undefined> {
  const [row] = await db.select().from(approvalRequests).where(eq(approvalRequests.id, requestId));
  return row;
}

export async function pendingApprovalRows(db: PgDb): Promise<PendingApprovalRow[]> {
  return db
    .select()
    .from(approvalRequests)
    .innerJoin(planChanges, eq(planChanges.id, approvalRequests.planChangeId))
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .where(eq(approvalRequests.status, "pending"))
    .orderBy(desc(approvalRequests.createdAtMs), desc(approvalRequests.id));
}

// ---- waiting changes -----------------------------------------------------------------------

export async function waitingChange(db: PgDb, accountId: string, planChangeId: string): Promise<PlanChangeRow | undefined> {
  const [row] = await db
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.id, planChangeId), eq(planChanges.accountId, accountId), inArray(planChanges.status, ["scheduled", "pending_approval"])));
  return row;
}

/**
 * The cancelling update carries the condition (still waiting, the account's): under READ COMMITTED
 * an update that waited on a concurrent writer re-checks it against the row's new version, so of two
 * cancellations, or a cancellation and an approval, exactly one moves the change. The approval
 * request is locked first, the order the operator's decision takes its rows in (request, then
 * change), so the two queue instead of deadlocking; a deadlock with another order is retried whole.
 */
export async function cancelWaitingChange(db: PgDb, accountId: string, planChangeId: string, nowMs: number): Promise<boolean> {
  return retryingConflicts(() =>
    db.transaction(async (tx) => {
      await tx.select({ id: approvalRequests.id }).from(approvalRequests).where(eq(approvalRequests.planChangeId, planChangeId)).for("update");
      const done = await tx
        .update(planChanges)
        .set({ status: "cancelled", updatedAtMs: nowMs })
        .where(and(eq(planChanges.id, planChangeId), eq(planChanges.accountId, accountId), inArray(planChanges.status, ["scheduled", "pending_approval"])));
      if (done.rowCount !== 1) return false;
      await tx.update(approvalRequests).set({ status: "withdrawn", decidedAtMs: nowMs }).where(and(eq(approvalRequests.planChangeId, planChangeId), eq(approvalRequests.status, "pending")));
      return true;
    }),
  );
}

// ---- the billing calendar ------------------------------------------------------------------

/** In no particular order, as in SQLite: each is applied on its own. */
export async function dueScheduledChanges(db: PgDb, nowMs: number): Promise<PlanChangeRow[]> {
  return db.select().from(planChanges).where(and(eq(planChanges.status, "scheduled"), lte(planChanges.effectiveAtMs, nowMs), isNull(planChanges.providerRef)));
}

export async function changeThatMovedAnchor(db: PgDb, accountId: string, anchorMs: number): Promise<{ fromPlanId: string; fromInterval: "month" | "year"; periodStartMs: number } | undefined> {
  const [row] = await db
    .select({ fromPlanId: quotes.fromPlanId, fromInterval: quotes.fromInterval, periodStartMs: quotes.periodStartMs })
    .from(planChanges)
    .innerJoin(quotes, eq(planChanges.quoteId, quotes.id))
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "applied"), eq(planChanges.effectiveAtMs, anchorMs), sql`${quotes.recurringFromMs} <> ${quotes.periodEndMs}`))
    .limit(1);
  return row;
}

export async function allAccountRows(db: PgDb): Promise<AccountRow[]> {
  return db.select().from(accounts);
}

// ---- the billing page ----------------------------------------------------------------------

/** PostgreSQL sums bigints to numeric, which node-postgres hands over as a string. */
export async function callsOnDays(db: PgDb, accountId: string, fromMs: number, toMs: number, meter: MeterColumn): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${usageDay.allowed} + ${usageDay.wouldThrottle}), 0)`.mapWith(Number) })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), inArray(usageDay.meter, [...meter]), gte(usageDay.dayMs, fromMs), lt(usageDay.dayMs, toMs)));
  return row!.n;
}

export async function planChangesWithConsents(db: PgDb, accountId: string): Promise<BillingPlanChange[]> {
  const rows = await db
    .select()
    .from(planChanges)
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .innerJoin(consents, eq(consents.id, planChanges.consentId))
    .leftJoin(approvalRequests, eq(approvalRequests.planChangeId, planChanges.id))
    .where(eq(planChanges.accountId, accountId))
    .orderBy(desc(planChanges.createdAtMs), desc(planChanges.id));
  return rows.map(billingPlanChangeOf);
}
