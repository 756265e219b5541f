import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Db } from "../db/client";
import { apiKeys, type ApiKeyRow } from "../db/schema";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { newId, sha256Hex } from "../lib/ids";
import { getAccount } from "../accounts/accounts";
import type { ChangeFeed } from "../lib/change-feed";
import { recordAudit } from "../operator/audit-log";

export const KEY_PREFIX = "hr_live_";
/** Characters of the key shown in lists: the prefix plus four random characters. */
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 4;
export const DEFAULT_MAX_ACTIVE_KEYS = 10;

export const keyNameSchema = z.string().trim().min(1, "name is required").max(80, "name is at most 80 characters");

export interface ApiKeySummary {
  id: string;
  accountId: string;
  name: string;
  prefix: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

export interface CreatedKey extends ApiKeySummary {
  /** The full key. Returned once, at creation; only its hash is stored. */
  key: string;
}

function summarize(row: ApiKeyRow): ApiKeySummary {
  const { hash: _hash, ...rest } = row;
  return rest;
}

/** 192 bits from the CSPRNG, base64url: "hr_live_" + 32 characters. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(24).toString("base64url");
}

export function hashKey(key: string): string {
  return sha256Hex(key);
}

export function createKey(
  db: Db,
  clock: Clock,
  input: { accountId: string; name?: string | undefined },
  opts: { maxActiveKeys?: number } = {},
): CreatedKey {
  const account = getAccount(db, input.accountId);
  const name = keyNameSchema.parse(input.name ?? "Default key");
  const max = opts.maxActiveKeys ?? DEFAULT_MAX_ACTIVE_KEYS;
  const active = db
    .select({ n: sql<number>`count(*)` })
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, account.id), isNull(apiKeys.revokedAtMs)))
    .get()!.n;
  if (active >= max) {
    throw new DomainError("LIMIT_EXCEEDED", `This account already has ${active} active keys, the most allowed. Revoke one first.`);
  }
  const key = generateKey();
  const row = db
    .insert(apiKeys)
    .values({
      id: newId("key"),
      accountId: account.id,
      name,
      prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      hash: hashKey(key),
      createdAtMs: clock.now(),
    })
    .returning()
    .get();
  return { ...summarize(row), key };
}

export function listKeys(db: Db, accountId: string, opts: { includeRevoked?: boolean } = {}): ApiKeySummary[] {
  const where = opts.includeRevoked
    ? eq(apiKeys.accountId, accountId)
    : and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAtMs));
  return db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAtMs)).all().map(summarize);
}

/**
 * Revokes a key. `accountId`, when given, scopes the lookup so that a customer can only revoke their
 * own keys: another account's key is "not found", never "forbidden" (no existence leak).
 */
export function revokeKey(db: Db, clock: Clock, input: { keyId: string; accountId?: string }): ApiKeySummary {
  const row = db.select().from(apiKeys).where(eq(apiKeys.id, input.keyId)).get();
  if (!row || (input.accountId !== undefined && row.accountId !== input.accountId)) {
    throw new DomainError("NOT_FOUND", `No key ${input.keyId}.`);
  }
  if (row.revokedAtMs !== null) return summarize(row);
  // Revoked once: a revocation that raced this one keeps its moment.
  const updated = db.update(apiKeys).set({ revokedAtMs: clock.now() }).where(and(eq(apiKeys.id, row.id), isNull(apiKeys.revokedAtMs))).returning().get();
  return summarize(updated ?? db.select().from(apiKeys).where(eq(apiKeys.id, row.id)).get()!);
}

/** What the key verbs need to own their side effects: the audit trail and the change feed (the meter's key cache). */
export interface KeysContext {
  db: Db;
  clock: Clock;
  feed: ChangeFeed;
  maxActiveKeys: number;
}

/** Issues a key for an account, audited; the full key is in the answer and nowhere else. */
export async function issueKey(ctx: KeysContext, input: { accountId: string; name?: string | undefined }, actor: string): Promise<CreatedKey> {
  const created = createKey(ctx.db, ctx.clock, input, { maxActiveKeys: ctx.maxActiveKeys });
  await recordAudit(ctx.db, ctx.clock, { actor, action: "key.created", accountId: created.accountId, details: { keyId: created.id, prefix: created.prefix, name: created.name } });
  ctx.feed.publish({ kind: "keys.changed" });
  return created;
}

/**
 * Revokes a key, audited, effective on the next call (the meter forgets its cached keys; another
 * process learns of it within one flush interval). `accountId` scopes it to that account's keys.
 */
export async function withdrawKey(ctx: Pick<KeysContext, "db" | "clock" | "feed">, input: { keyId: string; accountId?: string }, actor: string): Promise<ApiKeySummary> {
  const before = ctx.db.select({ revokedAtMs: apiKeys.revokedAtMs }).from(apiKeys).where(eq(apiKeys.id, input.keyId)).get();
  const revoked = revokeKey(ctx.db, ctx.clock, input);
  if (before?.revokedAtMs === null) {
    await recordAudit(ctx.db, ctx.clock, { actor, action: "key.revoked", accountId: revoked.accountId, details: { keyId: revoked.id, prefix: revoked.prefix } });
    ctx.feed.publish({ kind: "keys.changed" });
  }
  return revoked;
}
