import { and, asc, desc, eq, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import { accounts, anomalies, approvalRequests, experimentEvents, experiments, invoices, usageDay } from "../../schema";
import type { Db } from "../../client";

/**
 * Pricing experiments as the storage boundary answers them: the one active experiment, its edits
 * before the start, its append-only trail, and what its scorecard reads about the cohort.
 */

export type ExperimentRow = typeof experiments.$inferSelect;
export type NewExperimentRow = typeof experiments.$inferInsert;
export interface ExperimentEventRow {
  id: string;
  experimentId: string;
  atMs: number;
  actor: string;
  kind: string;
  details: Record<string, unknown>;
}

const eventValues = (e: ExperimentEventRow) => ({ id: e.id, experimentId: e.experimentId, atMs: e.atMs, actor: e.actor, kind: e.kind, detailsJson: JSON.stringify(e.details) });

/** Stores a new active experiment with its "created" event; "conflict" while another is active. */
export async function insertExperiment(db: Db, row: NewExperimentRow, event: ExperimentEventRow): Promise<"created" | "conflict"> {
  return db.transaction((tx) => {
    if (tx.select({ id: experiments.id }).from(experiments).where(isNotNull(experiments.active)).get()) return "conflict";
    tx.insert(experiments).values({ ...row, active: 1 }).run();
    tx.insert(experimentEvents).values(eventValues(event)).run();
    return "created";
  });
}

export async function activeExperiment(db: Db): Promise<ExperimentRow | undefined> {
  return db.select().from(experiments).where(isNotNull(experiments.active)).get();
}

export async function experimentById(db: Db, id: string): Promise<ExperimentRow | undefined> {
  return db.select().from(experiments).where(eq(experiments.id, id)).get();
}

/** Every experiment, newest first. */
export async function listExperiments(db: Db): Promise<ExperimentRow[]> {
  return db.select().from(experiments).orderBy(desc(experiments.createdAtMs), sql`rowid desc`).all();
}

/**
 * Replaces an experiment's definition while it has not started (checked in the same transaction
 * as the write) and records the edit. "started" when it began (or ended) before the edit.
 */
export async function updateExperimentBeforeStart(db: Db, id: string, fields: Partial<NewExperimentRow>, nowMs: number, event: ExperimentEventRow): Promise<"updated" | "started" | "not_found"> {
  return db.transaction((tx) => {
    const row = tx.select().from(experiments).where(eq(experiments.id, id)).get();
    if (!row) return "not_found";
    if (row.startMs <= nowMs || row.endedAtMs !== null) return "started";
    tx.update(experiments).set({ ...fields, updatedAtMs: nowMs }).where(eq(experiments.id, id)).run();
    tx.insert(experimentEvents).values(eventValues(event)).run();
    return "updated";
  });
}

/** Ends the experiment (it stays readable) with its "ended" event; "ended_before" when it already was. */
export async function endExperiment(db: Db, id: string, atMs: number, event: ExperimentEventRow): Promise<"ended" | "ended_before" | "not_found"> {
  return db.transaction((tx) => {
    const row = tx.select({ endedAtMs: experiments.endedAtMs }).from(experiments).where(eq(experiments.id, id)).get();
    if (!row) return "not_found";
    if (row.endedAtMs !== null) return "ended_before";
    tx.update(experiments).set({ active: null, endedAtMs: atMs, updatedAtMs: atMs }).where(eq(experiments.id, id)).run();
    tx.insert(experimentEvents).values(eventValues(event)).run();
    return "ended";
  });
}

export async function appendExperimentEvent(db: Db, event: ExperimentEventRow): Promise<void> {
  db.insert(experimentEvents).values(eventValues(event)).run();
}

/** The experiment's trail, oldest first. */
export async function experimentEventsOf(db: Db, experimentId: string): Promise<ExperimentEventRow[]> {
  return db
    .select()
    .from(experimentEvents)
    .where(eq(experimentEvents.experimentId, experimentId))
    // Insertion order breaks ties: events of one instant stay in the order they happened.
    .orderBy(asc(experimentEvents.atMs), sql`rowid`)
    .all()
    .map((e) => ({ id: e.id, experimentId: e.experimentId, atMs: e.atMs, actor: e.actor, kind: e.kind, details: JSON.parse(e.detailsJson) as Record<string, unknown> }));
}

// ---- what the scorecard reads ---------------------------------------------------------------

export interface CohortAccount {
  id: string;
  name: string;
  planId: string;
  grandfatheredUntilMs: number | null;
}

/** The cohort's accounts: these ids (the ones that exist), or every account when null. */
export async function cohortAccounts(db: Db, accountIds: string[] | null): Promise<CohortAccount[]> {
  const cols = { id: accounts.id, name: accounts.name, planId: accounts.planId, grandfatheredUntilMs: accounts.grandfatheredUntilMs };
  if (accountIds === null) return db.select(cols).from(accounts).orderBy(asc(accounts.name)).all();
  return accountIds.length ? db.select(cols).from(accounts).where(inArray(accounts.id, accountIds)).orderBy(asc(accounts.name)).all() : [];
}

/** Calls served per account and UTC day in [fromDayMs, toMs), every meter together. */
export async function servedPerAccountDay(db: Db, accountIds: string[], fromDayMs: number, toMs: number): Promise<Array<{ accountId: string; dayMs: number; served: number }>> {
  if (accountIds.length === 0) return [];
  return db
    .select({ accountId: usageDay.accountId, dayMs: usageDay.dayMs, served: sql<number>`sum(${usageDay.allowed} + ${usageDay.wouldThrottle})` })
    .from(usageDay)
    .where(and(inArray(usageDay.accountId, accountIds), gte(usageDay.dayMs, fromDayMs), lt(usageDay.dayMs, toMs)))
    .groupBy(usageDay.accountId, usageDay.dayMs)
    .all();
}

/** Bills flagged as more than twice the previous period's, created in [fromMs, toMs). */
export async function anomaliesBetween(db: Db, fromMs: number, toMs: number): Promise<Array<{ accountId: string; atMs: number; invoiceId: string }>> {
  return db
    .select({ accountId: anomalies.accountId, atMs: anomalies.createdAtMs, invoiceId: anomalies.invoiceId })
    .from(anomalies)
    .where(and(gte(anomalies.createdAtMs, fromMs), lt(anomalies.createdAtMs, toMs)))
    .all();
}

/** Accounts with a change an operator approved above the billing cap. */
export async function accountsWithApprovedChanges(db: Db, accountIds: string[]): Promise<string[]> {
  if (accountIds.length === 0) return [];
  return db
    .selectDistinct({ accountId: approvalRequests.accountId })
    .from(approvalRequests)
    .where(and(inArray(approvalRequests.accountId, accountIds), eq(approvalRequests.status, "approved")))
    .all()
    .map((r) => r.accountId);
}

/** Paid invoices (not credit notes) of these accounts created in [fromMs, toMs): what a refund can give back. */
export async function paidInvoicesOf(db: Db, accountIds: string[], fromMs: number, toMs: number) {
  if (accountIds.length === 0) return [];
  return db
    .select({ id: invoices.id, number: invoices.number, accountId: invoices.accountId, totalMinor: invoices.totalMinor, currency: invoices.currency, createdAtMs: invoices.createdAtMs, periodStartMs: invoices.periodStartMs, periodEndMs: invoices.periodEndMs })
    .from(invoices)
    .where(and(inArray(invoices.accountId, accountIds), eq(invoices.status, "paid"), sql`${invoices.kind} <> 'credit_note'`, gte(invoices.createdAtMs, fromMs), lt(invoices.createdAtMs, toMs)))
    .orderBy(asc(invoices.createdAtMs))
    .all();
}
