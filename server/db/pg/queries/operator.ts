import { and, asc, desc, eq, gte, ilike, inArray, isNull, lt, sql } from "drizzle-orm";
import type { InvoiceRow, PlanChangeRow, UsageDayRow } from "../../queries/operator";
import type { MeterColumn } from "../../queries/usage";
import type { PgDb } from "../client";
import { accounts, anomalies, invoices, notices, outbox, planChanges, planSettings, quotes, usageDay, usageMinute } from "../schema";
import { dayColumns } from "./usage";

/**
 * The PostgreSQL side of `server/db/queries/operator.ts`: the same functions, the same answers.
 *
 * Order: where the SQLite side groups without ORDER BY, its rows come out in the grouping's order
 * (SQLite sorts to group); a hash aggregate here would not, so those reads order by the group
 * columns, text in byte order (`collate "C"`, SQLite's BINARY) whatever the database's locale. Where
 * the SQLite side orders by a time only, rows of one instant come out in no promised order there;
 * here the id breaks the tie, so a page cut by LIMIT is the same page on every call.
 */
export type { InvoiceRow, PlanChangeRow, UsageDayRow };

export async function listInvoices(db: PgDb, input: { accountId?: string; limit?: number }) {
  const rows = await db
    .select()
    .from(invoices)
    .innerJoin(accounts, eq(accounts.id, invoices.accountId))
    .where(input.accountId ? eq(invoices.accountId, input.accountId) : undefined)
    .orderBy(desc(invoices.createdAtMs), desc(invoices.id))
    .limit(input.limit ?? 200);
  return rows.map(({ invoices: i, accounts: a }) => ({ id: i.id, number: i.number, accountId: a.id, accountName: a.name, kind: i.kind, status: i.status, totalMinor: i.totalMinor, currency: i.currency, createdAtMs: i.createdAtMs }));
}

export async function listAnomalies(db: PgDb, input: { includeAcknowledged: boolean }) {
  const rows = await db
    .select()
    .from(anomalies)
    .innerJoin(accounts, eq(accounts.id, anomalies.accountId))
    .innerJoin(invoices, eq(invoices.id, anomalies.invoiceId))
    .where(input.includeAcknowledged ? undefined : isNull(anomalies.acknowledgedAtMs))
    .orderBy(desc(anomalies.createdAtMs), desc(anomalies.id));
  return rows.map((r) => ({
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

export async function listOutbox(db: PgDb, input: { accountId?: string; limit: number }) {
  const rows = await db
    .select()
    .from(outbox)
    .where(input.accountId ? and(eq(outbox.accountId, input.accountId), inArray(outbox.channel, ["email", "webhook"])) : undefined)
    .orderBy(desc(outbox.createdAtMs), desc(outbox.id))
    .limit(input.limit);
  return rows.map((m) => {
    const payload = JSON.parse(m.payloadJson) as { text?: string; html?: string };
    return { id: m.id, channel: m.channel, recipient: m.recipient, subject: m.subject, status: m.status, attempts: m.attempts, lastError: m.lastError, createdAtMs: m.createdAtMs, sentAtMs: m.sentAtMs, text: payload.text ?? null, html: payload.html ?? null };
  });
}

export async function outboxCounts(db: PgDb): Promise<Array<{ channel: string; status: string; n: number }>> {
  return db
    .select({ channel: outbox.channel, status: outbox.status, n: sql<number>`count(*)`.mapWith(Number) })
    .from(outbox)
    .groupBy(outbox.channel, outbox.status)
    .orderBy(sql`${outbox.channel} collate "C"`, sql`${outbox.status} collate "C"`);
}

// ---- enforcement ---------------------------------------------------------------------------

export async function planEnforcementSetting(db: PgDb, planId: string): Promise<"off" | "shadow" | "enforce" | undefined> {
  const [row] = await db.select({ enforcement: planSettings.enforcement }).from(planSettings).where(eq(planSettings.planId, planId));
  return row?.enforcement;
}

export async function storeEnforcement(
  db: PgDb,
  flip: { planId: string; atMs: number; by: string } & ({ accountIds: string[]; mode: "off" | "shadow" | "enforce" | null } | { accountIds?: undefined; mode: "off" | "shadow" | "enforce" }),
): Promise<void> {
  if (flip.accountIds) {
    await db
      .update(accounts)
      .set({ enforcementOverride: flip.mode })
      .where(and(inArray(accounts.id, flip.accountIds), eq(accounts.planId, flip.planId)));
  } else {
    await db
      .insert(planSettings)
      .values({ planId: flip.planId, enforcement: flip.mode, updatedAtMs: flip.atMs, updatedBy: flip.by })
      .onConflictDoUpdate({ target: planSettings.planId, set: { enforcement: flip.mode, updatedAtMs: flip.atMs, updatedBy: flip.by } });
  }
}

// ---- controls ------------------------------------------------------------------------------

/**
 * The rows are read `for update`: locked until the commit, none can be deleted or change plan
 * between the check that every one exists and the write, whatever another instance does meanwhile.
 * Ids in byte order (the SQLite side reads them in its primary key's order).
 */
export async function grandfatherAccounts(db: PgDb, accountIds: string[], untilMs: number | null): Promise<Array<{ id: string; planId: string }> | null> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: accounts.id, planId: accounts.planId })
      .from(accounts)
      .where(inArray(accounts.id, accountIds))
      .orderBy(sql`${accounts.id} collate "C"`)
      .for("update");
    if (rows.length !== new Set(accountIds).size) return null;
    await tx.update(accounts).set({ grandfatheredUntilMs: untilMs }).where(inArray(accounts.id, accountIds));
    return rows;
  });
}

export async function accountPlan(db: PgDb, accountId: string): Promise<{ id: string; planId: string } | undefined> {
  const [row] = await db.select({ id: accounts.id, planId: accounts.planId }).from(accounts).where(eq(accounts.id, accountId));
  return row;
}

/** One statement: of two operators collecting at once, each invoice is counted by one of them. */
export async function collectQueuedInvoices(db: PgDb): Promise<number> {
  const result = await db.update(invoices).set({ status: "paid" }).where(eq(invoices.status, "queued"));
  return result.rowCount ?? 0;
}

export async function queuedInvoiceCount(db: PgDb): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(invoices).where(eq(invoices.status, "queued"));
  return row!.n;
}

export async function findInvoice(db: PgDb, invoiceId: string): Promise<InvoiceRow | undefined> {
  const [row] = await db.select().from(invoices).where(eq(invoices.id, invoiceId));
  return row;
}

export async function invoiceByDedupeKey(db: PgDb, dedupeKey: string): Promise<InvoiceRow | undefined> {
  const [row] = await db.select().from(invoices).where(eq(invoices.dedupeKey, dedupeKey));
  return row;
}

/** `ilike`: SQLite's LIKE ignores ASCII case, PostgreSQL's does not. */
export async function refundedFor(db: PgDb, invoice: Pick<InvoiceRow, "accountId" | "periodStartMs" | "periodEndMs">): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${invoices.totalMinor}), 0)`.mapWith(Number) })
    .from(invoices)
    .where(and(eq(invoices.kind, "credit_note"), eq(invoices.accountId, invoice.accountId), ilike(invoices.dedupeKey, "refund:%"), eq(invoices.periodStartMs, invoice.periodStartMs), eq(invoices.periodEndMs, invoice.periodEndMs)));
  return -row!.n;
}

/** One conditional update: of two acknowledgements at once, the second waits for the first's row and finds it set. */
export async function acknowledgeAnomalyOnce(db: PgDb, anomalyId: string, by: string, atMs: number): Promise<"acknowledged" | "before" | "not_found"> {
  const done = await db
    .update(anomalies)
    .set({ acknowledgedAtMs: atMs, acknowledgedBy: by })
    .where(and(eq(anomalies.id, anomalyId), isNull(anomalies.acknowledgedAtMs)));
  if (done.rowCount === 1) return "acknowledged";
  const [row] = await db.select({ id: anomalies.id }).from(anomalies).where(eq(anomalies.id, anomalyId));
  return row ? "before" : "not_found";
}

// ---- the shadow audit ----------------------------------------------------------------------

export async function usageDaysOf(db: PgDb, accountIds: string[], meter: MeterColumn, fromDayMs: number, toMs: number): Promise<UsageDayRow[]> {
  return db
    .select(dayColumns)
    .from(usageDay)
    .where(and(inArray(usageDay.accountId, accountIds), inArray(usageDay.meter, [...meter]), gte(usageDay.dayMs, fromDayMs), lt(usageDay.dayMs, toMs)))
    .groupBy(usageDay.accountId, usageDay.dayMs)
    .orderBy(sql`${usageDay.accountId} collate "C"`, asc(usageDay.dayMs));
}

export async function recentNoticesOf(db: PgDb, accountId: string, sinceMs: number, limit: number): Promise<Array<{ kind: string; createdAtMs: number; deliveredAtMs: number | null }>> {
  return db
    .select({ kind: notices.kind, createdAtMs: notices.createdAtMs, deliveredAtMs: notices.deliveredAtMs })
    .from(notices)
    .where(and(eq(notices.accountId, accountId), gte(notices.createdAtMs, sinceMs)))
    .orderBy(desc(notices.createdAtMs), desc(notices.id))
    .limit(limit);
}

export async function lastPlanChangeOf(db: PgDb, accountId: string): Promise<{ toPlanId: string; status: string; createdAtMs: number } | undefined> {
  const [row] = await db
    .select({ toPlanId: planChanges.toPlanId, status: planChanges.status, createdAtMs: planChanges.createdAtMs })
    .from(planChanges)
    .where(eq(planChanges.accountId, accountId))
    .orderBy(desc(planChanges.createdAtMs), desc(planChanges.id))
    .limit(1);
  return row;
}

export async function callsPerMinute(db: PgDb, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): Promise<Array<{ minuteMs: number; calls: number }>> {
  return db
    .select({ minuteMs: usageMinute.minuteMs, calls: sql<number>`sum(${usageMinute.allowed} + ${usageMinute.wouldThrottle} + ${usageMinute.throttled})`.mapWith(Number) })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, accountId), inArray(usageMinute.meter, [...meter]), gte(usageMinute.minuteMs, fromMs), lt(usageMinute.minuteMs, toMs)))
    .groupBy(usageMinute.minuteMs)
    .orderBy(asc(usageMinute.minuteMs));
}

// ---- lifecycle metrics ---------------------------------------------------------------------

export async function allAccountTerms(db: PgDb): Promise<Array<{ id: string; planId: string; grandfatheredUntilMs: number | null }>> {
  return db.select({ id: accounts.id, planId: accounts.planId, grandfatheredUntilMs: accounts.grandfatheredUntilMs }).from(accounts);
}

export async function callsPerDay(db: PgDb, fromDayMs: number, toMs: number): Promise<Array<{ dayMs: number; served: number; wouldThrottle: number; throttled: number }>> {
  return db
    .select({
      dayMs: usageDay.dayMs,
      served: sql<number>`sum(${usageDay.allowed} + ${usageDay.wouldThrottle})`.mapWith(Number),
      wouldThrottle: sql<number>`sum(${usageDay.wouldThrottle})`.mapWith(Number),
      throttled: sql<number>`sum(${usageDay.throttled})`.mapWith(Number),
    })
    .from(usageDay)
    .where(and(gte(usageDay.dayMs, fromDayMs), lt(usageDay.dayMs, toMs)))
    .groupBy(usageDay.dayMs)
    .orderBy(usageDay.dayMs);
}

export async function callsOverCaps(db: PgDb, accountId: string, fromDayMs: number, toDayMs: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${usageDay.wouldThrottle} + ${usageDay.throttled}), 0)`.mapWith(Number) })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), gte(usageDay.dayMs, fromDayMs), lt(usageDay.dayMs, toDayMs)));
  return row!.n;
}

export async function invoicesCreatedBetween(db: PgDb, fromMs: number, toMs: number): Promise<InvoiceRow[]> {
  return db.select().from(invoices).where(and(gte(invoices.createdAtMs, fromMs), lt(invoices.createdAtMs, toMs)));
}

export async function noticesOfKindsBetween(db: PgDb, kinds: string[], fromMs: number, toMs: number): Promise<Array<{ accountId: string; createdAtMs: number }>> {
  return db
    .select({ accountId: notices.accountId, createdAtMs: notices.createdAtMs })
    .from(notices)
    .where(and(inArray(notices.kind, kinds), gte(notices.createdAtMs, fromMs), lt(notices.createdAtMs, toMs)));
}

export async function noticeCountsByKind(db: PgDb, fromMs: number, toMs: number): Promise<Array<{ kind: string; n: number }>> {
  return db
    .select({ kind: notices.kind, n: sql<number>`count(*)`.mapWith(Number) })
    .from(notices)
    .where(and(gte(notices.createdAtMs, fromMs), lt(notices.createdAtMs, toMs)))
    .groupBy(notices.kind)
    .orderBy(sql`${notices.kind} collate "C"`);
}

export async function deliveryCountsByStatus(db: PgDb, fromMs: number, toMs: number): Promise<Array<{ status: string; n: number }>> {
  return db
    .select({ status: outbox.status, n: sql<number>`count(*)`.mapWith(Number) })
    .from(outbox)
    .where(and(gte(outbox.createdAtMs, fromMs), lt(outbox.createdAtMs, toMs)))
    .groupBy(outbox.status)
    .orderBy(sql`${outbox.status} collate "C"`);
}

export async function quoteTimesOf(db: PgDb, accountIds: string[]): Promise<Array<{ accountId: string; createdAtMs: number }>> {
  return accountIds.length ? db.select({ accountId: quotes.accountId, createdAtMs: quotes.createdAtMs }).from(quotes).where(inArray(quotes.accountId, accountIds)) : [];
}

export async function appliedPlanChangesOf(db: PgDb, accountIds: string[]): Promise<PlanChangeRow[]> {
  return accountIds.length ? db.select().from(planChanges).where(and(inArray(planChanges.accountId, accountIds), eq(planChanges.status, "applied"))) : [];
}

export async function planChangesCreatedBetween(db: PgDb, fromMs: number, toMs: number): Promise<PlanChangeRow[]> {
  return db.select().from(planChanges).where(and(gte(planChanges.createdAtMs, fromMs), lt(planChanges.createdAtMs, toMs)));
}

/** `ilike`, as in refundedFor. */
export async function refundedInvoiceIds(db: PgDb, rows: ReadonlyArray<Pick<InvoiceRow, "id" | "accountId" | "periodStartMs" | "periodEndMs" | "kind">>): Promise<string[]> {
  const accountIds = [...new Set(rows.map((r) => r.accountId))];
  if (accountIds.length === 0) return [];
  const notes = await db
    .select({ accountId: invoices.accountId, periodStartMs: invoices.periodStartMs, periodEndMs: invoices.periodEndMs })
    .from(invoices)
    .where(and(eq(invoices.kind, "credit_note"), inArray(invoices.accountId, accountIds), ilike(invoices.dedupeKey, "refund:%")));
  const key = (r: { accountId: string; periodStartMs: number; periodEndMs: number }) => `${r.accountId}:${r.periodStartMs}:${r.periodEndMs}`;
  const refunded = new Set(notes.map(key));
  return rows.filter((r) => r.kind !== "credit_note" && refunded.has(key(r))).map((r) => r.id);
}
