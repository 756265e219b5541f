import { and, asc, desc, eq, gte, inArray, isNull, lte, or } from "drizzle-orm";
import { accounts, notices, notificationPreferences, outbox } from "../../schema";
import type { Db } from "../../client";

/**
 * Notices, e-mail preferences and the outbox, as the storage boundary answers them. Raising a notice
 * (the notice and its messages) is one call: all of it is written, or none.
 */

/** A notice as stored; its meter defaults to '' on insert (the default meter; see server/db/schema/usage.ts). */
export type NoticeRow = Omit<typeof notices.$inferSelect, "meter"> & { meter?: string };
export type OutboxRow = typeof outbox.$inferSelect;
/** A message to queue with a notice; the notice and the account it goes to are filled in. */
export type OutboxDraft = Omit<typeof outbox.$inferInsert, "noticeId" | "accountId">;

/** The customer's stored choice for e-mails of this kind; undefined when they never chose. */
export async function storedEmailPreference(db: Db, accountId: string, kind: string): Promise<boolean | undefined> {
  return db
    .select({ email: notificationPreferences.email })
    .from(notificationPreferences)
    .where(and(eq(notificationPreferences.accountId, accountId), eq(notificationPreferences.kind, kind)))
    .get()?.email;
}

export async function storeEmailPreference(db: Db, accountId: string, kind: string, email: boolean): Promise<void> {
  db.insert(notificationPreferences).values({ accountId, kind, email }).onConflictDoUpdate({ target: [notificationPreferences.accountId, notificationPreferences.kind], set: { email } }).run();
}

/**
 * Records a notice once per dedupe key, with the messages `messagesFor` makes for the account (its
 * e-mail, its webhook), in one transaction. False when the account does not exist or the notice
 * was raised before; then nothing is written.
 */
export async function insertNoticeOnce(db: Db, notice: NoticeRow, messagesFor: (account: { name: string; email: string }) => OutboxDraft[]): Promise<boolean> {
  return db.transaction((tx) => {
    const account = tx.select({ name: accounts.name, email: accounts.email }).from(accounts).where(eq(accounts.id, notice.accountId)).get();
    if (!account) return false;
    const inserted = tx.insert(notices).values(notice).onConflictDoNothing({ target: notices.dedupeKey }).returning({ id: notices.id }).get();
    if (!inserted) return false;
    for (const m of messagesFor(account)) tx.insert(outbox).values({ ...m, noticeId: notice.id, accountId: notice.accountId }).run();
    return true;
  });
}

/** The account's notices, newest first. */
export async function noticesOf(db: Db, accountId: string, limit: number): Promise<NoticeRow[]> {
  return db.select().from(notices).where(eq(notices.accountId, accountId)).orderBy(desc(notices.createdAtMs)).limit(limit).all();
}

/** Undismissed notices of the account from this billing period on, newest first: the banner is one of them. */
export async function undismissedNoticesSince(db: Db, accountId: string, periodStartMs: number, limit: number): Promise<NoticeRow[]> {
  return db
    .select()
    .from(notices)
    .where(and(eq(notices.accountId, accountId), isNull(notices.dismissedAtMs), gte(notices.periodStartMs, periodStartMs)))
    .orderBy(desc(notices.createdAtMs))
    .limit(limit)
    .all();
}

/** Sets the moment the notice reached the customer, only if nothing reached them before; true when it did. */
export async function markNoticeDelivered(db: Db, accountId: string, noticeId: string, atMs: number): Promise<boolean> {
  return db.update(notices).set({ deliveredAtMs: atMs }).where(and(eq(notices.id, noticeId), eq(notices.accountId, accountId), isNull(notices.deliveredAtMs))).run().changes > 0;
}

/** The account's own notice with this id (another account's is not found). */
export async function findNotice(db: Db, accountId: string, noticeId: string): Promise<{ id: string; deliveredAtMs: number | null } | undefined> {
  return db.select({ id: notices.id, deliveredAtMs: notices.deliveredAtMs }).from(notices).where(and(eq(notices.id, noticeId), eq(notices.accountId, accountId))).get();
}

export async function markNoticeDismissed(db: Db, accountId: string, noticeId: string, atMs: number): Promise<boolean> {
  return db.update(notices).set({ dismissedAtMs: atMs }).where(and(eq(notices.id, noticeId), eq(notices.accountId, accountId))).run().changes > 0;
}

/** Messages due now: pending ones whose time has come, and ones left `sending` since before `staleBeforeMs` (a crash). */
export async function dueOutboxMessages(db: Db, nowMs: number, staleBeforeMs: number, limit: number): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(or(and(eq(outbox.status, "pending"), lte(outbox.nextAttemptAtMs, nowMs)), and(eq(outbox.status, "sending"), lte(outbox.nextAttemptAtMs, staleBeforeMs))))
    .orderBy(asc(outbox.nextAttemptAtMs))
    .limit(limit)
    .all();
}

/**
 * Marks a message `sending` with one more attempt counted, only if nobody claimed it since it was
 * read (same status family, same attempts); true when this call claimed it.
 */
export async function claimOutboxMessage(db: Db, id: string, attemptsRead: number, nowMs: number): Promise<boolean> {
  return (
    db
      .update(outbox)
      .set({ status: "sending", attempts: attemptsRead + 1, nextAttemptAtMs: nowMs })
      .where(and(eq(outbox.id, id), inArray(outbox.status, ["pending", "sending"]), eq(outbox.attempts, attemptsRead)))
      .run().changes === 1
  );
}

/** The claim made with `attempts` still stands: the message is sending, counted as that attempt. */
const claimStands = (id: string, attempts: number) => and(eq(outbox.id, id), eq(outbox.status, "sending"), eq(outbox.attempts, attempts));

/** Records the send, while the claim that made it still stands. */
export async function recordOutboxSent(db: Db, id: string, attempts: number, sentAtMs: number): Promise<void> {
  db.update(outbox).set({ status: "sent", sentAtMs, lastError: null }).where(claimStands(id, attempts)).run();
}

/** Records a failed send (to retry, or failed for good), while the claim that made it still stands. */
export async function recordOutboxFailure(db: Db, id: string, attempts: number, outcome: { status: "pending" | "failed"; nextAttemptAtMs: number; lastError: string }): Promise<void> {
  db.update(outbox).set(outcome).where(claimStands(id, attempts)).run();
}
