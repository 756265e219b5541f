import { z } from "zod";
import { deleteExpiredAuth, deleteExpiredSession, deleteSession, insertSignInToken, redeemSignInToken, sessionByIdHash, slideSession, type NewSignInTokenRow } from "../db/queries/auth";
import type { Store } from "../db/queries/store";
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
  /** The operator's name as they gave it at sign-in (operators only; null if they gave none). */
  operatorName: string | null;
  expiresAtMs: number;
}

export type SignInLinkInput = { role: Role; accountId?: string | null; returnUrl?: string | null; operatorName?: string | null; ttlMs?: number };

/** An operator's name as written in the audit log: one line of words, no control characters. */
export const operatorNameSchema = z
  .string()
  .trim()
  .min(1, "Enter a name, or leave the name out.")
  .max(80, "A name is at most 80 characters.")
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, "A name is plain text on one line.");

/** Who did it, for the audit log: `operator:<name>`, or `operator` for a session without a name. */
export function operatorActor(session: Pick<Session, "operatorName">): string {
  return session.operatorName ? `operator:${session.operatorName}` : "operator";
}

/*
 * Operators have no page to go back to, so an operator's link and session keep the operator's
 * name in the `return_url` column (a customer's keep their return URL there). These two are the
 * only places that know it.
 */
function storedReturnColumn(input: { role: Role; returnUrl: string | null; operatorName: string | null }): string | null {
  return input.role === "operator" ? input.operatorName : input.returnUrl;
}
function fromReturnColumn(role: Role, value: string | null): { returnUrl: string | null; operatorName: string | null } {
  return role === "operator" ? { returnUrl: null, operatorName: value } : { returnUrl: value, operatorName: null };
}

/** A new link: its secret (for the URL) and the row that stores only its hash. */
export function newSignInLink(clock: Clock, input: SignInLinkInput): { link: SignInLink; row: NewSignInTokenRow } {
  if (input.role === "customer" && !input.accountId) throw new DomainError("BAD_INPUT", "A customer link needs an account.");
  let operatorName: string | null = null;
  if (input.role === "operator" && input.operatorName != null) {
    const parsed = operatorNameSchema.safeParse(input.operatorName);
    if (!parsed.success) throw new DomainError("BAD_INPUT", parsed.error.issues[0]?.message ?? "That name cannot be used.");
    operatorName = parsed.data;
  }
  const token = newSecret();
  const now = clock.now();
  const expiresAtMs = now + (input.ttlMs ?? SIGN_IN_LINK_TTL_MS);
  return {
    link: { token, expiresAtMs },
    row: {
      id: newId("sil"),
      tokenHash: sha256Hex(token),
      role: input.role,
      accountId: input.role === "customer" ? input.accountId! : null,
      returnUrl: storedReturnColumn({ role: input.role, returnUrl: input.returnUrl ?? null, operatorName }),
      createdAtMs: now,
      expiresAtMs,
    },
  };
}

export async function createSignInLink(db: Store, clock: Clock, input: SignInLinkInput): Promise<SignInLink> {
  const { link, row } = newSignInLink(clock, input);
  await insertSignInToken(db, row);
  return link;
}

const REFUSED = {
  not_found: () => new DomainError("NOT_FOUND", "This sign-in link is not valid."),
  used: () => new DomainError("CONFLICT", "This sign-in link has already been used."),
  expired: () => new DomainError("EXPIRED", "This sign-in link has expired."),
};

/** Trades a one-time link for a session; two tabs opening one link get one session between them. */
export async function redeemSignInLink(db: Store, clock: Clock, token: string, sessionTtlMs: number, via: "link" | "admin-token" = "link"): Promise<{ sessionId: string; session: Session }> {
  const now = clock.now();
  const sessionId = newSecret();
  const expiresAtMs = now + sessionTtlMs;
  const redeemed = await redeemSignInToken(db, { tokenHash: sha256Hex(token), nowMs: now, session: { idHash: sha256Hex(sessionId), expiresAtMs } });
  if ("refused" in redeemed) throw REFUSED[redeemed.refused]();
  const { link } = redeemed;
  const session: Session = { role: link.role, accountId: link.accountId, ...fromReturnColumn(link.role, link.returnUrl), expiresAtMs };
  await recordAudit(db, clock, { actor: session.role === "operator" ? operatorActor(session) : `customer:${session.accountId}`, action: "sign_in", accountId: session.accountId, details: { via } });
  return { sessionId, session };
}

/** Reads a session and slides its expiry; an expired or unknown id gives null. */
export async function readSession(db: Store, clock: Clock, sessionId: string, sessionTtlMs: number): Promise<Session | null> {
  const now = clock.now();
  const idHash = sha256Hex(sessionId);
  const row = await sessionByIdHash(db, idHash);
  if (!row) return null;
  if (row.expiresAtMs <= now) {
    await deleteExpiredSession(db, idHash, now);
    return null;
  }
  const expiresAtMs = now + sessionTtlMs;
  // Slide at most once a minute: a page polling every few seconds need not write each time.
  if (now - row.lastSeenAtMs >= 60_000) {
    await slideSession(db, idHash, { lastSeenAtMs: now, expiresAtMs });
  }
  return { role: row.role, accountId: row.accountId, ...fromReturnColumn(row.role, row.returnUrl), expiresAtMs };
}

export async function endSession(db: Store, sessionId: string): Promise<void> {
  await deleteSession(db, sha256Hex(sessionId));
}

/** Housekeeping: forget expired sessions, and links a day after they expired. */
export async function pruneExpiredAuth(db: Store, clock: Clock): Promise<void> {
  const now = clock.now();
  await deleteExpiredAuth(db, { sessionsBeforeMs: now, linksBeforeMs: now - 86_400_000 });
}
