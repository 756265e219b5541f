import { and, desc, eq, lt, ne, sql } from "drizzle-orm";
import * as pgQueries from "../pg/queries/invoices";
import * as pg from "../pg/schema";
import { anomalies, invoiceLines, invoices, sequences } from "../schema";
import * as liteQueries from "../sqlite/queries/invoices";
import { twins } from "./dispatch";
import type { Tx } from "./store";
import { statement, type PgTx } from "./unit";

/**
 * The ledger's storage: invoices, their lines, the numbers they take and the anomalies recorded on
 * them. An invoice is always written inside the unit of work that charges for it (a plan change, a
 * period, a refund, a mirrored remote invoice), so its statements are the `…InTx` kind a unit yields;
 * what the billing page reads is asynchronous, like every query, with an implementation per dialect
 * (`server/db/sqlite/queries/invoices.ts`, `server/db/pg/queries/invoices.ts`), dispatched below.
 */

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceStatus = InvoiceRow["status"];
export type NewInvoice = typeof invoices.$inferInsert;
export type AnomalyRow = typeof anomalies.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;
/** An invoice with its lines, as the billing page lists it. */
export type InvoiceWithLines = InvoiceRow & { lines: InvoiceLineRow[] };

/** One line of an invoice as it is written, amounts in minor units of the invoice's currency. */
export interface NewInvoiceLine {
  id: string;
  kind: (typeof invoiceLines.$inferSelect)["kind"];
  description: string;
  quantity: number;
  amountMinor: number;
  periodStartMs?: number;
  periodEndMs?: number;
}

/**
 * Takes the next value of a named sequence by one statement that increments its row: two processes
 * never get the same value, and a transaction that rolls back hands its value back.
 */
export const nextSequenceValueInTx = statement(
  (tx: Tx, name: string): number =>
    tx
      .insert(sequences)
      .values({ name, value: 1 })
      .onConflictDoUpdate({ target: sequences.name, set: { value: sql`${sequences.value} + 1` } })
      .returning({ value: sequences.value })
      .get()!.value,
  async (tx: PgTx, name) =>
    (
      await tx
        .insert(pg.sequences)
        .values({ name, value: 1 })
        .onConflictDoUpdate({ target: pg.sequences.name, set: { value: sql`${pg.sequences.value} + 1` } })
        .returning({ value: pg.sequences.value })
    )[0]!.value,
);

export const invoiceInTx = statement(
  (tx: Tx, invoiceId: string): InvoiceRow | undefined => tx.select().from(invoices).where(eq(invoices.id, invoiceId)).get(),
  async (tx: PgTx, invoiceId) => (await tx.select().from(pg.invoices).where(eq(pg.invoices.id, invoiceId)))[0],
);

/** The invoice issued under a dedupe key, if any: one invoice per key. */
export const invoiceByDedupeKeyInTx = statement(
  (tx: Tx, dedupeKey: string): InvoiceRow | undefined => tx.select().from(invoices).where(eq(invoices.dedupeKey, dedupeKey)).get(),
  async (tx: PgTx, dedupeKey) => (await tx.select().from(pg.invoices).where(eq(pg.invoices.dedupeKey, dedupeKey)))[0],
);

/** The local copy of an invoice the remote provider issued, by its id there. */
export const invoiceByRemoteIdInTx = statement(
  (tx: Tx, remoteId: string): InvoiceRow | undefined => tx.select().from(invoices).where(eq(invoices.stripeInvoiceId, remoteId)).get(),
  async (tx: PgTx, remoteId) => (await tx.select().from(pg.invoices).where(eq(pg.invoices.stripeInvoiceId, remoteId)))[0],
);

const lineRow = (invoiceId: string, line: NewInvoiceLine) => ({
  id: line.id,
  invoiceId,
  kind: line.kind,
  description: line.description,
  quantity: line.quantity,
  amountMinor: line.amountMinor,
  periodStartMs: line.periodStartMs ?? null,
  periodEndMs: line.periodEndMs ?? null,
});

/** Writes an invoice and its lines. */
export const insertInvoiceInTx = statement(
  (tx: Tx, row: NewInvoice, lines: readonly NewInvoiceLine[]): void => {
    tx.insert(invoices).values(row).run();
    for (const line of lines) tx.insert(invoiceLines).values(lineRow(row.id, line)).run();
  },
  async (tx: PgTx, row, lines) => {
    await tx.insert(pg.invoices).values(row);
    if (lines.length) await tx.insert(pg.invoiceLines).values(lines.map((line) => lineRow(row.id, line)));
  },
);

/** Moves an invoice to another status only from the one it was read in: a concurrent move wins, this one changes nothing. */
export const moveInvoiceInTx = statement(
  (tx: Tx, invoiceId: string, from: InvoiceStatus, to: InvoiceStatus): boolean =>
    tx.update(invoices).set({ status: to }).where(and(eq(invoices.id, invoiceId), eq(invoices.status, from))).run().changes === 1,
  async (tx: PgTx, invoiceId, from, to) => (await tx.update(pg.invoices).set({ status: to }).where(and(eq(pg.invoices.id, invoiceId), eq(pg.invoices.status, from)))).rowCount === 1,
);

/** Links a local invoice to the remote invoice it turned out to be. */
export const setRemoteInvoiceIdInTx = statement(
  (tx: Tx, invoiceId: string, remoteId: string): void => {
    tx.update(invoices).set({ stripeInvoiceId: remoteId }).where(eq(invoices.id, invoiceId)).run();
  },
  async (tx: PgTx, invoiceId, remoteId) => {
    await tx.update(pg.invoices).set({ stripeInvoiceId: remoteId }).where(eq(pg.invoices.id, invoiceId));
  },
);

/**
 * Credit on the account's balance: what plan changes credited beyond their charge (an interval
 * change whose unused time is worth more than the new price), less what later invoices took off.
 */
export const creditBalanceInTx = statement(
  (tx: Tx, accountId: string): number => {
    const credited = tx
      .select({ s: sql<number>`coalesce(sum(-${invoices.totalMinor}), 0)` })
      .from(invoices)
      .where(and(eq(invoices.accountId, accountId), eq(invoices.kind, "proration"), lt(invoices.totalMinor, 0)))
      .get()!.s;
    const taken = tx
      .select({ s: sql<number>`coalesce(sum(-${invoiceLines.amountMinor}), 0)` })
      .from(invoiceLines)
      .innerJoin(invoices, eq(invoiceLines.invoiceId, invoices.id))
      .where(and(eq(invoices.accountId, accountId), eq(invoiceLines.kind, "balance")))
      .get()!.s;
    return Math.max(0, credited - taken);
  },
  async (tx: PgTx, accountId) => {
    // PostgreSQL sums bigints to numeric, which node-postgres hands over as a string.
    const [credited] = await tx
      .select({ s: sql<number>`coalesce(sum(-${pg.invoices.totalMinor}), 0)`.mapWith(Number) })
      .from(pg.invoices)
      .where(and(eq(pg.invoices.accountId, accountId), eq(pg.invoices.kind, "proration"), lt(pg.invoices.totalMinor, 0)));
    const [taken] = await tx
      .select({ s: sql<number>`coalesce(sum(-${pg.invoiceLines.amountMinor}), 0)`.mapWith(Number) })
      .from(pg.invoiceLines)
      .innerJoin(pg.invoices, eq(pg.invoiceLines.invoiceId, pg.invoices.id))
      .where(and(eq(pg.invoices.accountId, accountId), eq(pg.invoiceLines.kind, "balance")));
    return Math.max(0, credited!.s - taken!.s);
  },
);

// ---- anomalies ------------------------------------------------------------------------------

export const anomalyRecordedInTx = statement(
  (tx: Tx, invoiceId: string): boolean => tx.select({ id: anomalies.id }).from(anomalies).where(eq(anomalies.invoiceId, invoiceId)).get() !== undefined,
  async (tx: PgTx, invoiceId) => (await tx.select({ id: pg.anomalies.id }).from(pg.anomalies).where(eq(pg.anomalies.invoiceId, invoiceId))).length > 0,
);

type PeriodOf = Pick<InvoiceRow, "accountId" | "periodStartMs">;

/** The account's period invoice before this one (not void), the one an anomaly compares with. */
export const previousPeriodInvoiceInTx = statement(
  (tx: Tx, invoice: PeriodOf): InvoiceRow | undefined =>
    tx
      .select()
      .from(invoices)
      .where(and(eq(invoices.accountId, invoice.accountId), eq(invoices.kind, "period"), ne(invoices.status, "void"), lt(invoices.periodStartMs, invoice.periodStartMs)))
      .orderBy(desc(invoices.periodStartMs))
      .get(),
  async (tx: PgTx, invoice) =>
    (
      await tx
        .select()
        .from(pg.invoices)
        .where(and(eq(pg.invoices.accountId, invoice.accountId), eq(pg.invoices.kind, "period"), ne(pg.invoices.status, "void"), lt(pg.invoices.periodStartMs, invoice.periodStartMs)))
        .orderBy(desc(pg.invoices.periodStartMs))
        .limit(1)
    )[0],
);

export const insertAnomalyInTx = statement(
  (tx: Tx, row: typeof anomalies.$inferInsert): void => {
    tx.insert(anomalies).values(row).run();
  },
  async (tx: PgTx, row) => {
    await tx.insert(pg.anomalies).values(row);
  },
);

/** The ledger's reads outside a unit of work, on either dialect (./dispatch). */
export const { invoiceIssued, recentInvoicesWithLines } = twins(liteQueries, pgQueries);
