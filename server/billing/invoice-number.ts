import { nextSequenceValueInTx } from "../db/queries/invoices";
import type { Tx } from "../db/queries/store";

const SEQUENCE = "invoice_number";

/**
 * The next invoice number ("HR-000124"), taken in the caller's transaction from a sequence that one
 * statement increments: two processes never get the same number, and a transaction that rolls back
 * hands its number back.
 */
export function nextInvoiceNumber(tx: Tx): string {
  return `HR-${String(nextSequenceValueInTx(tx, SEQUENCE)).padStart(6, "0")}`;
}
