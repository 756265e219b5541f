import { desc, eq, inArray, sql } from "drizzle-orm";
import type { InvoiceWithLines } from "../../queries/invoices";
import type { PgDb } from "../client";
import { invoiceLines, invoices } from "../schema";

/** The PostgreSQL side of `server/db/queries/invoices.ts`: the same functions, the same answers. */

export async function invoiceIssued(db: PgDb, dedupeKey: string): Promise<boolean> {
  return (await db.select({ id: invoices.id }).from(invoices).where(eq(invoices.dedupeKey, dedupeKey))).length > 0;
}

/**
 * Invoices made in the same millisecond come in id order (SQLite leaves it unspecified). An invoice's
 * lines come in the order they were written, as SQLite's rowid gives them: lines are written once,
 * with their invoice, and never updated or deleted, so their physical order (ctid) is that order.
 */
export async function recentInvoicesWithLines(db: PgDb, accountId: string, limit: number): Promise<InvoiceWithLines[]> {
  const rows = await db.select().from(invoices).where(eq(invoices.accountId, accountId)).orderBy(desc(invoices.createdAtMs), desc(invoices.id)).limit(limit);
  const lines = rows.length
    ? await db
        .select()
        .from(invoiceLines)
        .where(inArray(invoiceLines.invoiceId, rows.map((i) => i.id)))
        .orderBy(sql`ctid`)
    : [];
  return rows.map((i) => ({ ...i, lines: lines.filter((l) => l.invoiceId === i.id) }));
}
