import { and, eq } from "drizzle-orm";
import * as pg from "../pg/schema";
import * as pgQueries from "../pg/queries/billing";
import { approvalRequests, consents, quotes, settings } from "../schema";
import * as liteQueries from "../sqlite/queries/billing";
import { twins, type Store } from "./dispatch";
import { inTransaction, type PlanChangeRow, type QuoteRow } from "./plan-changes";
import type { Tx } from "./store";
import { statement, type PgTx } from "./unit";

/**
 * Billing's storage besides the plan change itself (`plan-changes.ts`) and the ledger
 * (`invoices.ts`): the pause switch, quotes, approvals, the billing calendar's reads, the billing
 * page. Asynchronous, but for the statements (`…InTx`) that run inside a unit of work the billing
 * domain composes with `inTransaction`. The other reads and writes have an implementation per
 * dialect (`server/db/sqlite/queries/billing.ts`, `server/db/pg/queries/billing.ts`), dispatched below.
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

// ---- approvals -----------------------------------------------------------------------------

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

/** A request waiting for an operator, with its plan change and quote. */
export interface PendingApprovalRow {
  approval_requests: ApprovalRequestRow;
  plan_changes: PlanChangeRow;
  quotes: QuoteRow;
}

type ConsentRow = typeof consents.$inferSelect;

/** One of the account's plan changes as the billing page lists it: the consent behind it, its approval if it needed one. */
export interface BillingPlanChange {
  id: string;
  kind: PlanChangeRow["kind"];
  status: PlanChangeRow["status"];
  fromPlanId: string;
  toPlanId: string;
  toPlanVersion: number;
  effectiveAtMs: number;
  createdAtMs: number;
  approval: { status: ApprovalRequestRow["status"]; reason: ApprovalRequestRow["reason"] } | null;
  consent: {
    id: string;
    text: string;
    signedInAs: string;
    atMs: number;
    ip: ConsentRow["ip"];
    amountDueNowMinor: number;
    recurringMinor: number;
    currency: string;
  };
}

/** Billing's reads and writes outside a unit of work, on either dialect (./dispatch). */
export const {
  writeBillingPaused,
  insertQuote,
  quoteOfAccount,
  quoteConsented,
  reusableQuote,
  recentQuotes,
  approvalRequestById,
  pendingApprovalRows,
  waitingChange,
  cancelWaitingChange,
  dueScheduledChanges,
  changeThatMovedAnchor,
  allAccountRows,
  callsOnDays,
  planChangesWithConsents,
} = twins(liteQueries, pgQueries);
