import { and, desc, eq, gte, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import { accounts, approvalRequests, consents, planChanges, quotes, settings, usageDay, type AccountRow } from "../schema";
import type { PlanChangeRow, QuoteRow } from "./plan-changes";
import * as pg from "../pg/schema";
import { inTransaction } from "./plan-changes";
import type { Store, Tx } from "./store";
import { statement, type PgTx } from "./unit";
import type { MeterColumn } from "./usage";

/**
 * Billing's storage besides the plan change itself (`plan-changes.ts`) and the ledger
 * (`invoices.ts`): the pause switch, quotes, approvals, the billing calendar's reads, the billing
 * page. Asynchronous, but for the statements (`…InTx`) that run inside a unit of work the billing
 * domain composes with `inTransaction`.
 */

export type NewQuote = typeof quotes.$inferInsert;
export type ApprovalRequestRow = typeof approvalRequests.$inferSelect;

// ---- the pause switch ----------------------------------------------------------------------

const PAUSED_KEY = "billing_paused";

/** The pause switch as stored, read inside the transaction that decides a charge. */
export const isBillingPausedInTx = statement(
  (tx: Tx): boolean => tx.select({ value: settings.value }).from(settings).where(eq(settings.key, PAUSED_KEY)).get()?.value === "true",
  async (tx: PgTx) => (await tx.select({ value: pg.settings.value }).from(pg.settings).where(eq(pg.settings.key, PAUSED_KEY)))[0]?.value === "true",
);

export async function readBillingPaused(store: Store): Promise<boolean> {
  return inTransaction(store, isBillingPausedInTx);
}

export async function writeBillingPaused(store: Store, paused: boolean, nowMs: number): Promise<void> {
  store
    .insert(settings)
    .values({ key: PAUSED_KEY, value: String(paused), updatedAtMs: nowMs })
    .onConflictDoUpdate({ target: settings.key, set: { value: String(paused), updatedAtMs: nowMs } })
    .run();
}

// ---- quotes --------------------------------------------------------------------------------

export async function insertQuote(store: Store, row: NewQuote): Promise<QuoteRow> {
  return store.insert(quotes).values(row).returning().get();
}

/** One of the account's quotes (another account's is not found). */
export async function quoteOfAccount(store: Store, accountId: string, quoteId: string): Promise<QuoteRow | undefined> {
  return store.select().from(quotes).where(and(eq(quotes.id, quoteId), eq(quotes.accountId, accountId))).get();
}

/** The customer consented to the quote (its change was confirmed, or its confirmation is under way). */
export async function quoteConsented(store: Store, quoteId: string): Promise<boolean> {
  return store.select({ id: consents.id }).from(consents).where(eq(consents.quoteId, quoteId)).get() !== undefined;
}

/**
 * The newest quote for the same change from the same account state (same fingerprints), valid
 * until at least `validUntilMs`, that nobody consented to: previewing the same choice again
 * (a reload, back and forward, a second tab) answers it instead of pricing it anew.
 */
export async function reusableQuote(
  store: Store,
  q: Pick<QuoteRow, "accountId" | "kind" | "toPlanId" | "toPlanVersion" | "toInterval" | "accountFingerprint" | "catalogFingerprint"> & { validUntilMs: number },
): Promise<QuoteRow | undefined> {
  return store
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
export async function recentQuotes(store: Store, accountId: string, limit: number): Promise<QuoteRow[]> {
  return store.select().from(quotes).where(eq(quotes.accountId, accountId)).orderBy(desc(quotes.createdAtMs)).limit(limit).all();
}

// ---- approvals -----------------------------------------------------------------------------

export async function approvalRequestById(store: Store, requestId: string): Promise<ApprovalRequestRow | undefined> {
  return store.select().from(approvalRequests).where(eq(approvalRequests.id, requestId)).get();
}

/**
 * Decides an approval request, once: it moves only from pending. False when another operator (or
 * another process) decided it first.
 */
export const decideApprovalInTx = statement(
  (tx: Tx, requestId: string, set: Pick<ApprovalRequestRow, "status" | "reason" | "decidedBy" | "decidedAtMs">): boolean =>
    tx.update(approvalRequests).set(set).where(and(eq(approvalRequests.id, requestId), eq(approvalRequests.status, "pending"))).run().changes === 1,
  async (tx: PgTx, requestId, set) => (await tx.update(pg.approvalRequests).set(set).where(and(eq(pg.approvalRequests.id, requestId), eq(pg.approvalRequests.status, "pending")))).rowCount === 1,
);

export const approvalStatusInTx = statement(
  (tx: Tx, requestId: string): ApprovalRequestRow["status"] | undefined =>
    tx.select({ status: approvalRequests.status }).from(approvalRequests).where(eq(approvalRequests.id, requestId)).get()?.status,
  async (tx: PgTx, requestId) => (await tx.select({ status: pg.approvalRequests.status }).from(pg.approvalRequests).where(eq(pg.approvalRequests.id, requestId)))[0]?.status,
);

/** The requests waiting for an operator, newest first, each with its plan change and quote. */
export async function pendingApprovalRows(store: Store): Promise<Array<{ approval_requests: ApprovalRequestRow; plan_changes: PlanChangeRow; quotes: QuoteRow }>> {
  return store
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
export async function waitingChange(store: Store, accountId: string, planChangeId: string): Promise<PlanChangeRow | undefined> {
  return store
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
export async function cancelWaitingChange(store: Store, accountId: string, planChangeId: string, nowMs: number): Promise<boolean> {
  return store.transaction((tx) => {
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
export async function dueScheduledChanges(store: Store, nowMs: number): Promise<PlanChangeRow[]> {
  return store.select().from(planChanges).where(and(eq(planChanges.status, "scheduled"), lte(planChanges.effectiveAtMs, nowMs), isNull(planChanges.providerRef))).all();
}

/**
 * The applied plan change that started the account's billing period at `anchorMs` (an interval
 * change, Free → paid, the end of grandfathered terms), with the period it cut short: its quote's.
 */
export async function changeThatMovedAnchor(store: Store, accountId: string, anchorMs: number): Promise<{ fromPlanId: string; fromInterval: "month" | "year"; periodStartMs: number } | undefined> {
  return store
    .select({ fromPlanId: quotes.fromPlanId, fromInterval: quotes.fromInterval, periodStartMs: quotes.periodStartMs })
    .from(planChanges)
    .innerJoin(quotes, eq(planChanges.quoteId, quotes.id))
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "applied"), eq(planChanges.effectiveAtMs, anchorMs), sql`${quotes.recurringFromMs} <> ${quotes.periodEndMs}`))
    .get();
}

export async function allAccountRows(store: Store): Promise<AccountRow[]> {
  return store.select().from(accounts).all();
}


// ---- the billing page ----------------------------------------------------------------------

/** Units of one meter served (allowed + would_throttle) on the whole UTC days in [fromMs, toMs), from the day rollup. */
export async function callsOnDays(store: Store, accountId: string, fromMs: number, toMs: number, meter: MeterColumn): Promise<number> {
  return store
    .select({ n: sql<number>`coalesce(sum(${usageDay.allowed} + ${usageDay.wouldThrottle}), 0)` })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), inArray(usageDay.meter, [...meter]), gte(usageDay.dayMs, fromMs), lt(usageDay.dayMs, toMs)))
    .get()!.n;
}

/** The account's plan changes, newest first, each with the consent behind it and its approval if it needed one. */
export async function planChangesWithConsents(store: Store, accountId: string) {
  return store
    .select()
    .from(planChanges)
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .innerJoin(consents, eq(consents.id, planChanges.consentId))
    .leftJoin(approvalRequests, eq(approvalRequests.planChangeId, planChanges.id))
    .where(eq(planChanges.accountId, accountId))
    .orderBy(desc(planChanges.createdAtMs))
    .all()
    .map((r) => ({
      id: r.plan_changes.id,
      kind: r.plan_changes.kind,
      status: r.plan_changes.status,
      fromPlanId: r.plan_changes.fromPlanId,
      toPlanId: r.plan_changes.toPlanId,
      toPlanVersion: r.quotes.toPlanVersion,
      effectiveAtMs: r.plan_changes.effectiveAtMs,
      createdAtMs: r.plan_changes.createdAtMs,
      approval: r.approval_requests ? { status: r.approval_requests.status, reason: r.approval_requests.reason } : null,
      consent: {
        id: r.consents.id,
        text: r.consents.textShown,
        signedInAs: r.consents.signedInAs,
        atMs: r.consents.createdAtMs,
        ip: r.consents.ip,
        amountDueNowMinor: r.consents.amountDueNowMinor,
        recurringMinor: r.consents.recurringMinor,
        currency: r.consents.currency,
      },
    }));
}
