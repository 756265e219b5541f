import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
import { accounts, auditLog, invoices, planChanges, quotes, stripeEvents, stripeUsageReports, usageMinute, type AccountRow, type PlanChangeStatus } from "../schema";
import * as pg from "../pg/schema";
import { inTransaction, updateAccountInTx } from "./plan-changes";
import type { Store, Tx } from "./store";
import { statement, type PgTx } from "./unit";
import type { MeterColumn } from "./usage";

export type { AccountRow } from "../schema";

/**
 * The Stripe provider's storage: what its webhooks, its worker and its meter reports read and write.
 * Reads outside a unit of work are asynchronous, like every query. A webhook stores its event id in
 * the same transaction as its effect, and that effect commits plan changes and mirrors invoices
 * through the plan change's and the invoices' own statements; so the Stripe domain composes those
 * units of work (`inTransaction` of ./plan-changes) from the `…InTx` statements here.
 */

type PlanChangeRow = typeof planChanges.$inferSelect;
type QuoteRow = typeof quotes.$inferSelect;
export type UsageReportRow = typeof stripeUsageReports.$inferSelect;
export type StripeAuditRow = typeof auditLog.$inferInsert;

// ---- webhooks -------------------------------------------------------------------------------

/** Whether a Stripe event was processed already (its id is stored with its effect). */
export async function eventSeen(store: Store, eventId: string): Promise<boolean> {
  return Boolean(store.select({ id: stripeEvents.id }).from(stripeEvents).where(eq(stripeEvents.id, eventId)).get());
}

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

/** The account a Stripe customer is linked to, if any. */
export async function accountIdOfCustomer(store: Store, customerId: string): Promise<string | null> {
  return store.select({ id: accounts.id }).from(accounts).where(eq(accounts.stripeCustomerId, customerId)).get()?.id ?? null;
}

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

// ---- worker ---------------------------------------------------------------------------------

/** Plan changes left "applying", with their quotes. */
export async function applyingChanges(store: Store): Promise<Array<{ change: PlanChangeRow; quote: QuoteRow }>> {
  return store
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
export async function askConsentAgain(store: Store, planChangeId: string, message: string, nowMs: number): Promise<boolean> {
  return (
    store
      .update(planChanges)
      .set({ status: "needs_consent", failureMessage: message, updatedAtMs: nowMs })
      .where(and(eq(planChanges.id, planChangeId), eq(planChanges.status, "applying"), isNull(planChanges.providerSentAtMs)))
      .run().changes === 1
  );
}

/** Switches scheduled at Stripe whose date passed before `beforeMs`, with the subscription of their account. */
export async function overdueScheduledSwitches(store: Store, beforeMs: number): Promise<Array<{ accountId: string; subscriptionId: string }>> {
  return store
    .select({ accountId: planChanges.accountId, subscriptionId: accounts.stripeSubscriptionId })
    .from(planChanges)
    .innerJoin(accounts, eq(accounts.id, planChanges.accountId))
    .where(and(eq(planChanges.status, "scheduled"), isNotNull(planChanges.providerRef), lte(planChanges.effectiveAtMs, beforeMs), isNotNull(accounts.stripeSubscriptionId)))
    .all()
    .map((r) => ({ accountId: r.accountId, subscriptionId: r.subscriptionId! }));
}

/** Plan changes consented to and still with Stripe, by status. */
export async function changesInFlight(store: Store): Promise<{ applying: number; paymentPending: number; paymentRequired: number }> {
  const count = (status: PlanChangeStatus) => store.select({ n: sql<number>`count(*)` }).from(planChanges).where(eq(planChanges.status, status)).get()!.n;
  return { applying: count("applying"), paymentPending: count("payment_pending"), paymentRequired: count("payment_required") };
}

// ---- meter events ---------------------------------------------------------------------------

/** Accounts linked to a Stripe customer and subscription. */
export async function stripeLinkedAccounts(store: Store): Promise<AccountRow[]> {
  return store
    .select()
    .from(accounts)
    .where(and(isNotNull(accounts.stripeCustomerId), isNotNull(accounts.stripeSubscriptionId)))
    .all();
}

/** When the account's latest applied plan change was applied (unix ms), or null. */
export async function lastAppliedAtMs(store: Store, accountId: string): Promise<number | null> {
  return (
    store
      .select({ at: planChanges.appliedAtMs })
      .from(planChanges)
      .where(and(eq(planChanges.accountId, accountId), eq(planChanges.status, "applied")))
      .orderBy(desc(planChanges.appliedAtMs))
      .get()?.at ?? null
  );
}

/** Units of one meter served (allowed + would throttle) per minute in [fromMs, toMs), oldest first. */
export async function callsByMinute(store: Store, accountId: string, fromMs: number, toMs: number, meter: MeterColumn): Promise<Array<{ minuteMs: number; n: number }>> {
  return store
    .select({ minuteMs: usageMinute.minuteMs, n: sql<number>`sum(${usageMinute.allowed} + ${usageMinute.wouldThrottle})` })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, accountId), inArray(usageMinute.meter, [...meter]), gte(usageMinute.minuteMs, fromMs), lt(usageMinute.minuteMs, toMs)))
    .groupBy(usageMinute.minuteMs)
    .orderBy(asc(usageMinute.minuteMs))
    .all();
}

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

/** Reports due to be sent now, oldest minute first. */
export async function dueUsageReports(store: Store, nowMs: number, limit: number): Promise<UsageReportRow[]> {
  return store
    .select()
    .from(stripeUsageReports)
    .where(and(eq(stripeUsageReports.status, "pending"), lte(stripeUsageReports.nextAttemptAtMs, nowMs)))
    .orderBy(asc(stripeUsageReports.minuteMs))
    .limit(limit)
    .all();
}

/** The Stripe customer of each of these accounts (null: not linked). */
export async function stripeCustomersOf(store: Store, accountIds: string[]): Promise<Map<string, string | null>> {
  if (accountIds.length === 0) return new Map();
  return new Map(
    store
      .select({ id: accounts.id, customer: accounts.stripeCustomerId })
      .from(accounts)
      .where(inArray(accounts.id, accountIds))
      .all()
      .map((a) => [a.id, a.customer]),
  );
}

export type UsageReportPatch = Partial<Pick<UsageReportRow, "status" | "attempts" | "nextAttemptAtMs" | "lastError" | "sentAtMs">>;

/** Records how a send went. Only a report still pending moves: one another process already settled stays as it is. */
export async function markUsageReport(store: Store, identifier: string, set: UsageReportPatch): Promise<boolean> {
  return store.update(stripeUsageReports).set(set).where(and(eq(stripeUsageReports.identifier, identifier), eq(stripeUsageReports.status, "pending"))).run().changes === 1;
}

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
export async function usageReportBacklog(store: Store): Promise<{ pending: number; failed: number; oldestPendingMinuteMs: number | null; lastError: string | null }> {
  const pending = store
    .select({ n: sql<number>`count(*)`, oldest: sql<number | null>`min(${stripeUsageReports.minuteMs})` })
    .from(stripeUsageReports)
    .where(eq(stripeUsageReports.status, "pending"))
    .get()!;
  const failed = store.select({ n: sql<number>`count(*)` }).from(stripeUsageReports).where(eq(stripeUsageReports.status, "failed")).get()!.n;
  const lastError =
    store
      .select({ e: stripeUsageReports.lastError })
      .from(stripeUsageReports)
      .where(sql`${stripeUsageReports.lastError} is not null and ${stripeUsageReports.status} != 'sent'`)
      .orderBy(desc(stripeUsageReports.createdAtMs))
      .get()?.e ?? null;
  return { pending: pending.n, failed, oldestPendingMinuteMs: pending.oldest, lastError };
}
