import { sql } from "drizzle-orm";
import type { Tx } from "../db/queries/store";
import { sequences } from "../db/schema";

const SEQUENCE = "invoice_number";

/**
 * The next invoice number ("HR-000124"), taken in the caller's transaction by one statement that
 * increments the sequence row: two processes never get the same number, and a transaction that
 * rolls back hands its number back.
 */
export function nextInvoiceNumber(tx: Tx): string {
  const row = tx
    .insert(sequences)
    .values({ name: SEQUENCE, value: 1 })
    .onConflictDoUpdate({ target: sequences.name, set: { value: sql`${sequences.value} + 1` } })
    .returning({ value: sequences.value })
    .get()!;
  return `HR-${String(row.value).padStart(6, "0")}`;
}
