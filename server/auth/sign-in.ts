import { and, eq, isNull, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { sessions, signInTokens } from "../db/schema";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { newId, newSecret, sha256Hex } from "../lib/ids";
import { recordAudit } from "../operator/audit-log";

export type Role = "customer" | "operator";

export const SIGN_IN_LINK_TTL_MS = 10 * 60_000;

export interface SignInLink {
  /** The secret that goes into the URL; only its hash is stored. */
  token: string;
  expiresAtMs: number;
}

export interface Session {
  role: Role;
  accountId: string | null;
  returnUrl: string | null;
  expiresAtMs: number;
}

export function createSignInLink(
  db: Db,
  clock: Clock,
  input: { role: Role; accountId?: string | null; returnUrl?: string | null; ttlMs?: number },
): SignInLink {
  if (input.role === "customer" && !input.accountId) throw new DomainError("BAD_INPUT", "A customer link needs an account.");
  const token = newSecret();
  const now = clock.now();
  const expiresAtMs = now + (input.ttlMs ?? SIGN_IN_LINK_TTL_MS);
  db.insert(signInTokens)
    .values({
      id: newId("sil"),
      tokenHash: sha256Hex(token),
      role: input.role,
      accountId: input.role === "customer" ? input.accountId! : null,
      returnUrl: input.returnUrl ?? null,
      createdAtMs: now,
      expiresAtMs,
    })
    .run();
  return { token, expiresAtMs };
}

/**
 * Trades a one-time link for a session. The link is marked used in the same statement that checks
 * it is unused, so two tabs opening one link get one session between them.
 */
export async function redeemSignInLink(db: Db, clock: Clock, token: string, sessionTtlMs: number, via: "link" | "admin-token" = "link"): Promise<{ sessionId: string; session: Session }> {
  const now = clock.now();
  const hash = sha256Hex(token);
  const redeemed = db.transaction((tx) => {
    const link = tx.select().from(signInTokens).where(eq(signInTokens.tokenHash, hash)).get();
    if (!link) throw new DomainError("NOT_FOUND", "This sign-in link is not valid.");
    if (link.usedAtMs !== null) throw new DomainError("CONFLICT", "This sign-in link has already been used.");
    if (link.expiresAtMs <= now) throw new DomainError("EXPIRED", "This sign-in link has expired.");
    const claimed = tx
      .update(signInTokens)
      .set({ usedAtMs: now })
      .where(and(eq(signInTokens.id, link.id), isNull(signInTokens.usedAtMs)))
      .run();
    if (claimed.changes !== 1) throw new DomainError("CONFLICT", "This sign-in link has already been used.");
    const sessionId = newSecret();
    const session: Session = { role: link.role, accountId: link.accountId, returnUrl: link.returnUrl, expiresAtMs: now + sessionTtlMs };
    tx.insert(sessions)
      .values({ idHash: sha256Hex(sessionId), ...session, createdAtMs: now, lastSeenAtMs: now })
      .run();
    return { sessionId, session };
  });
  await recordAudit(db, clock, { actor: redeemed.session.role === "operator" ? "operator" : `customer:${redeemed.session.accountId}`, action: "sign_in", accountId: redeemed.session.accountId, details: { via } });
  return redeemed;
}

/** Reads a session and slides its expiry; an expired or unknown id gives null. */
export function readSession(db: Db, clock: Clock, sessionId: string, sessionTtlMs: number): Session | null {
  const now = clock.now();
  const idHash = sha256Hex(sessionId);
  const row = db.select().from(sessions).where(eq(sessions.idHash, idHash)).get();
  if (!row) return null;
  if (row.expiresAtMs <= now) {
    db.delete(sessions).where(eq(sessions.idHash, idHash)).run();
    return null;
  }
  const expiresAtMs = now + sessionTtlMs;
  // Slide at most once a minute: a page polling every few seconds need not write each time.
  if (now - row.lastSeenAtMs >= 60_000) {
    db.update(sessions).set({ lastSeenAtMs: now, expiresAtMs }).where(eq(sessions.idHash, idHash)).run();
  }
  return { role: row.role, accountId: row.accountId, returnUrl: row.returnUrl, expiresAtMs };
}

export function endSession(db: Db, sessionId: string): void {
  db.delete(sessions).where(eq(sessions.idHash, sha256Hex(sessionId))).run();
}

/** Housekeeping: forget expired sessions and links. */
export function pruneExpiredAuth(db: Db, clock: Clock): void {
  const now = clock.now();
  db.delete(sessions).where(lt(sessions.expiresAtMs, now)).run();
  db.delete(signInTokens).where(lt(signInTokens.expiresAtMs, now - 86_400_000)).run();
}
