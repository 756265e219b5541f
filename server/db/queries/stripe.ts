import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
import { accounts, auditLog, invoices, planChanges, quotes, stripeEvents, stripeUsageReports, usageMinute, type AccountRow, type PlanChangeStatus } from "../schema";
import type { Store, Tx } from "./store";
import type { MeterColumn } from "./usage";

export type { AccountRow } from "../schema";

/**
 * The Stripe provider's storage: what its webhooks, its worker and its meter reports read and write.
 * Reads outside a unit of work are asynchronous, like every query. A webhook stores its event id in
 * the same transaction as its effect, and that effect commits plan changes and mirrors invoices
 * through the plan change's and the invoices' own statements; so the Stripe domain composes those
 * units of work (`inTransaction` of ./plan-changes) from the synchronous `…InTx` statements here.
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
export function storeEventInTx(tx: Tx, event: { id: string; type: string; createdMs: number; processedAtMs: number }): boolean {
  return tx.insert(stripeEvents).values(event).onConflictDoNothing().run().changes === 1;
}

/** The account billed by this subscription, by the subscription id stored on it. */
export function accountBySubscriptionInTx(tx: Tx, subscriptionId: string): AccountRow | undefined {
  return tx.select().from(accounts).where(eq(accounts.stripeSubscriptionId, subscriptionId)).get();
}

/** The account linked to a Stripe customer. */
export function accountByCustomerInTx(tx: Tx, customerId: string): AccountRow | undefined {
  return tx.select().from(accounts).where(eq(accounts.stripeCustomerId, customerId)).get();
}

/** The subscription and customer that bill the account now. */
export function setStripeIdsInTx(tx: Tx, accountId: string, ids: { stripeSubscriptionId: string | null; stripeCustomerId: string | null }): void {
  tx.update(accounts).set(ids).where(eq(accounts.id, accountId)).run();
}

/** The account follows the plan its subscription has at Stripe. */
export function followStripePlanInTx(tx: Tx, accountId: string, set: { planId: string; planVersion: number; planStartedAtMs: number; overageOptIn: boolean; billingInterval?: "month" | "year"; billingAnchorMs?: number }): void {
  tx.update(accounts).set(set).where(eq(accounts.id, accountId)).run();
}

/** The account's switch to this plan that is still waiting for Stripe (in flight, at Checkout, or for its payment). */
export function waitingSwitchToInTx(tx: Tx, accountId: string, toPlanId: string): PlanChangeRow | undefined {
  return tx
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.toPlanId, toPlanId), inArray(planChanges.status, ["applying", "payment_required", "payment_pending"])))
    .get();
}

/** The account's change to this plan scheduled at Stripe, if any. */
export function scheduledChangeToInTx(tx: Tx, accountId: string, toPlanId: string): PlanChangeRow | undefined {
  return tx
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.status, "scheduled"), eq(planChanges.toPlanId, toPlanId)))
    .get();
}

/** The account's switches waiting for their payment (a pending update at Stripe). */
export function switchesAwaitingPaymentInTx(tx: Tx, accountId: string): PlanChangeRow[] {
  return tx
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "payment_pending")))
    .all();
}

/** Shows an invoice void, only while it is still open: a paid one stays paid. */
export function voidOpenInvoiceInTx(tx: Tx, invoiceId: string): void {
  tx.update(invoices).set({ status: "void" }).where(and(eq(invoices.id, invoiceId), eq(invoices.status, "open"))).run();
}

/** An invoice's number (HR-…), or null. */
export function invoiceNumberInTx(tx: Tx, invoiceId: string): string | null {
  return tx.select({ n: invoices.number }).from(invoices).where(eq(invoices.id, invoiceId)).get()?.n ?? null;
}

/** One of Stripe's own audit entries (plan followed, customer linked, pending update expired). */
export function insertStripeAuditInTx(tx: Tx, row: StripeAuditRow): void {
  tx.insert(auditLog).values(row).run();
}

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
  store.transaction((tx) => {
    tx.update(accounts).set(set).where(eq(accounts.id, accountId)).run();
    insertStripeAuditInTx(tx, audit);
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
export function reportedByMinuteInTx(tx: Tx, accountId: string, eventName: string, fromMs: number, toMs: number): Map<number, { sum: number; n: number }> {
  const rows = tx
    .select({ minuteMs: stripeUsageReports.minuteMs, sum: sql<number>`sum(${stripeUsageReports.value})`, n: sql<number>`count(*)` })
    .from(stripeUsageReports)
    .where(and(eq(stripeUsageReports.accountId, accountId), eq(stripeUsageReports.eventName, eventName), gte(stripeUsageReports.minuteMs, fromMs), lt(stripeUsageReports.minuteMs, toMs)))
    .groupBy(stripeUsageReports.minuteMs)
    .all();
  return new Map(rows.map((r) => [r.minuteMs, { sum: r.sum, n: r.n }]));
}

/** Queues a meter event; one with the same identifier queued before stays as it is. */
export function queueUsageReportInTx(tx: Tx, row: Omit<typeof stripeUsageReports.$inferInsert, "status">): void {
  tx.insert(stripeUsageReports)
    .values({ ...row, status: "pending" })
    .onConflictDoNothing()
    .run();
}

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
export function markUsageReportsRefusedInTx(tx: Tx, refusals: ReadonlyArray<{ identifier: string; message: string }>): number {
  let n = 0;
  for (const r of refusals) n += tx.update(stripeUsageReports).set({ status: "failed", lastError: r.message }).where(eq(stripeUsageReports.identifier, r.identifier)).run().changes;
  return n;
}

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
