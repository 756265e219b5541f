import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { CohortAccount, ExperimentEventRow, ExperimentRow, NewExperimentRow } from "../../queries/experiments";
import type { PgDb } from "../client";
import { accounts, anomalies, approvalRequests, experimentEvents, experiments, invoices, usageDay } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/experiments.ts`: the same functions, the same answers.
 * Each unit that reads before it writes is atomic under READ COMMITTED with several instances: the
 * write carries the condition (or the unique index decides), and the read after it only tells the
 * refusals apart.
 *
 * Insertion order. The SQLite side breaks ties of one instant by rowid, the order rows were
 * inserted in. A PostgreSQL table has no such column, and the schema adds none. Its stand-in here is
 * the inserting transaction's id (`xmin`): transaction ids are handed out in increasing order, each
 * unit below inserts at most one event, so of two events of one instant the one inserted first has
 * the older xmin; ordered by `age(xmin)` (how many transactions ago), which stays right across the
 * 32-bit counter's wraparound. It is kept while a row is never updated, as events are (append-only);
 * the event id breaks what is left (two events of one transaction). Of two transactions writing at
 * once, xmin says which began to write first where SQLite's one writer makes it the one that
 * committed first: two operators' events of one millisecond, in either order. A dump and restore
 * loads every row in one transaction: ties of one instant then fall back to the id's order.
 * Experiments themselves are updated (edits, the end), which gives them a new xmin, so they take
 * their creation order from their first event: the "created" event is inserted in the transaction
 * that inserts the experiment.
 */
export type { CohortAccount, ExperimentEventRow, ExperimentRow, NewExperimentRow };

const eventValues = (e: ExperimentEventRow) => ({ id: e.id, experimentId: e.experimentId, atMs: e.atMs, actor: e.actor, kind: e.kind, detailsJson: JSON.stringify(e.details) });

/**
 * One insert decides between two experiments created at once: `active` is unique, and `ON CONFLICT
 * (active) DO NOTHING` waits for the other insert's commit and then skips it.
 */
export async function insertExperiment(db: PgDb, row: NewExperimentRow, event: ExperimentEventRow): Promise<"created" | "conflict"> {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(experiments)
      .values({ ...row, active: 1 })
      .onConflictDoNothing({ target: experiments.active })
      .returning({ id: experiments.id });
    if (inserted.length === 0) return "conflict";
    await tx.insert(experimentEvents).values(eventValues(event));
    return "created";
  });
}

export async function activeExperiment(db: PgDb): Promise<ExperimentRow | undefined> {
  const [row] = await db.select().from(experiments).where(isNotNull(experiments.active));
  return row;
}

export async function experimentById(db: PgDb, id: string): Promise<ExperimentRow | undefined> {
  const [row] = await db.select().from(experiments).where(eq(experiments.id, id));
  return row;
}

/** How many transactions ago the experiment's first event was inserted: its place in insertion order (see above). */
const createdAge = sql`(select max(age(${experimentEvents}.xmin)) from ${experimentEvents} where ${experimentEvents.experimentId} = ${experiments.id})`;

/** Every experiment, newest first; of one instant, the last inserted first. */
export async function listExperiments(db: PgDb): Promise<ExperimentRow[]> {
  return db
    .select()
    .from(experiments)
    .orderBy(sql`${experiments.createdAtMs} desc`, sql`${createdAge} asc nulls first`, sql`${experiments.id} collate "C" desc`);
}

/**
 * The update carries the condition (not started, not ended): PostgreSQL re-checks it on the row's
 * latest version, so an edit racing the end (or the start's instant) either lands before it or
 * changes nothing. The read after it only tells "started" from "not_found".
 */
export async function updateExperimentBeforeStart(db: PgDb, id: string, fields: Partial<NewExperimentRow>, nowMs: number, event: ExperimentEventRow): Promise<"updated" | "started" | "not_found"> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(experiments)
      .set({ ...fields, updatedAtMs: nowMs })
      .where(and(eq(experiments.id, id), sql`${experiments.startMs} > ${nowMs}`, isNull(experiments.endedAtMs)))
      .returning({ id: experiments.id });
    if (updated.length === 0) {
      const [row] = await tx.select({ id: experiments.id }).from(experiments).where(eq(experiments.id, id));
      return row ? "started" : "not_found";
    }
    await tx.insert(experimentEvents).values(eventValues(event));
    return "updated";
  });
}

/** The same shape: the end is one conditional update, so two ends at once record one "ended" event. */
export async function endExperiment(db: PgDb, id: string, atMs: number, event: ExperimentEventRow): Promise<"ended" | "ended_before" | "not_found"> {
  return db.transaction(async (tx) => {
    const ended = await tx
      .update(experiments)
      .set({ active: null, endedAtMs: atMs, updatedAtMs: atMs })
      .where(and(eq(experiments.id, id), isNull(experiments.endedAtMs)))
      .returning({ id: experiments.id });
    if (ended.length === 0) {
      const [row] = await tx.select({ id: experiments.id }).from(experiments).where(eq(experiments.id, id));
      return row ? "ended_before" : "not_found";
    }
    await tx.insert(experimentEvents).values(eventValues(event));
    return "ended";
  });
}

export async function appendExperimentEvent(db: PgDb, event: ExperimentEventRow): Promise<void> {
  await db.insert(experimentEvents).values(eventValues(event));
}

/** The experiment's trail, oldest first; events of one instant in the order they were inserted (see above). */
export async function experimentEventsOf(db: PgDb, experimentId: string): Promise<ExperimentEventRow[]> {
  const rows = await db
    .select()
    .from(experimentEvents)
    .where(eq(experimentEvents.experimentId, experimentId))
    .orderBy(asc(experimentEvents.atMs), sql`age(${experimentEvents}.xmin) desc`, sql`${experimentEvents.id} collate "C"`);
  return rows.map((e) => ({ id: e.id, experimentId: e.experimentId, atMs: e.atMs, actor: e.actor, kind: e.kind, details: JSON.parse(e.detailsJson) as Record<string, unknown> }));
}

// ---- what the scorecard reads ---------------------------------------------------------------

/** By name in byte order (SQLite's BINARY collation), whatever the database's locale; one name twice in id order. */
export async function cohortAccounts(db: PgDb, accountIds: string[] | null): Promise<CohortAccount[]> {
  const cols = { id: accounts.id, name: accounts.name, planId: accounts.planId, grandfatheredUntilMs: accounts.grandfatheredUntilMs };
  const byName = [sql`${accounts.name} collate "C"`, sql`${accounts.id} collate "C"`];
  if (accountIds === null) return db.select(cols).from(accounts).orderBy(...byName);
  return accountIds.length ? db.select(cols).from(accounts).where(inArray(accounts.id, accountIds)).orderBy(...byName) : [];
}

export async function servedPerAccountDay(db: PgDb, accountIds: string[], fromDayMs: number, toMs: number): Promise<Array<{ accountId: string; dayMs: number; served: number }>> {
  if (accountIds.length === 0) return [];
  return db
    .select({ accountId: usageDay.accountId, dayMs: usageDay.dayMs, served: sql<number>`sum(${usageDay.allowed} + ${usageDay.wouldThrottle})`.mapWith(Number) })
    .from(usageDay)
    .where(and(inArray(usageDay.accountId, accountIds), gte(usageDay.dayMs, fromDayMs), lt(usageDay.dayMs, toMs)))
    .groupBy(usageDay.accountId, usageDay.dayMs)
    // SQLite hands groups over in their order; a hash aggregate would not.
    .orderBy(sql`${usageDay.accountId} collate "C"`, asc(usageDay.dayMs));
}

export async function anomaliesBetween(db: PgDb, fromMs: number, toMs: number): Promise<Array<{ accountId: string; atMs: number; invoiceId: string }>> {
  return db
    .select({ accountId: anomalies.accountId, atMs: anomalies.createdAtMs, invoiceId: anomalies.invoiceId })
    .from(anomalies)
    .where(and(gte(anomalies.createdAtMs, fromMs), lt(anomalies.createdAtMs, toMs)));
}

export async function accountsWithApprovedChanges(db: PgDb, accountIds: string[]): Promise<string[]> {
  if (accountIds.length === 0) return [];
  const rows = await db
    .selectDistinct({ accountId: approvalRequests.accountId })
    .from(approvalRequests)
    .where(and(inArray(approvalRequests.accountId, accountIds), eq(approvalRequests.status, "approved")));
  return rows.map((r) => r.accountId);
}

export async function paidInvoicesOf(db: PgDb, accountIds: string[], fromMs: number, toMs: number) {
  if (accountIds.length === 0) return [];
  return db
    .select({ id: invoices.id, number: invoices.number, accountId: invoices.accountId, totalMinor: invoices.totalMinor, currency: invoices.currency, createdAtMs: invoices.createdAtMs, periodStartMs: invoices.periodStartMs, periodEndMs: invoices.periodEndMs })
    .from(invoices)
    .where(and(inArray(invoices.accountId, accountIds), eq(invoices.status, "paid"), sql`${invoices.kind} <> 'credit_note'`, gte(invoices.createdAtMs, fromMs), lt(invoices.createdAtMs, toMs)))
    .orderBy(asc(invoices.createdAtMs), asc(invoices.id));
}
