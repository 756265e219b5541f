import { and, eq } from "drizzle-orm";
import type { PlanChangeRow, QuoteRow } from "../../queries/plan-changes";
import type { PgDb } from "../client";
import { planChanges, quotes } from "../schema";

/** The PostgreSQL side of `server/db/queries/plan-changes.ts`: the same functions, the same answers. */

export async function quoteById(db: PgDb, quoteId: string): Promise<QuoteRow | undefined> {
  const [row] = await db.select().from(quotes).where(eq(quotes.id, quoteId));
  return row;
}

/** A quote is confirmed into one change at most (a unique index): the first row is the only one. */
export async function changeIdOfQuote(db: PgDb, quoteId: string): Promise<string | null> {
  const [row] = await db.select({ id: planChanges.id }).from(planChanges).where(eq(planChanges.quoteId, quoteId)).limit(1);
  return row?.id ?? null;
}

export async function planChangeById(db: PgDb, planChangeId: string): Promise<PlanChangeRow | undefined> {
  const [row] = await db.select().from(planChanges).where(eq(planChanges.id, planChangeId));
  return row;
}

export async function changeWithQuote(db: PgDb, planChangeId: string): Promise<{ change: PlanChangeRow; quote: QuoteRow } | undefined> {
  const [row] = await db.select().from(planChanges).innerJoin(quotes, eq(quotes.id, planChanges.quoteId)).where(eq(planChanges.id, planChangeId));
  return row ? { change: row.plan_changes, quote: row.quotes } : undefined;
}

export async function scheduledSwitch(db: PgDb, accountId: string): Promise<PlanChangeRow | undefined> {
  const [row] = await db
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "scheduled")))
    .limit(1);
  return row;
}

/** One conditional update: of a settlement and this mark at once, whichever PostgreSQL orders first decides, the other re-checks the status. */
export async function markSent(db: PgDb, planChangeId: string, nowMs: number): Promise<boolean> {
  const done = await db.update(planChanges).set({ providerSentAtMs: nowMs, updatedAtMs: nowMs }).where(and(eq(planChanges.id, planChangeId), eq(planChanges.status, "applying")));
  return done.rowCount === 1;
}
