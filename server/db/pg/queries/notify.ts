import { and, asc, desc, eq, gte, inArray, isNull, lte, or } from "drizzle-orm";
import type { NoticeRow, OutboxDraft, OutboxRow } from "../../queries/notify";
import type { PgDb } from "../client";
import { accounts, notices, notificationPreferences, outbox } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/notify.ts`: the same functions, the same answers. The
 * conditional updates (delivered once, the outbox claim and its outcomes) are single statements whose
 * WHERE PostgreSQL re-checks against the row's latest version after waiting on a concurrent writer,
 * so under READ COMMITTED they stay the optimistic claims they are on SQLite. Rows of one millisecond
 * come in id order here, where SQLite leaves their order unspecified.
 */
export type { NoticeRow, OutboxDraft, OutboxRow };

export async function storedEmailPreference(db: PgDb, accountId: string, kind: string): Promise<boolean | undefined> {
  const [row] = await db
    .select({ email: notificationPreferences.email })
    .from(notificationPreferences)
    .where(and(eq(notificationPreferences.accountId, accountId), eq(notificationPreferences.kind, kind)));
  return row?.email;
}

export async function storeEmailPreference(db: PgDb, accountId: string, kind: string, email: boolean): Promise<void> {
  await db
    .insert(notificationPreferences)
    .values({ accountId, kind, email })
    .onConflictDoUpdate({ target: [notificationPreferences.accountId, notificationPreferences.kind], set: { email } });
}

/**
 * `ON CONFLICT (dedupe_key) DO NOTHING` waits for a concurrent insert of the same key and then skips,
 * so of two instances raising one notice at once exactly one writes it and its messages.
 */
export async function insertNoticeOnce(db: PgDb, notice: NoticeRow, messagesFor: (account: { name: string; email: string }) => OutboxDraft[]): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [account] = await tx.select({ name: accounts.name, email: accounts.email }).from(accounts).where(eq(accounts.id, notice.accountId));
    if (!account) return false;
    const [inserted] = await tx.insert(notices).values(notice).onConflictDoNothing({ target: notices.dedupeKey }).returning({ id: notices.id });
    if (!inserted) return false;
    const messages = messagesFor(account).map((m) => ({ ...m, noticeId: notice.id, accountId: notice.accountId }));
    if (messages.length) await tx.insert(outbox).values(messages);
    return true;
  });
}

export async function noticesOf(db: PgDb, accountId: string, limit: number): Promise<NoticeRow[]> {
  return db.select().from(notices).where(eq(notices.accountId, accountId)).orderBy(desc(notices.createdAtMs), desc(notices.id)).limit(limit);
}

export async function undismissedNoticesSince(db: PgDb, accountId: string, periodStartMs: number, limit: number): Promise<NoticeRow[]> {
  return db
    .select()
    .from(notices)
    .where(and(eq(notices.accountId, accountId), isNull(notices.dismissedAtMs), gte(notices.periodStartMs, periodStartMs)))
    .orderBy(desc(notices.createdAtMs), desc(notices.id))
    .limit(limit);
}

export async function markNoticeDelivered(db: PgDb, accountId: string, noticeId: string, atMs: number): Promise<boolean> {
  const result = await db
    .update(notices)
    .set({ deliveredAtMs: atMs })
    .where(and(eq(notices.id, noticeId), eq(notices.accountId, accountId), isNull(notices.deliveredAtMs)));
  return (result.rowCount ?? 0) > 0;
}

export async function findNotice(db: PgDb, accountId: string, noticeId: string): Promise<{ id: string; deliveredAtMs: number | null } | undefined> {
  const [row] = await db
    .select({ id: notices.id, deliveredAtMs: notices.deliveredAtMs })
    .from(notices)
    .where(and(eq(notices.id, noticeId), eq(notices.accountId, accountId)));
  return row;
}

export async function markNoticeDismissed(db: PgDb, accountId: string, noticeId: string, atMs: number): Promise<boolean> {
  const result = await db
    .update(notices)
    .set({ dismissedAtMs: atMs })
    .where(and(eq(notices.id, noticeId), eq(notices.accountId, accountId)));
  return (result.rowCount ?? 0) > 0;
}

export async function dueOutboxMessages(db: PgDb, nowMs: number, staleBeforeMs: number, limit: number): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(or(and(eq(outbox.status, "pending"), lte(outbox.nextAttemptAtMs, nowMs)), and(eq(outbox.status, "sending"), lte(outbox.nextAttemptAtMs, staleBeforeMs))))
    .orderBy(asc(outbox.nextAttemptAtMs), asc(outbox.id))
    .limit(limit);
}

export async function claimOutboxMessage(db: PgDb, id: string, attemptsRead: number, nowMs: number): Promise<boolean> {
  const result = await db
    .update(outbox)
    .set({ status: "sending", attempts: attemptsRead + 1, nextAttemptAtMs: nowMs })
    .where(and(eq(outbox.id, id), inArray(outbox.status, ["pending", "sending"]), eq(outbox.attempts, attemptsRead)));
  return result.rowCount === 1;
}

/** The claim made with `attempts` still stands: the message is sending, counted as that attempt. */
const claimStands = (id: string, attempts: number) => and(eq(outbox.id, id), eq(outbox.status, "sending"), eq(outbox.attempts, attempts));

export async function recordOutboxSent(db: PgDb, id: string, attempts: number, sentAtMs: number): Promise<void> {
  await db.update(outbox).set({ status: "sent", sentAtMs, lastError: null }).where(claimStands(id, attempts));
}

export async function recordOutboxFailure(db: PgDb, id: string, attempts: number, outcome: { status: "pending" | "failed"; nextAttemptAtMs: number; lastError: string }): Promise<void> {
  await db.update(outbox).set(outcome).where(claimStands(id, attempts));
}
