import { and, asc, desc, eq, gte, inArray, isNull, lt } from "drizzle-orm";
import { accounts, planChanges, satisfaction, supportRequests } from "../../schema";
import type { Db } from "../../client";

/** What customers tell the operators: billing questions (a queue with a response clock) and the 0–10 answer after a plan change. */

export type SupportRequestRow = typeof supportRequests.$inferSelect;
export type SatisfactionRow = typeof satisfaction.$inferSelect;

export async function insertSupportRequest(db: Db, row: { id: string; accountId: string; topic: string; message: string; createdAtMs: number }): Promise<SupportRequestRow> {
  return db.insert(supportRequests).values(row).returning().get();
}

/** The account's requests, newest first. */
export async function supportRequestsOf(db: Db, accountId: string): Promise<SupportRequestRow[]> {
  return db.select().from(supportRequests).where(eq(supportRequests.accountId, accountId)).orderBy(desc(supportRequests.createdAtMs)).all();
}

/** Every request with the account that sent it, oldest first. */
export async function supportRequestsWithAccounts(db: Db): Promise<Array<{ request: SupportRequestRow; account: { name: string; email: string } }>> {
  return db
    .select()
    .from(supportRequests)
    .innerJoin(accounts, eq(accounts.id, supportRequests.accountId))
    .orderBy(asc(supportRequests.createdAtMs))
    .all()
    .map(({ support_requests: r, accounts: a }) => ({ request: r, account: { name: a.name, email: a.email } }));
}

/** Requests sent in [fromMs, toMs). */
export async function supportRequestsBetween(db: Db, fromMs: number, toMs: number): Promise<SupportRequestRow[]> {
  return db.select().from(supportRequests).where(and(gte(supportRequests.createdAtMs, fromMs), lt(supportRequests.createdAtMs, toMs))).all();
}

/**
 * Answers a request once: the reply is stored only while the request is unanswered. The answered
 * request, or why not ("answered" before, or "not_found").
 */
export async function replyOnce(db: Db, input: { requestId: string; reply: string; repliedBy: string; atMs: number }): Promise<SupportRequestRow | "answered" | "not_found"> {
  const done = db
    .update(supportRequests)
    .set({ reply: input.reply, repliedBy: input.repliedBy, repliedAtMs: input.atMs })
    .where(and(eq(supportRequests.id, input.requestId), isNull(supportRequests.repliedAtMs)))
    .returning()
    .get();
  if (done) return done;
  return db.select({ id: supportRequests.id }).from(supportRequests).where(eq(supportRequests.id, input.requestId)).get() ? "answered" : "not_found";
}

/**
 * Stores the score for one of the account's plan changes (a second answer replaces the first), in
 * one transaction with the check that the change is the account's. False when it is not.
 */
export async function recordSatisfaction(db: Db, answer: { id: string; accountId: string; planChangeId: string; score: number; atMs: number }): Promise<boolean> {
  return db.transaction((tx) => {
    const change = tx.select({ id: planChanges.id }).from(planChanges).where(and(eq(planChanges.id, answer.planChangeId), eq(planChanges.accountId, answer.accountId))).get();
    if (!change) return false;
    tx.insert(satisfaction)
      .values({ id: answer.id, accountId: answer.accountId, planChangeId: change.id, score: answer.score, createdAtMs: answer.atMs })
      .onConflictDoUpdate({ target: satisfaction.planChangeId, set: { score: answer.score, createdAtMs: answer.atMs } })
      .run();
    return true;
  });
}

/** Answers given in [fromMs, toMs). */
export async function satisfactionBetween(db: Db, fromMs: number, toMs: number): Promise<SatisfactionRow[]> {
  return db.select().from(satisfaction).where(and(gte(satisfaction.createdAtMs, fromMs), lt(satisfaction.createdAtMs, toMs))).all();
}

export async function satisfactionFor(db: Db, planChangeIds: string[]): Promise<SatisfactionRow[]> {
  return planChangeIds.length ? db.select().from(satisfaction).where(inArray(satisfaction.planChangeId, planChangeIds)).all() : [];
}
