import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import * as pgQueries from "../pg/queries/stripe";
import * as pg from "../pg/schema";
import { accounts, auditLog, invoices, planChanges, stripeEvents, stripeUsageReports, type AccountRow } from "../schema";
import * as liteQueries from "../sqlite/queries/stripe";
import { twins, type Store } from "./dispatch";
import { inTransaction, updateAccountInTx } from "./plan-changes";
import type { Tx } from "./store";
import { statement, type PgTx } from "./unit";

export type { AccountRow } from "../schema";

/**
 * The Stripe provider's storage: what its webhooks, its worker and its meter reports read and write.
 * Reads outside a unit of work are asynchronous, like every query. A webhook stores its event id in
 * the same transaction as its effect, and that effect commits plan changes and mirrors invoices
 * through the plan change's and the invoices' own statements; so the Stripe domain composes those
 * units of work (`inTransaction` of ./plan-changes) from the `…InTx` statements here. The other reads
 * and writes have an implementation per dialect (`server/db/sqlite/queries/stripe.ts`,
 * `server/db/pg/queries/stripe.ts`), dispatched below.
 */

type PlanChangeRow = typeof planChanges.$inferSelect;
export type UsageReportRow = typeof stripeUsageReports.$inferSelect;
export type StripeAuditRow = typeof auditLog.$inferInsert;

// ---- webhooks -------------------------------------------------------------------------------

/**
 * Stores a Stripe event's id in the transaction of its effect. False when it was stored already
 * (the same event delivered twice at once): the caller then commits no effect.
 */
export const storeEventInTx = statement(
  (tx: Tx, event: { id: string; type: string; createdMs: number; processedAtMs: number }): boolean => tx.insert(stripeEvents).values(event).onConflictDoNothing().run().changes === 1,
  async (tx: PgTx, event) => (await tx.insert(pg.stripeEvents).values(event).onConflictDoNothing()).rowCount === 1,
);

/** The account billed by this subscription, by the subscription id stored on it. */
export const accountBySubscriptionInTx = statement(
  (tx: Tx, subscriptionId: string): AccountRow | undefined => tx.select().from(accounts).where(eq(accounts.stripeSubscriptionId, subscriptionId)).get(),
  async (tx: PgTx, subscriptionId) => (await tx.select().from(pg.accounts).where(eq(pg.accounts.stripeSubscriptionId, subscriptionId)))[0],
);

/** The account linked to a Stripe customer. */
export const accountByCustomerInTx = statement(
  (tx: Tx, customerId: string): AccountRow | undefined => tx.select().from(accounts).where(eq(accounts.stripeCustomerId, customerId)).get(),
  async (tx: PgTx, customerId) => (await tx.select().from(pg.accounts).where(eq(pg.accounts.stripeCustomerId, customerId)))[0],
);

type StripeIds = { stripeSubscriptionId: string | null; stripeCustomerId: string | null };

/** The subscription and customer that bill the account now. */
export const setStripeIdsInTx = statement(
  (tx: Tx, accountId: string, ids: StripeIds): void => {
    tx.update(accounts).set(ids).where(eq(accounts.id, accountId)).run();
  },
  async (tx: PgTx, accountId, ids) => {
    await tx.update(pg.accounts).set(ids).where(eq(pg.accounts.id, accountId));
  },
);

type FollowedPlan = { planId: string; planVersion: number; planStartedAtMs: number; overageOptIn: boolean; billingInterval?: "month" | "year"; billingAnchorMs?: number };

/** The account follows the plan its subscription has at Stripe. */
export const followStripePlanInTx = statement(
  (tx: Tx, accountId: string, set: FollowedPlan): void => {
    tx.update(accounts).set(set).where(eq(accounts.id, accountId)).run();
  },
  async (tx: PgTx, accountId, set) => {
    await tx.update(pg.accounts).set(set).where(eq(pg.accounts.id, accountId));
  },
);

const WAITING_FOR_STRIPE = ["applying", "payment_required", "payment_pending"] as const;

/** The account's switch to this plan that is still waiting for Stripe (in flight, at Checkout, or for its payment). */
export const waitingSwitchToInTx = statement(
  (tx: Tx, accountId: string, toPlanId: string): PlanChangeRow | undefined =>
    tx
      .select()
      .from(planChanges)
      .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.toPlanId, toPlanId), inArray(planChanges.status, [...WAITING_FOR_STRIPE])))
      .get(),
  async (tx: PgTx, accountId, toPlanId) =>
    (
      await tx
        .select()
        .from(pg.planChanges)
        .where(and(eq(pg.planChanges.accountId, accountId), eq(pg.planChanges.kind, "plan_change"), eq(pg.planChanges.toPlanId, toPlanId), inArray(pg.planChanges.status, [...WAITING_FOR_STRIPE])))
        .limit(1)
    )[0],
);

/** The account's change to this plan scheduled at Stripe, if any. */
export const scheduledChangeToInTx = statement(
  (tx: Tx, accountId: string, toPlanId: string): PlanChangeRow | undefined =>
    tx
      .select()
      .from(planChanges)
      .where(and(eq(planChanges.accountId, accountId), eq(planChanges.status, "scheduled"), eq(planChanges.toPlanId, toPlanId)))
      .get(),
  async (tx: PgTx, accountId, toPlanId) =>
    (
      await tx
        .select()
        .from(pg.planChanges)
        .where(and(eq(pg.planChanges.accountId, accountId), eq(pg.planChanges.status, "scheduled"), eq(pg.planChanges.toPlanId, toPlanId)))
        .limit(1)
    )[0],
);

/** The account's switches waiting for their payment (a pending update at Stripe), oldest first. */
export const switchesAwaitingPaymentInTx = statement(
  (tx: Tx, accountId: string): PlanChangeRow[] =>
    tx
      .select()
      .from(planChanges)
      .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "payment_pending")))
      .orderBy(planChanges.createdAtMs, planChanges.id)
      .all(),
  async (tx: PgTx, accountId) =>
    tx
      .select()
      .from(pg.planChanges)
      .where(and(eq(pg.planChanges.accountId, accountId), eq(pg.planChanges.kind, "plan_change"), eq(pg.planChanges.status, "payment_pending")))
      .orderBy(pg.planChanges.createdAtMs, pg.planChanges.id),
);

/** Shows an invoice void, only while it is still open: a paid one stays paid. */
export const voidOpenInvoiceInTx = statement(
  (tx: Tx, invoiceId: string): void => {
    tx.update(invoices).set({ status: "void" }).where(and(eq(invoices.id, invoiceId), eq(invoices.status, "open"))).run();
  },
  async (tx: PgTx, invoiceId) => {
    await tx.update(pg.invoices).set({ status: "void" }).where(and(eq(pg.invoices.id, invoiceId), eq(pg.invoices.status, "open")));
  },
);

/** An invoice's number (HR-…), or null. */
export const invoiceNumberInTx = statement(
  (tx: Tx, invoiceId: string): string | null => tx.select({ n: invoices.number }).from(invoices).where(eq(invoices.id, invoiceId)).get()?.n ?? null,
  async (tx: PgTx, invoiceId) => (await tx.select({ n: pg.invoices.number }).from(pg.invoices).where(eq(pg.invoices.id, invoiceId)))[0]?.n ?? null,
);

/** One of Stripe's own audit entries (plan followed, customer linked, pending update expired). */
export const insertStripeAuditInTx = statement(
  (tx: Tx, row: StripeAuditRow): void => {
    tx.insert(auditLog).values(row).run();
  },
  async (tx: PgTx, row) => {
    await tx.insert(pg.auditLog).values(row);
  },
);

// ---- stripe link ----------------------------------------------------------------------------

/** Links an account to a Stripe customer (and subscription) and audits it, in one transaction. */
export async function linkCustomer(
  store: Store,
  accountId: string,
  set: { stripeCustomerId: string; stripeSubscriptionId: string | null; planId: string; planVersion?: number; planStartedAtMs: number | null; billingAnchorMs: number; billingInterval?: "month" | "year" },
  audit: StripeAuditRow,
): Promise<void> {
  await inTransaction(store, function* () {
    yield* updateAccountInTx(accountId, set);
    yield* insertStripeAuditInTx(audit);
  });
}

// ---- meter events ---------------------------------------------------------------------------

/** What was queued for a meter so far, per minute in [fromMs, toMs): the calls reported and how many reports. */
export const reportedByMinuteInTx = statement(
  (tx: Tx, accountId: string, eventName: string, fromMs: number, toMs: number): Map<number, { sum: number; n: number }> => {
    const rows = tx
      .select({ minuteMs: stripeUsageReports.minuteMs, sum: sql<number>`sum(${stripeUsageReports.value})`, n: sql<number>`count(*)` })
      .from(stripeUsageReports)
      .where(and(eq(stripeUsageReports.accountId, accountId), eq(stripeUsageReports.eventName, eventName), gte(stripeUsageReports.minuteMs, fromMs), lt(stripeUsageReports.minuteMs, toMs)))
      .groupBy(stripeUsageReports.minuteMs)
      .all();
    return new Map(rows.map((r) => [r.minuteMs, { sum: r.sum, n: r.n }]));
  },
  async (tx: PgTx, accountId, eventName, fromMs, toMs) => {
    const r = pg.stripeUsageReports;
    const rows = await tx
      .select({ minuteMs: r.minuteMs, sum: sql<number>`sum(${r.value})`.mapWith(Number), n: sql<number>`count(*)`.mapWith(Number) })
      .from(r)
      .where(and(eq(r.accountId, accountId), eq(r.eventName, eventName), gte(r.minuteMs, fromMs), lt(r.minuteMs, toMs)))
      .groupBy(r.minuteMs);
    return new Map(rows.map((row) => [row.minuteMs, { sum: row.sum, n: row.n }]));
  },
);

type NewUsageReport = Omit<typeof stripeUsageReports.$inferInsert, "status">;

/** Queues a meter event; one with the same identifier queued before stays as it is. */
export const queueUsageReportInTx = statement(
  (tx: Tx, row: NewUsageReport): void => {
    tx.insert(stripeUsageReports)
      .values({ ...row, status: "pending" })
      .onConflictDoNothing()
      .run();
  },
  async (tx: PgTx, row) => {
    await tx
      .insert(pg.stripeUsageReports)
      .values({ ...row, status: "pending" })
      .onConflictDoNothing();
  },
);

export type UsageReportPatch = Partial<Pick<UsageReportRow, "status" | "attempts" | "nextAttemptAtMs" | "lastError" | "sentAtMs">>;

/**
 * Reports Stripe accepted and refused afterwards (its meter error report): marked failed with Stripe's
 * reason, for an operator. Returns how many reports moved.
 */
export const markUsageReportsRefusedInTx = statement(
  (tx: Tx, refusals: ReadonlyArray<{ identifier: string; message: string }>): number => {
    let n = 0;
    for (const r of refusals) n += tx.update(stripeUsageReports).set({ status: "failed", lastError: r.message }).where(eq(stripeUsageReports.identifier, r.identifier)).run().changes;
    return n;
  },
  async (tx: PgTx, refusals) => {
    let n = 0;
    for (const r of refusals) n += (await tx.update(pg.stripeUsageReports).set({ status: "failed", lastError: r.message }).where(eq(pg.stripeUsageReports.identifier, r.identifier))).rowCount ?? 0;
    return n;
  },
);

/** What is still to be sent to Stripe's meters: pending reports (and the oldest minute), refused ones, the last error. */
export interface UsageReportBacklog {
  pending: number;
  failed: number;
  oldestPendingMinuteMs: number | null;
  lastError: string | null;
}

/** The Stripe provider's reads and writes outside a unit of work, on either dialect (./dispatch). */
export const {
  eventSeen,
  accountIdOfCustomer,
  applyingChanges,
  askConsentAgain,
  overdueScheduledSwitches,
  changesInFlight,
  stripeLinkedAccounts,
  lastAppliedAtMs,
  callsByMinute,
  dueUsageReports,
  stripeCustomersOf,
  markUsageReport,
  usageReportBacklog,
} = twins(liteQueries, pgQueries);
