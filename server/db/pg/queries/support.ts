import { and, asc, desc, eq, gte, inArray, isNull, lt } from "drizzle-orm";
import type { SatisfactionRow, SupportRequestRow } from "../../queries/support";
import type { PgDb } from "../client";
import { accounts, planChanges, satisfaction, supportRequests } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/support.ts`: the same functions, the same answers. Where
 * SQLite leaves the order of rows of one millisecond (or of a whole list) unspecified, these order
 * by time and then id, so that the answer is at least the same from one call to the next.
 */
export type { SatisfactionRow, SupportRequestRow };

export async function insertSupportRequest(db: PgDb, row: { id: string; accountId: string; topic: string; message: string; createdAtMs: number }): Promise<SupportRequestRow> {
  const [inserted] = await db.insert(supportRequests).values(row).returning();
  return inserted!;
}

export async function supportRequestsOf(db: PgDb, accountId: string): Promise<SupportRequestRow[]> {
  return db.select().from(supportRequests).where(eq(supportRequests.accountId, accountId)).orderBy(desc(supportRequests.createdAtMs), desc(supportRequests.id));
}

export async function supportRequestsWithAccounts(db: PgDb): Promise<Array<{ request: SupportRequestRow; account: { name: string; email: string } }>> {
  const rows = await db
    .select()
    .from(supportRequests)
    .innerJoin(accounts, eq(accounts.id, supportRequests.accountId))
    .orderBy(asc(supportRequests.createdAtMs), asc(supportRequests.id));
  return rows.map(({ support_requests: r, accounts: a }) => ({ request: r, account: { name: a.name, email: a.email } }));
}

export async function supportRequestsBetween(db: PgDb, fromMs: number, toMs: number): Promise<SupportRequestRow[]> {
  return db
    .select()
    .from(supportRequests)
    .where(and(gte(supportRequests.createdAtMs, fromMs), lt(supportRequests.createdAtMs, toMs)))
    .orderBy(asc(supportRequests.createdAtMs), asc(supportRequests.id));
}

/**
 * The reply is an update that re-checks `replied_at_ms is null` against the request's latest version,
 * so of two operators answering at once one reply is stored and the other hears "answered".
 */
export async function replyOnce(db: PgDb, input: { requestId: string; reply: string; repliedBy: string; atMs: number }): Promise<SupportRequestRow | "answered" | "not_found"> {
  const [done] = await db
    .update(supportRequests)
    .set({ reply: input.reply, repliedBy: input.repliedBy, repliedAtMs: input.atMs })
    .where(and(eq(supportRequests.id, input.requestId), isNull(supportRequests.repliedAtMs)))
    .returning();
  if (done) return done;
  const [exists] = await db.select({ id: supportRequests.id }).from(supportRequests).where(eq(supportRequests.id, input.requestId));
  return exists ? "answered" : "not_found";
}

/**
 * A plan change never changes account, so the check cannot go stale before the write; the upsert on
 * `plan_change_id` settles two answers at once (the later write wins, as in SQLite).
 */
export async function recordSatisfaction(db: PgDb, answer: { id: string; accountId: string; planChangeId: string; score: number; atMs: number }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [change] = await tx
      .select({ id: planChanges.id })
      .from(planChanges)
      .where(and(eq(planChanges.id, answer.planChangeId), eq(planChanges.accountId, answer.accountId)));
    if (!change) return false;
    await tx
      .insert(satisfaction)
      .values({ id: answer.id, accountId: answer.accountId, planChangeId: change.id, score: answer.score, createdAtMs: answer.atMs })
      .onConflictDoUpdate({ target: satisfaction.planChangeId, set: { score: answer.score, createdAtMs: answer.atMs } });
    return true;
  });
}

export async function satisfactionBetween(db: PgDb, fromMs: number, toMs: number): Promise<SatisfactionRow[]> {
  return db
    .select()
    .from(satisfaction)
    .where(and(gte(satisfaction.createdAtMs, fromMs), lt(satisfaction.createdAtMs, toMs)))
    .orderBy(asc(satisfaction.createdAtMs), asc(satisfaction.id));
}

export async function satisfactionFor(db: PgDb, planChangeIds: string[]): Promise<SatisfactionRow[]> {
  return planChangeIds.length ? db.select().from(satisfaction).where(inArray(satisfaction.planChangeId, planChangeIds)).orderBy(asc(satisfaction.planChangeId)) : [];
}
