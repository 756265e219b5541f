import { readBillingPaused, writeBillingPaused } from "../db/queries/billing";
import type { Store } from "../db/queries/store";

/**
 * Whether an operator has paused billing. Read from the database whenever a charge is decided (a
 * primary-key read, and charges are rare), so every process honours the switch as stored, whichever
 * process handled the click. A charge decided inside a unit of work reads it there
 * (`isBillingPausedInTx`), in the transaction that issues the invoice.
 */
export async function isBillingPaused(db: Store): Promise<boolean> {
  return readBillingPaused(db);
}

export async function storeBillingPaused(db: Store, paused: boolean, nowMs: number): Promise<void> {
  await writeBillingPaused(db, paused, nowMs);
}
