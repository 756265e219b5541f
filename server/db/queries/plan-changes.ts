import { and, eq, inArray, isNull } from "drizzle-orm";
import * as pgQueries from "../pg/queries/plan-changes";
import * as pg from "../pg/schema";
import { accounts, approvalRequests, consents, OPEN_PLAN_CHANGE_STATUSES, planChanges, quotes, type AccountRow, type PlanChangeStatus } from "../schema";
import * as liteQueries from "../sqlite/queries/plan-changes";
import { isPg, twins, type Store } from "./dispatch";
import type { Tx } from "./store";
import { inPgTransaction, runLite, statement, type PgTx, type Unit } from "./unit";

export type { AccountRow, PlanChangeStatus } from "../schema";

/**
 * The plan change's storage: what a confirmation reads (async, like every query) and the statements
 * its units of work are made of (`…InTx`, yielded by a unit that `inTransaction` runs). The billing
 * domain composes a unit of work because the local provider's charge belongs in the same
 * transaction as the consent it was given for. The reads have an implementation per dialect
 * (`server/db/sqlite/queries/plan-changes.ts`, `server/db/pg/queries/plan-changes.ts`), dispatched here.
 */

export type QuoteRow = typeof quotes.$inferSelect;
export type PlanChangeRow = typeof planChanges.$inferSelect;
export type PlanChangePatch = Partial<typeof planChanges.$inferInsert> & { status: PlanChangeStatus };

/**
 * Runs a unit of work (./unit) in one transaction on the store's dialect: all of it commits, or (it
 * threw) none of it. On PostgreSQL, SERIALIZABLE and run again on a conflict (inPgTransaction).
 */
export async function inTransaction<T>(store: Store, work: () => Unit<T>): Promise<T> {
  if (isPg(store)) return inPgTransaction(store, work);
  return store.transaction((tx) => runLite(work(), tx));
}

/** The plan change's reads outside a unit of work, on either dialect (./dispatch). */
export const { quoteById, changeIdOfQuote, planChangeById, changeWithQuote, scheduledSwitch, markSent } = twins(liteQueries, pgQueries);

/** Moves a change still waiting for the provider to a final status with its reason. */
export async function closeWaiting(store: Store, planChangeId: string, status: PlanChangeStatus, message: string | null, nowMs: number): Promise<boolean> {
  return inTransaction(store, () => moveChangeInTx(planChangeId, ["applying", "payment_required", "payment_pending"], { status, failureMessage: message, updatedAtMs: nowMs }));
}

// ---- statements of the units of work ------------------------------------------------------

/**
 * Moves a plan change to another status, in one statement, only from a status it is expected to be
 * in. False when it is in none of them any more: another process (or request) moved it first, and
 * the caller must do nothing more — no second charge, no second notice.
 */
export const moveChangeInTx = statement(
  (tx: Tx, planChangeId: string, from: readonly PlanChangeStatus[], set: PlanChangePatch): boolean =>
    tx.update(planChanges).set(set).where(and(eq(planChanges.id, planChangeId), inArray(planChanges.status, [...from]))).run().changes === 1,
  async (tx: PgTx, planChangeId, from, set) => (await tx.update(pg.planChanges).set(set).where(and(eq(pg.planChanges.id, planChangeId), inArray(pg.planChanges.status, [...from])))).rowCount === 1,
);

export const planChangeInTx = statement(
  (tx: Tx, planChangeId: string): PlanChangeRow | undefined => tx.select().from(planChanges).where(eq(planChanges.id, planChangeId)).get(),
  async (tx: PgTx, planChangeId) => (await tx.select().from(pg.planChanges).where(eq(pg.planChanges.id, planChangeId)))[0],
);

export const quoteInTx = statement(
  (tx: Tx, quoteId: string): QuoteRow | undefined => tx.select().from(quotes).where(eq(quotes.id, quoteId)).get(),
  async (tx: PgTx, quoteId) => (await tx.select().from(pg.quotes).where(eq(pg.quotes.id, quoteId)))[0],
);

/** The account's plan changes still waiting (pending approval, scheduled, or in flight at the provider), oldest first. */
export const openSwitchesInTx = statement(
  (tx: Tx, accountId: string): PlanChangeRow[] =>
    tx
      .select()
      .from(planChanges)
      .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), inArray(planChanges.status, [...OPEN_PLAN_CHANGE_STATUSES])))
      .orderBy(planChanges.createdAtMs, planChanges.id)
      .all(),
  async (tx: PgTx, accountId) =>
    tx
      .select()
      .from(pg.planChanges)
      .where(and(eq(pg.planChanges.accountId, accountId), eq(pg.planChanges.kind, "plan_change"), inArray(pg.planChanges.status, [...OPEN_PLAN_CHANGE_STATUSES])))
      .orderBy(pg.planChanges.createdAtMs, pg.planChanges.id),
);

/** The approval request of a change, withdrawn if it was still pending. */
export const withdrawApprovalInTx = statement(
  (tx: Tx, planChangeId: string, nowMs: number): void => {
    tx.update(approvalRequests).set({ status: "withdrawn", decidedAtMs: nowMs }).where(and(eq(approvalRequests.planChangeId, planChangeId), eq(approvalRequests.status, "pending"))).run();
  },
  async (tx: PgTx, planChangeId, nowMs) => {
    await tx.update(pg.approvalRequests).set({ status: "withdrawn", decidedAtMs: nowMs }).where(and(eq(pg.approvalRequests.planChangeId, planChangeId), eq(pg.approvalRequests.status, "pending")));
  },
);

type Approval = { toPlanId: string; projected: number; decidedAtMs: number | null };

/** The account's approved requests: the plan each was for, its monthly total, when it was decided. */
export const approvalsInTx = statement(
  (tx: Tx, accountId: string): Approval[] =>
    tx
      .select({ projected: approvalRequests.projectedMonthlyMinor, decidedAtMs: approvalRequests.decidedAtMs, toPlanId: planChanges.toPlanId })
      .from(approvalRequests)
      .innerJoin(planChanges, eq(planChanges.id, approvalRequests.planChangeId))
      .where(and(eq(approvalRequests.accountId, accountId), eq(approvalRequests.status, "approved")))
      .all(),
  async (tx: PgTx, accountId) =>
    tx
      .select({ projected: pg.approvalRequests.projectedMonthlyMinor, decidedAtMs: pg.approvalRequests.decidedAtMs, toPlanId: pg.planChanges.toPlanId })
      .from(pg.approvalRequests)
      .innerJoin(pg.planChanges, eq(pg.planChanges.id, pg.approvalRequests.planChangeId))
      .where(and(eq(pg.approvalRequests.accountId, accountId), eq(pg.approvalRequests.status, "approved"))),
);

export const insertConsentInTx = statement(
  (tx: Tx, row: typeof consents.$inferInsert): void => {
    tx.insert(consents).values(row).run();
  },
  async (tx: PgTx, row) => {
    await tx.insert(pg.consents).values(row);
  },
);

export const insertPlanChangeInTx = statement(
  (tx: Tx, row: typeof planChanges.$inferInsert): void => {
    tx.insert(planChanges).values(row).run();
  },
  async (tx: PgTx, row) => {
    await tx.insert(pg.planChanges).values(row);
  },
);

export const insertApprovalRequestInTx = statement(
  (tx: Tx, row: typeof approvalRequests.$inferInsert): void => {
    tx.insert(approvalRequests).values(row).run();
  },
  async (tx: PgTx, row) => {
    await tx.insert(pg.approvalRequests).values(row);
  },
);

/** Whether the consent behind a change also ticked the overage opt-in offered with it. */
export const consentTickedOverageInTx = statement(
  (tx: Tx, consentId: string): boolean => tx.select({ o: consents.overageOptIn }).from(consents).where(eq(consents.id, consentId)).get()?.o ?? false,
  async (tx: PgTx, consentId) => (await tx.select({ o: pg.consents.overageOptIn }).from(pg.consents).where(eq(pg.consents.id, consentId)))[0]?.o ?? false,
);

/**
 * Claims a change for applying now, once: one just recorded as applied (not yet carried out), or one
 * an operator approves now. False when another request or process got there first.
 */
export const claimForApplyInTx = statement(
  (tx: Tx, planChangeId: string, nowMs: number): boolean =>
    tx
      .update(planChanges)
      .set({ status: "applied", appliedAtMs: nowMs, updatedAtMs: nowMs })
      .where(and(eq(planChanges.id, planChangeId), inArray(planChanges.status, ["applied", "pending_approval"]), isNull(planChanges.appliedAtMs)))
      .run().changes === 1,
  async (tx: PgTx, planChangeId, nowMs) =>
    (
      await tx
        .update(pg.planChanges)
        .set({ status: "applied", appliedAtMs: nowMs, updatedAtMs: nowMs })
        .where(and(eq(pg.planChanges.id, planChangeId), inArray(pg.planChanges.status, ["applied", "pending_approval"]), isNull(pg.planChanges.appliedAtMs)))
    ).rowCount === 1,
);

export const updateChangeInTx = statement(
  (tx: Tx, planChangeId: string, set: Partial<typeof planChanges.$inferInsert>): void => {
    tx.update(planChanges).set(set).where(eq(planChanges.id, planChangeId)).run();
  },
  async (tx: PgTx, planChangeId, set) => {
    await tx.update(pg.planChanges).set(set).where(eq(pg.planChanges.id, planChangeId));
  },
);

export const accountInTx = statement(
  (tx: Tx, accountId: string): AccountRow | undefined => tx.select().from(accounts).where(eq(accounts.id, accountId)).get(),
  async (tx: PgTx, accountId) => (await tx.select().from(pg.accounts).where(eq(pg.accounts.id, accountId)))[0],
);

export const updateAccountInTx = statement(
  (tx: Tx, accountId: string, set: Partial<typeof accounts.$inferInsert>): void => {
    tx.update(accounts).set(set).where(eq(accounts.id, accountId)).run();
  },
  async (tx: PgTx, accountId, set) => {
    await tx.update(pg.accounts).set(set).where(eq(pg.accounts.id, accountId));
  },
);
