import { nextSequenceValueInTx } from "../db/queries/invoices";
import type { Unit } from "../db/queries/unit";

const SEQUENCE = "invoice_number";

/**
 * The next invoice number ("HR-000124"), taken in the caller's unit of work from a sequence that one
 * statement increments: two processes never get the same number, and a transaction that rolls back
 * hands its number back.
 */
export function* nextInvoiceNumber(): Unit<string> {
  return `HR-${String(yield* nextSequenceValueInTx(SEQUENCE)).padStart(6, "0")}`;
}
