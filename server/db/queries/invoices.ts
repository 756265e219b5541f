import { and, desc, eq, inArray, lt, ne, sql } from "drizzle-orm";
import { anomalies, invoiceLines, invoices, sequences } from "../schema";
import type { Store, Tx } from "./store";

/**
 * The ledger's storage: invoices, their lines, the numbers they take and the anomalies recorded on
 * them. An invoice is always written inside the unit of work that charges for it (a plan change, a
 * period, a refund, a mirrored remote invoice), so its statements are the synchronous `…InTx` kind;
 * what the billing page reads is asynchronous, like every query.
 */

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceStatus = InvoiceRow["status"];
export type NewInvoice = typeof invoices.$inferInsert;
export type AnomalyRow = typeof anomalies.$inferSelect;

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
export function nextSequenceValueInTx(tx: Tx, name: string): number {
  return tx
    .insert(sequences)
    .values({ name, value: 1 })
    .onConflictDoUpdate({ target: sequences.name, set: { value: sql`${sequences.value} + 1` } })
    .returning({ value: sequences.value })
    .get()!.value;
}

export function invoiceInTx(tx: Tx, invoiceId: string): InvoiceRow | undefined {
  return tx.select().from(invoices).where(eq(invoices.id, invoiceId)).get();
}

/** The invoice issued under a dedupe key, if any: one invoice per key. */
export function invoiceByDedupeKeyInTx(tx: Tx, dedupeKey: string): InvoiceRow | undefined {
  return tx.select().from(invoices).where(eq(invoices.dedupeKey, dedupeKey)).get();
}

/** The local copy of an invoice the remote provider issued, by its id there. */
export function invoiceByRemoteIdInTx(tx: Tx, remoteId: string): InvoiceRow | undefined {
  return tx.select().from(invoices).where(eq(invoices.stripeInvoiceId, remoteId)).get();
}

/** Writes an invoice and its lines. */
export function insertInvoiceInTx(tx: Tx, row: NewInvoice, lines: readonly NewInvoiceLine[]): void {
  tx.insert(invoices).values(row).run();
  for (const line of lines) {
    tx.insert(invoiceLines)
      .values({ id: line.id, invoiceId: row.id, kind: line.kind, description: line.description, quantity: line.quantity, amountMinor: line.amountMinor, periodStartMs: line.periodStartMs ?? null, periodEndMs: line.periodEndMs ?? null })
      .run();
  }
}

/** Moves an invoice to another status only from the one it was read in: a concurrent move wins, this one changes nothing. */
export function moveInvoiceInTx(tx: Tx, invoiceId: string, from: InvoiceStatus, to: InvoiceStatus): boolean {
  return tx.update(invoices).set({ status: to }).where(and(eq(invoices.id, invoiceId), eq(invoices.status, from))).run().changes === 1;
}

/** Links a local invoice to the remote invoice it turned out to be. */
export function setRemoteInvoiceIdInTx(tx: Tx, invoiceId: string, remoteId: string): void {
  tx.update(invoices).set({ stripeInvoiceId: remoteId }).where(eq(invoices.id, invoiceId)).run();
}

/**
 * Credit on the account's balance: what plan changes credited beyond their charge (an interval
 * change whose unused time is worth more than the new price), less what later invoices took off.
 */
export function creditBalanceInTx(tx: Tx, accountId: string): number {
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
}

/** Whether an invoice was issued under this dedupe key. */
export async function invoiceIssued(store: Store, dedupeKey: string): Promise<boolean> {
  return store.select({ id: invoices.id }).from(invoices).where(eq(invoices.dedupeKey, dedupeKey)).get() !== undefined;
}

/** The account's latest invoices (newest first) with their lines, as the billing page lists them. */
export async function recentInvoicesWithLines(store: Store, accountId: string, limit: number): Promise<Array<InvoiceRow & { lines: Array<typeof invoiceLines.$inferSelect> }>> {
  const rows = store.select().from(invoices).where(eq(invoices.accountId, accountId)).orderBy(desc(invoices.createdAtMs)).limit(limit).all();
  const lines = rows.length ? store.select().from(invoiceLines).where(inArray(invoiceLines.invoiceId, rows.map((i) => i.id))).all() : [];
  return rows.map((i) => ({ ...i, lines: lines.filter((l) => l.invoiceId === i.id) }));
}

// ---- anomalies ------------------------------------------------------------------------------

export function anomalyRecordedInTx(tx: Tx, invoiceId: string): boolean {
  return tx.select({ id: anomalies.id }).from(anomalies).where(eq(anomalies.invoiceId, invoiceId)).get() !== undefined;
}

/** The account's period invoice before this one (not void), the one an anomaly compares with. */
export function previousPeriodInvoiceInTx(tx: Tx, invoice: Pick<InvoiceRow, "accountId" | "periodStartMs">): InvoiceRow | undefined {
  return tx
    .select()
    .from(invoices)
    .where(and(eq(invoices.accountId, invoice.accountId), eq(invoices.kind, "period"), ne(invoices.status, "void"), lt(invoices.periodStartMs, invoice.periodStartMs)))
    .orderBy(desc(invoices.periodStartMs))
    .get();
}

export function insertAnomalyInTx(tx: Tx, row: typeof anomalies.$inferInsert): void {
  tx.insert(anomalies).values(row).run();
}
