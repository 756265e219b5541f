import { desc, eq, inArray } from "drizzle-orm";
import { invoiceLines, invoices } from "../../schema";
import type { Db } from "../../client";
import type { InvoiceWithLines } from "../../queries/invoices";

/** The SQLite side of `server/db/queries/invoices.ts`: what the billing calendar and page read. */

/** Whether an invoice was issued under this dedupe key. */
export async function invoiceIssued(db: Db, dedupeKey: string): Promise<boolean> {
  return db.select({ id: invoices.id }).from(invoices).where(eq(invoices.dedupeKey, dedupeKey)).get() !== undefined;
}

/** The account's latest invoices (newest first) with their lines, as the billing page lists them. */
export async function recentInvoicesWithLines(db: Db, accountId: string, limit: number): Promise<InvoiceWithLines[]> {
  const rows = db.select().from(invoices).where(eq(invoices.accountId, accountId)).orderBy(desc(invoices.createdAtMs)).limit(limit).all();
  const lines = rows.length ? db.select().from(invoiceLines).where(inArray(invoiceLines.invoiceId, rows.map((i) => i.id))).all() : [];
  return rows.map((i) => ({ ...i, lines: lines.filter((l) => l.invoiceId === i.id) }));
}
