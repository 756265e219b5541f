import { and, eq, inArray, isNull } from "drizzle-orm";
import { accounts, approvalRequests, consents, OPEN_PLAN_CHANGE_STATUSES, planChanges, quotes, type PlanChangeStatus } from "../schema";
import type { Store, Tx } from "./store";

export type { AccountRow, PlanChangeStatus } from "../schema";

/**
 * The plan change's storage: what a confirmation reads (async, like every query) and the statements
 * its units of work are made of (`…InTx`, synchronous, run inside `inTransaction`). The billing
 * domain composes a unit of work because the local provider's charge belongs in the same
 * transaction as the consent it was given for.
 */

export type QuoteRow = typeof quotes.$inferSelect;
export type PlanChangeRow = typeof planChanges.$inferSelect;
export type PlanChangePatch = Partial<typeof planChanges.$inferInsert> & { status: PlanChangeStatus };

/** Runs a synchronous unit of work in one transaction: all of it commits, or (it threw) none of it. */
export async function inTransaction<T>(store: Store, work: (tx: Tx) => T): Promise<T> {
  return store.transaction((tx) => work(tx));
}

export async function quoteById(store: Store, quoteId: string): Promise<QuoteRow | undefined> {
  return store.select().from(quotes).where(eq(quotes.id, quoteId)).get();
}

/** The plan change a quote was confirmed into, if it was. */
export async function changeIdOfQuote(store: Store, quoteId: string): Promise<string | null> {
  return store.select({ id: planChanges.id }).from(planChanges).where(eq(planChanges.quoteId, quoteId)).get()?.id ?? null;
}

export async function planChangeById(store: Store, planChangeId: string): Promise<PlanChangeRow | undefined> {
  return store.select().from(planChanges).where(eq(planChanges.id, planChangeId)).get();
}

/** A plan change with the quote it was confirmed from. */
export async function changeWithQuote(store: Store, planChangeId: string): Promise<{ change: PlanChangeRow; quote: QuoteRow } | undefined> {
  const row = store.select().from(planChanges).innerJoin(quotes, eq(quotes.id, planChanges.quoteId)).where(eq(planChanges.id, planChangeId)).get();
  return row ? { change: row.plan_changes, quote: row.quotes } : undefined;
}

/** The account's switch scheduled at the provider, if any (at most one waiting change per account). */
export async function scheduledSwitch(store: Store, accountId: string): Promise<PlanChangeRow | undefined> {
  return store
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "scheduled")))
    .get();
}

/**
 * Marks an "applying" change as sent to the provider, before the call: from then on a retry re-sends
 * with the same key and never re-prices. False when it is no longer applying (settled meanwhile).
 */
export async function markSent(store: Store, planChangeId: string, nowMs: number): Promise<boolean> {
  return store.update(planChanges).set({ providerSentAtMs: nowMs, updatedAtMs: nowMs }).where(and(eq(planChanges.id, planChangeId), eq(planChanges.status, "applying"))).run().changes === 1;
}

/** Moves a change still waiting for the provider to a final status with its reason. */
export async function closeWaiting(store: Store, planChangeId: string, status: PlanChangeStatus, message: string | null, nowMs: number): Promise<boolean> {
  return moveChangeInTx(store, planChangeId, ["applying", "payment_required", "payment_pending"], { status, failureMessage: message, updatedAtMs: nowMs });
}

// ---- statements of the units of work ------------------------------------------------------

/**
 * Moves a plan change to another status, in one statement, only from a status it is expected to be
 * in. False when it is in none of them any more: another process (or request) moved it first, and
 * the caller must do nothing more — no second charge, no second notice.
 */
export function moveChangeInTx(tx: Tx, planChangeId: string, from: readonly PlanChangeStatus[], set: PlanChangePatch): boolean {
  return tx.update(planChanges).set(set).where(and(eq(planChanges.id, planChangeId), inArray(planChanges.status, [...from]))).run().changes === 1;
}

export function planChangeInTx(tx: Tx, planChangeId: string): PlanChangeRow | undefined {
  return tx.select().from(planChanges).where(eq(planChanges.id, planChangeId)).get();
}

export function quoteInTx(tx: Tx, quoteId: string): QuoteRow | undefined {
  return tx.select().from(quotes).where(eq(quotes.id, quoteId)).get();
}

/** The account's plan changes still waiting (pending approval, scheduled, or in flight at the provider). */
export function openSwitchesInTx(tx: Tx, accountId: string): PlanChangeRow[] {
  return tx
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), inArray(planChanges.status, [...OPEN_PLAN_CHANGE_STATUSES])))
    .all();
}

/** The approval request of a change, withdrawn if it was still pending. */
export function withdrawApprovalInTx(tx: Tx, planChangeId: string, nowMs: number): void {
  tx.update(approvalRequests).set({ status: "withdrawn", decidedAtMs: nowMs }).where(and(eq(approvalRequests.planChangeId, planChangeId), eq(approvalRequests.status, "pending"))).run();
}

/** The account's approved requests: the plan each was for, its monthly total, when it was decided. */
export function approvalsInTx(tx: Tx, accountId: string): Array<{ toPlanId: string; projected: number; decidedAtMs: number | null }> {
  return tx
    .select({ projected: approvalRequests.projectedMonthlyMinor, decidedAtMs: approvalRequests.decidedAtMs, toPlanId: planChanges.toPlanId })
    .from(approvalRequests)
    .innerJoin(planChanges, eq(planChanges.id, approvalRequests.planChangeId))
    .where(and(eq(approvalRequests.accountId, accountId), eq(approvalRequests.status, "approved")))
    .all();
}

export function insertConsentInTx(tx: Tx, row: typeof consents.$inferInsert): void {
  tx.insert(consents).values(row).run();
}

export function insertPlanChangeInTx(tx: Tx, row: typeof planChanges.$inferInsert): void {
  tx.insert(planChanges).values(row).run();
}

export function insertApprovalRequestInTx(tx: Tx, row: typeof approvalRequests.$inferInsert): void {
  tx.insert(approvalRequests).values(row).run();
}

/** Whether the consent behind a change also ticked the overage opt-in offered with it. */
export function consentTickedOverageInTx(tx: Tx, consentId: string): boolean {
  return tx.select({ o: consents.overageOptIn }).from(consents).where(eq(consents.id, consentId)).get()?.o ?? false;
}

/**
 * Claims a change for applying now, once: one just recorded as applied (not yet carried out), or one
 * an operator approves now. False when another request or process got there first.
 */
export function claimForApplyInTx(tx: Tx, planChangeId: string, nowMs: number): boolean {
  return (
    tx
      .update(planChanges)
      .set({ status: "applied", appliedAtMs: nowMs, updatedAtMs: nowMs })
      .where(and(eq(planChanges.id, planChangeId), inArray(planChanges.status, ["applied", "pending_approval"]), isNull(planChanges.appliedAtMs)))
      .run().changes === 1
  );
}

export function updateChangeInTx(tx: Tx, planChangeId: string, set: Partial<typeof planChanges.$inferInsert>): void {
  tx.update(planChanges).set(set).where(eq(planChanges.id, planChangeId)).run();
}

export function updateAccountInTx(tx: Tx, accountId: string, set: Partial<typeof accounts.$inferInsert>): void {
  tx.update(accounts).set(set).where(eq(accounts.id, accountId)).run();
}
