import { and, eq, gte, isNull, lt, lte, sql } from "drizzle-orm";
import { accounts, outbox, sessions, signInTokens } from "../../schema";
import type { Db } from "../../client";

export type SignInTokenRow = typeof signInTokens.$inferSelect;
export type NewSignInTokenRow = typeof signInTokens.$inferInsert;
export type SessionRow = typeof sessions.$inferSelect;
export type NewOutboxRow = typeof outbox.$inferInsert;

export async function insertSignInToken(db: Db, values: NewSignInTokenRow): Promise<void> {
  db.insert(signInTokens).values(values).run();
}

/** Why a link could not be traded for a session. */
export type RedeemRefusal = "not_found" | "used" | "expired";

/**
 * Trades a link for a session in one transaction: the link is marked used in the same statement
 * that checks it is unused, so two tabs opening one link get one session between them. The session
 * takes the link's role, account and return URL.
 */
export async function redeemSignInToken(
  db: Db,
  input: { tokenHash: string; nowMs: number; session: { idHash: string; expiresAtMs: number } },
): Promise<{ link: SignInTokenRow } | { refused: RedeemRefusal }> {
  return db.transaction((tx) => {
    const link = tx.select().from(signInTokens).where(eq(signInTokens.tokenHash, input.tokenHash)).get();
    if (!link) return { refused: "not_found" as const };
    if (link.usedAtMs !== null) return { refused: "used" as const };
    if (link.expiresAtMs <= input.nowMs) return { refused: "expired" as const };
    const claimed = tx
      .update(signInTokens)
      .set({ usedAtMs: input.nowMs })
      .where(and(eq(signInTokens.id, link.id), isNull(signInTokens.usedAtMs)))
      .run();
    if (claimed.changes !== 1) return { refused: "used" as const };
    tx.insert(sessions)
      .values({
        idHash: input.session.idHash,
        role: link.role,
        accountId: link.accountId,
        returnUrl: link.returnUrl,
        expiresAtMs: input.session.expiresAtMs,
        createdAtMs: input.nowMs,
        lastSeenAtMs: input.nowMs,
      })
      .run();
    return { link };
  });
}

export async function sessionByIdHash(db: Db, idHash: string): Promise<SessionRow | undefined> {
  return db.select().from(sessions).where(eq(sessions.idHash, idHash)).get();
}

/** Forgets a session found expired (one slid meanwhile by another request is kept). */
export async function deleteExpiredSession(db: Db, idHash: string, nowMs: number): Promise<void> {
  db.delete(sessions).where(and(eq(sessions.idHash, idHash), lte(sessions.expiresAtMs, nowMs))).run();
}

export async function slideSession(db: Db, idHash: string, at: { lastSeenAtMs: number; expiresAtMs: number }): Promise<void> {
  db.update(sessions).set(at).where(eq(sessions.idHash, idHash)).run();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  db.delete(sessions).where(eq(sessions.idHash, idHash)).run();
}

/** Forgets sessions expired before `sessionsBeforeMs` and links expired before `linksBeforeMs`. */
export async function deleteExpiredAuth(db: Db, cutoff: { sessionsBeforeMs: number; linksBeforeMs: number }): Promise<void> {
  db.delete(sessions).where(lt(sessions.expiresAtMs, cutoff.sessionsBeforeMs)).run();
  db.delete(signInTokens).where(lt(signInTokens.expiresAtMs, cutoff.linksBeforeMs)).run();
}

/** The account an e-mail sign-in is for, by its (lower-case) address. */
export async function accountForSignIn(db: Db, email: string): Promise<{ id: string; name: string; email: string } | undefined> {
  return db.select({ id: accounts.id, name: accounts.name, email: accounts.email }).from(accounts).where(eq(accounts.email, email)).get();
}

/**
 * Stores a sign-in link and queues the e-mail carrying it, unless the account was sent `max`
 * messages with the same subject since `sinceMs`: counted and queued in one transaction, so that
 * requests at once cannot pass the limit together. Answers whether it queued.
 */
export async function queueSignInEmail(db: Db, input: { link: NewSignInTokenRow; message: NewOutboxRow & { accountId: string; subject: string }; sinceMs: number; max: number }): Promise<boolean> {
  return db.transaction((tx) => {
    const recent = tx
      .select({ n: sql<number>`count(*)` })
      .from(outbox)
      .where(and(eq(outbox.accountId, input.message.accountId), eq(outbox.subject, input.message.subject), gte(outbox.createdAtMs, input.sinceMs)))
      .get()!.n;
    if (recent >= input.max) return false;
    tx.insert(signInTokens).values(input.link).run();
    tx.insert(outbox).values(input.message).run();
    return true;
  });
}
