import type { Tx } from "../db/queries/store";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { settings } from "../db/schema";

const PAUSED_KEY = "billing_paused";

/**
 * Whether an operator has paused billing. Read from the database whenever a charge is decided (a
 * primary-key read, and charges are rare), so every process honours the switch as stored, whichever
 * process handled the click.
 */
export function isBillingPaused(db: Tx): boolean {
  return db.select({ value: settings.value }).from(settings).where(eq(settings.key, PAUSED_KEY)).get()?.value === "true";
}

export function storeBillingPaused(db: Db, paused: boolean, nowMs: number): void {
  db.insert(settings)
    .values({ key: PAUSED_KEY, value: String(paused), updatedAtMs: nowMs })
    .onConflictDoUpdate({ target: settings.key, set: { value: String(paused), updatedAtMs: nowMs } })
    .run();
}
