import { and, desc, eq, gte, inArray, isNull, lt, sql } from "drizzle-orm";
import { accounts, anomalies, invoices, notices, outbox, planChanges, planSettings, quotes, usageDay, usageMinute } from "../../schema";
import type { Db } from "../../client";
import { dayColumns, type MeterColumn } from "./usage";

/**
 * What the operator console reads and changes, as the storage boundary answers it: its lists, the
 * enforcement flips, its controls (grandfathering, queued invoices, refunds, anomalies), the shadow
 * audit and the lifecycle metrics. Asynchronous, so that neither the transports nor the operator
 * context hold a database handle, and another store can answer the same calls.
 */

export async function listInvoices(db: Db, input: { accountId?: string; limit?: number }) {
  return db
    .select()
    .from(invoices)
    .innerJoin(accounts, eq(accounts.id, invoices.accountId))
    .where(input.accountId ? eq(invoices.accountId, input.accountId) : undefined)
    .orderBy(desc(invoices.createdAtMs))
    .limit(input.limit ?? 200)
    .all()
    .map(({ invoices: i, accounts: a }) => ({ id: i.id, number: i.number, accountId: a.id, accountName: a.name, kind: i.kind, status: i.status, totalMinor: i.totalMinor, currency: i.currency, createdAtMs: i.createdAtMs }));
}

export async function listAnomalies(db: Db, input: { includeAcknowledged: boolean }) {
  return db
    .select()
    .from(anomalies)
    .innerJoin(accounts, eq(accounts.id, anomalies.accountId))
    .innerJoin(invoices, eq(invoices.id, anomalies.invoiceId))
    .where(input.includeAcknowledged ? undefined : isNull(anomalies.acknowledgedAtMs))
    .orderBy(desc(anomalies.createdAtMs))
    .all()
    .map((r) => ({
      id: r.anomalies.id,
      accountId: r.accounts.id,
      accountName: r.accounts.name,
      invoiceNumber: r.invoices.number,
      previousTotalMinor: r.anomalies.previousTotalMinor,
      totalMinor: r.anomalies.totalMinor,
      currency: r.anomalies.currency,
      createdAtMs: r.anomalies.createdAtMs,
      acknowledgedAtMs: r.anomalies.acknowledgedAtMs,
      periodStartMs: r.invoices.periodStartMs,
      periodEndMs: r.invoices.periodEndMs,
    }));
}

/** E-mails and webhooks as sent (or, without SMTP, as they would have been), newest first. */
export async function listOutbox(db: Db, input: { accountId?: string; limit: number }) {
  return db
    .select()
    .from(outbox)
    .where(input.accountId ? and(eq(outbox.accountId, input.accountId), inArray(outbox.channel, ["email", "webhook"])) : undefined)
    .orderBy(desc(outbox.createdAtMs))
    .limit(input.limit)
    .all()
    .map((m) => {
      const payload = JSON.parse(m.payloadJson) as { text?: string; html?: string };
      return { id: m.id, channel: m.channel, recipient: m.recipient, subject: m.subject, status: m.status, attempts: m.attempts, lastError: m.lastError, createdAtMs: m.createdAtMs, sentAtMs: m.sentAtMs, text: payload.text ?? null, html: payload.html ?? null };
    });
}

/** Messages in the outbox by channel and status, for /metrics. */
export async function outboxCounts(db: Db): Promise<Array<{ channel: string; status: string; n: number }>> {
  return db.select({ channel: outbox.channel, status: outbox.status, n: sql<number>`count(*)` }).from(outbox).groupBy(outbox.channel, outbox.status).all();
}

// ---- enforcement ---------------------------------------------------------------------------

/** The mode an operator set for a plan; undefined when the catalog's stands. */
export async function planEnforcementSetting(db: Db, planId: string): Promise<"off" | "shadow" | "enforce" | undefined> {
  return db.select({ enforcement: planSettings.enforcement }).from(planSettings).where(eq(planSettings.planId, planId)).get()?.enforcement;
}

/**
 * Stores an enforcement flip: a plan's mode, or a cohort's own mode (null: the cohort follows its
 * plan again). A cohort's accounts change only while they are on that plan.
 */
export async function storeEnforcement(
  db: Db,
  flip: { planId: string; atMs: number; by: string } & ({ accountIds: string[]; mode: "off" | "shadow" | "enforce" | null } | { accountIds?: undefined; mode: "off" | "shadow" | "enforce" }),
): Promise<void> {
  if (flip.accountIds) {
    db.update(accounts)
      .set({ enforcementOverride: flip.mode })
      .where(and(inArray(accounts.id, flip.accountIds), eq(accounts.planId, flip.planId)))
      .run();
  } else {
    db.insert(planSettings)
      .values({ planId: flip.planId, enforcement: flip.mode, updatedAtMs: flip.atMs, updatedBy: flip.by })
      .onConflictDoUpdate({ target: planSettings.planId, set: { enforcement: flip.mode, updatedAtMs: flip.atMs, updatedBy: flip.by } })
      .run();
  }
}

// ---- controls ------------------------------------------------------------------------------

/**
 * Keeps these accounts on their terms until `untilMs` (null ends it), in one transaction with the
 * check that every one exists. Their ids and plans, or null (nothing changed) when some do not exist.
 */
export async function grandfatherAccounts(db: Db, accountIds: string[], untilMs: number | null): Promise<Array<{ id: string; planId: string }> | null> {
  return db.transaction((tx) => {
    const rows = tx.select({ id: accounts.id, planId: accounts.planId }).from(accounts).where(inArray(accounts.id, accountIds)).all();
    if (rows.length !== new Set(accountIds).size) return null;
    tx.update(accounts).set({ grandfatheredUntilMs: untilMs }).where(inArray(accounts.id, accountIds)).run();
    return rows;
  });
}

/** An account's plan as stored, for the notices operators' actions raise. */
export async function accountPlan(db: Db, accountId: string): Promise<{ id: string; planId: string } | undefined> {
  return db.select({ id: accounts.id, planId: accounts.planId }).from(accounts).where(eq(accounts.id, accountId)).get();
}

/** Invoices queued while billing was paused are collected: how many. */
export async function collectQueuedInvoices(db: Db): Promise<number> {
  return db.update(invoices).set({ status: "paid" }).where(eq(invoices.status, "queued")).run().changes;
}

export async function queuedInvoiceCount(db: Db): Promise<number> {
  return db.select({ n: sql<number>`count(*)` }).from(invoices).where(eq(invoices.status, "queued")).get()!.n;
}

export type InvoiceRow = typeof invoices.$inferSelect;

export async function findInvoice(db: Db, invoiceId: string): Promise<InvoiceRow | undefined> {
  return db.select().from(invoices).where(eq(invoices.id, invoiceId)).get();
}

export async function invoiceByDedupeKey(db: Db, dedupeKey: string): Promise<InvoiceRow | undefined> {
  return db.select().from(invoices).where(eq(invoices.dedupeKey, dedupeKey)).get();
}

/** What refunds (credit notes keyed `refund:…`) gave back so far for the invoice's account and period, in minor units. */
export async function refundedFor(db: Db, invoice: Pick<InvoiceRow, "accountId" | "periodStartMs" | "periodEndMs">): Promise<number> {
  return -db
    .select({ n: sql<number>`coalesce(sum(${invoices.totalMinor}), 0)` })
    .from(invoices)
    .where(and(eq(invoices.kind, "credit_note"), eq(invoices.accountId, invoice.accountId), sql`${invoices.dedupeKey} like ${`refund:%`}`, eq(invoices.periodStartMs, invoice.periodStartMs), eq(invoices.periodEndMs, invoice.periodEndMs)))
    .get()!.n;
}


/**
 * Acknowledges an anomaly once: a second click (or another operator, on another process) changes
 * nothing. "before" when it was acknowledged already.
 */
export async function acknowledgeAnomalyOnce(db: Db, anomalyId: string, by: string, atMs: number): Promise<"acknowledged" | "before" | "not_found"> {
  const done = db.update(anomalies).set({ acknowledgedAtMs: atMs, acknowledgedBy: by }).where(and(eq(anomalies.id, anomalyId), isNull(anomalies.acknowledgedAtMs))).run();
  if (done.changes === 1) return "acknowledged";
  return db.select({ id: anomalies.id }).from(anomalies).where(eq(anomalies.id, anomalyId)).get() ? "before" : "not_found";
}

// ---- the shadow audit ----------------------------------------------------------------------

export type UsageDayRow = Omit<typeof usageDay.$inferSelect, "meter">;

/** The accounts' day rollups of one meter in [fromDayMs, toMs), a row per account and day. */
export async function usageDaysOf(db: Db, accountIds: string[], meter: MeterColumn, fromDayMs: number, toMs: number): Promise<UsageDayRow[]> {
  return db
    .select(dayColumns)
    .from(usageDay)
    .where(and(inArray(usageDay.accountId, accountIds), inArray(usageDay.meter, [...meter]), gte(usageDay.dayMs, fromDayMs), lt(usageDay.dayMs, toMs)))
    .groupBy(usageDay.accountId, usageDay.dayMs)
    .all();
}

/** The account's last notices created since `sinceMs`, newest first. */
export async function recentNoticesOf(db: Db, accountId: string, sinceMs: number, limit: number): Promise<Array<{ kind: string; createdAtMs: number; deliveredAtMs: number | null }>> {
  return db
    .select({ kind: notices.kind, createdAtMs: notices.createdAtMs, deliveredAtMs: notices.deliveredAtMs })
    .from(notices)
    .where(and(eq(notices.accountId, accountId), gte(notices.createdAtMs, sinceMs)))
    .orderBy(desc(notices.createdAtMs))
    .limit(limit)
    .all();
}

/** The account's newest plan change of any status. */
export async function lastPlanChangeOf(db: Db, accountId: string): Promise<{ toPlanId: string; status: string; createdAtMs: number } | undefined> {
  return db
    .select({ toPlanId: planChanges.toPlanId, status: planChanges.status, createdAtMs: planChanges.createdAtMs })
    .from(planChanges)
    .where(eq(planChanges.accountId, accountId))
    .orderBy(desc(planChanges.createdAtMs))
    .get();
}

/** Units per minute (every outcome) of the account on one meter in [fromMs, toMs), the minutes with traffic only. */
export async function callsPerMinute(db: Db, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): Promise<Array<{ minuteMs: number; calls: number }>> {
  return db
    .select({ minuteMs: usageMinute.minuteMs, calls: sql<number>`sum(${usageMinute.allowed} + ${usageMinute.wouldThrottle} + ${usageMinute.throttled})` })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, accountId), inArray(usageMinute.meter, [...meter]), gte(usageMinute.minuteMs, fromMs), lt(usageMinute.minuteMs, toMs)))
    .groupBy(usageMinute.minuteMs)
    .all();
}


// ---- lifecycle metrics ---------------------------------------------------------------------

export async function allAccountTerms(db: Db): Promise<Array<{ id: string; planId: string; grandfatheredUntilMs: number | null }>> {
  return db.select({ id: accounts.id, planId: accounts.planId, grandfatheredUntilMs: accounts.grandfatheredUntilMs }).from(accounts).all();
}

/** Calls per UTC day in [fromDayMs, toMs): served, would-throttle and throttled, every account together. */
export async function callsPerDay(db: Db, fromDayMs: number, toMs: number): Promise<Array<{ dayMs: number; served: number; wouldThrottle: number; throttled: number }>> {
  return db
    .select({
      dayMs: usageDay.dayMs,
      served: sql<number>`sum(${usageDay.allowed} + ${usageDay.wouldThrottle})`,
      wouldThrottle: sql<number>`sum(${usageDay.wouldThrottle})`,
      throttled: sql<number>`sum(${usageDay.throttled})`,
    })
    .from(usageDay)
    .where(and(gte(usageDay.dayMs, fromDayMs), lt(usageDay.dayMs, toMs)))
    .groupBy(usageDay.dayMs)
    .orderBy(usageDay.dayMs)
    .all();
}

/** Calls over a cap (would-throttle and throttled) of the account on the UTC days in [fromDayMs, toDayMs). */
export async function callsOverCaps(db: Db, accountId: string, fromDayMs: number, toDayMs: number): Promise<number> {
  return db
    .select({ n: sql<number>`coalesce(sum(${usageDay.wouldThrottle} + ${usageDay.throttled}), 0)` })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), gte(usageDay.dayMs, fromDayMs), lt(usageDay.dayMs, toDayMs)))
    .get()!.n;
}

export async function invoicesCreatedBetween(db: Db, fromMs: number, toMs: number): Promise<InvoiceRow[]> {
  return db.select().from(invoices).where(and(gte(invoices.createdAtMs, fromMs), lt(invoices.createdAtMs, toMs))).all();
}

/** Notices of these kinds created in [fromMs, toMs). */
export async function noticesOfKindsBetween(db: Db, kinds: string[], fromMs: number, toMs: number): Promise<Array<{ accountId: string; createdAtMs: number }>> {
  return db
    .select({ accountId: notices.accountId, createdAtMs: notices.createdAtMs })
    .from(notices)
    .where(and(inArray(notices.kind, kinds), gte(notices.createdAtMs, fromMs), lt(notices.createdAtMs, toMs)))
    .all();
}

export async function noticeCountsByKind(db: Db, fromMs: number, toMs: number): Promise<Array<{ kind: string; n: number }>> {
  return db
    .select({ kind: notices.kind, n: sql<number>`count(*)` })
    .from(notices)
    .where(and(gte(notices.createdAtMs, fromMs), lt(notices.createdAtMs, toMs)))
    .groupBy(notices.kind)
    .all();
}

/** Outbox messages created in [fromMs, toMs), by status. */
export async function deliveryCountsByStatus(db: Db, fromMs: number, toMs: number): Promise<Array<{ status: string; n: number }>> {
  return db
    .select({ status: outbox.status, n: sql<number>`count(*)` })
    .from(outbox)
    .where(and(gte(outbox.createdAtMs, fromMs), lt(outbox.createdAtMs, toMs)))
    .groupBy(outbox.status)
    .all();
}

/** When these accounts asked for a quote (opened the wizard). */
export async function quoteTimesOf(db: Db, accountIds: string[]): Promise<Array<{ accountId: string; createdAtMs: number }>> {
  return accountIds.length ? db.select({ accountId: quotes.accountId, createdAtMs: quotes.createdAtMs }).from(quotes).where(inArray(quotes.accountId, accountIds)).all() : [];
}

export type PlanChangeRow = typeof planChanges.$inferSelect;

/** These accounts' applied plan changes. */
export async function appliedPlanChangesOf(db: Db, accountIds: string[]): Promise<PlanChangeRow[]> {
  return accountIds.length ? db.select().from(planChanges).where(and(inArray(planChanges.accountId, accountIds), eq(planChanges.status, "applied"))).all() : [];
}

export async function planChangesCreatedBetween(db: Db, fromMs: number, toMs: number): Promise<PlanChangeRow[]> {
  return db.select().from(planChanges).where(and(gte(planChanges.createdAtMs, fromMs), lt(planChanges.createdAtMs, toMs))).all();
}

/** Which of these invoices had a refund issued against them (a credit note keyed `refund:…` for the same account and period). */
export async function refundedInvoiceIds(db: Db, rows: ReadonlyArray<Pick<InvoiceRow, "id" | "accountId" | "periodStartMs" | "periodEndMs" | "kind">>): Promise<string[]> {
  const accountIds = [...new Set(rows.map((r) => r.accountId))];
  if (accountIds.length === 0) return [];
  const notes = db
    .select({ accountId: invoices.accountId, periodStartMs: invoices.periodStartMs, periodEndMs: invoices.periodEndMs })
    .from(invoices)
    .where(and(eq(invoices.kind, "credit_note"), inArray(invoices.accountId, accountIds), sql`${invoices.dedupeKey} like ${"refund:%"}`))
    .all();
  const key = (r: { accountId: string; periodStartMs: number; periodEndMs: number }) => `${r.accountId}:${r.periodStartMs}:${r.periodEndMs}`;
  const refunded = new Set(notes.map(key));
  return rows.filter((r) => r.kind !== "credit_note" && refunded.has(key(r))).map((r) => r.id);
}
