import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { planChanges, type PlanChangeStatus } from "../db/schema";

/**
 * Moves a plan change to another status, in one statement, only from a status it is expected to be
 * in. False when it is in none of them any more: another process (or request) moved it first, and
 * the caller must do nothing more — no second charge, no second notice.
 */
export function moveChange(tx: Db, planChangeId: string, from: readonly PlanChangeStatus[], set: Partial<typeof planChanges.$inferInsert> & { status: PlanChangeStatus }): boolean {
  return tx.update(planChanges).set(set).where(and(eq(planChanges.id, planChangeId), inArray(planChanges.status, [...from]))).run().changes === 1;
}
