import { and, eq } from "drizzle-orm";
import { planChanges, quotes } from "../../schema";
import type { Db } from "../../client";
import type { PlanChangeRow, QuoteRow } from "../../queries/plan-changes";

/** The SQLite side of `server/db/queries/plan-changes.ts`: what a confirmation reads, and the mark of a change sent. */

export async function quoteById(db: Db, quoteId: string): Promise<QuoteRow | undefined> {
  return db.select().from(quotes).where(eq(quotes.id, quoteId)).get();
}

/** The plan change a quote was confirmed into, if it was. */
export async function changeIdOfQuote(db: Db, quoteId: string): Promise<string | null> {
  return db.select({ id: planChanges.id }).from(planChanges).where(eq(planChanges.quoteId, quoteId)).get()?.id ?? null;
}

export async function planChangeById(db: Db, planChangeId: string): Promise<PlanChangeRow | undefined> {
  return db.select().from(planChanges).where(eq(planChanges.id, planChangeId)).get();
}

/** A plan change with the quote it was confirmed from. */
export async function changeWithQuote(db: Db, planChangeId: string): Promise<{ change: PlanChangeRow; quote: QuoteRow } | undefined> {
  const row = db.select().from(planChanges).innerJoin(quotes, eq(quotes.id, planChanges.quoteId)).where(eq(planChanges.id, planChangeId)).get();
  return row ? { change: row.plan_changes, quote: row.quotes } : undefined;
}

/** The account's switch scheduled at the provider, if any (at most one waiting change per account). */
export async function scheduledSwitch(db: Db, accountId: string): Promise<PlanChangeRow | undefined> {
  return db
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "scheduled")))
    .get();
}

/**
 * Marks an "applying" change as sent to the provider, before the call: from then on a retry re-sends
 * with the same key and never re-prices. False when it is no longer applying (settled meanwhile).
 */
export async function markSent(db: Db, planChangeId: string, nowMs: number): Promise<boolean> {
  return db.update(planChanges).set({ providerSentAtMs: nowMs, updatedAtMs: nowMs }).where(and(eq(planChanges.id, planChangeId), eq(planChanges.status, "applying"))).run().changes === 1;
}
