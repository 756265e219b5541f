import { and, count, eq, gte, isNull, lt, lte } from "drizzle-orm";
import type { NewOutboxRow, NewSignInTokenRow, RedeemRefusal, SessionRow, SignInTokenRow } from "../../queries/auth";
import type { PgDb } from "../client";
import { accounts, outbox, sessions, signInTokens } from "../schema";

/** The PostgreSQL side of `server/db/queries/auth.ts`: the same functions, the same answers. */
export type { NewOutboxRow, NewSignInTokenRow, RedeemRefusal, SessionRow, SignInTokenRow };

export async function insertSignInToken(db: PgDb, values: NewSignInTokenRow): Promise<void> {
  await db.insert(signInTokens).values(values);
}

/**
 * The claim is an update that re-checks `used_at_ms is null` against the link's latest version, so of
 * two tabs at once one claims it and the other finds it used; the session is written in the same
 * transaction as the claim, so a claim never stands without its session.
 */
export async function redeemSignInToken(
  db: PgDb,
  input: { tokenHash: string; nowMs: number; session: { idHash: string; expiresAtMs: number } },
): Promise<{ link: SignInTokenRow } | { refused: RedeemRefusal }> {
  return db.transaction(async (tx) => {
    const [link] = await tx.select().from(signInTokens).where(eq(signInTokens.tokenHash, input.tokenHash));
    if (!link) return { refused: "not_found" as const };
    if (link.usedAtMs !== null) return { refused: "used" as const };
    if (link.expiresAtMs <= input.nowMs) return { refused: "expired" as const };
    const claimed = await tx
      .update(signInTokens)
      .set({ usedAtMs: input.nowMs })
      .where(and(eq(signInTokens.id, link.id), isNull(signInTokens.usedAtMs)));
    if (claimed.rowCount !== 1) return { refused: "used" as const };
    await tx.insert(sessions).values({
      idHash: input.session.idHash,
      role: link.role,
      accountId: link.accountId,
      returnUrl: link.returnUrl,
      expiresAtMs: input.session.expiresAtMs,
      createdAtMs: input.nowMs,
      lastSeenAtMs: input.nowMs,
    });
    return { link };
  });
}

export async function sessionByIdHash(db: PgDb, idHash: string): Promise<SessionRow | undefined> {
  const [row] = await db.select().from(sessions).where(eq(sessions.idHash, idHash));
  return row;
}

export async function deleteExpiredSession(db: PgDb, idHash: string, nowMs: number): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.idHash, idHash), lte(sessions.expiresAtMs, nowMs)));
}

export async function slideSession(db: PgDb, idHash: string, at: { lastSeenAtMs: number; expiresAtMs: number }): Promise<void> {
  await db.update(sessions).set(at).where(eq(sessions.idHash, idHash));
}

export async function deleteSession(db: PgDb, idHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, idHash));
}

export async function deleteExpiredAuth(db: PgDb, cutoff: { sessionsBeforeMs: number; linksBeforeMs: number }): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAtMs, cutoff.sessionsBeforeMs));
  await db.delete(signInTokens).where(lt(signInTokens.expiresAtMs, cutoff.linksBeforeMs));
}

export async function accountForSignIn(db: PgDb, email: string): Promise<{ id: string; name: string; email: string } | undefined> {
  const [row] = await db.select({ id: accounts.id, name: accounts.name, email: accounts.email }).from(accounts).where(eq(accounts.email, email));
  return row;
}

/**
 * Counts and queues under a lock on the account's row (`FOR NO KEY UPDATE`), so that requests at once
 * on several instances take turns and cannot pass the limit together under READ COMMITTED.
 */
export async function queueSignInEmail(db: PgDb, input: { link: NewSignInTokenRow; message: NewOutboxRow & { accountId: string; subject: string }; sinceMs: number; max: number }): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, input.message.accountId)).for("no key update");
    const [recent] = await tx
      .select({ n: count() })
      .from(outbox)
      .where(and(eq(outbox.accountId, input.message.accountId), eq(outbox.subject, input.message.subject), gte(outbox.createdAtMs, input.sinceMs)));
    if ((recent?.n ?? 0) >= input.max) return false;
    await tx.insert(signInTokens).values(input.link);
    await tx.insert(outbox).values(input.message);
    return true;
  });
}
