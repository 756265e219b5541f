import { randomBytes } from "node:crypto";
import { z } from "zod";
import { insertKeyWithinLimit, listKeyRows, revokeKeyRow, type ApiKeyRow, type NewApiKeyRow } from "../db/queries/keys";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { newId, sha256Hex } from "../lib/ids";
import { accountRowById } from "../db/queries/accounts";
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

/** A new key for an account: the full key (shown once) and the row that stores only its hash. */
export function newKey(clock: Clock, accountId: string, name: string): { key: string; row: NewApiKeyRow } {
  const key = generateKey();
  return { key, row: { id: newId("key"), accountId, name, prefix: key.slice(0, DISPLAY_PREFIX_LENGTH), hash: hashKey(key), createdAtMs: clock.now() } };
}

export async function createKey(
  db: Store,
  clock: Clock,
  input: { accountId: string; name?: string | undefined },
  opts: { maxActiveKeys?: number } = {},
): Promise<CreatedKey> {
  const account = await accountRowById(db, input.accountId);
  if (!account) throw new DomainError("NOT_FOUND", `No account ${input.accountId}.`);
  const name = keyNameSchema.parse(input.name ?? "Default key");
  const max = opts.maxActiveKeys ?? DEFAULT_MAX_ACTIVE_KEYS;
  const { key, row } = newKey(clock, account.id, name);
  const added = await insertKeyWithinLimit(db, row, max);
  if ("active" in added) {
    throw new DomainError("LIMIT_EXCEEDED", `This account already has ${added.active} active keys, the most allowed. Revoke one first.`);
  }
  return { ...summarize(added.row), key };
}

export async function listKeys(db: Store, accountId: string, opts: { includeRevoked?: boolean } = {}): Promise<ApiKeySummary[]> {
  return (await listKeyRows(db, accountId, { includeRevoked: opts.includeRevoked ?? false })).map(summarize);
}

async function revoke(db: Store, clock: Clock, input: { keyId: string; accountId?: string }): Promise<{ key: ApiKeySummary; revokedNow: boolean }> {
  const revoked = await revokeKeyRow(db, { keyId: input.keyId, accountId: input.accountId, atMs: clock.now() });
  if (!revoked) throw new DomainError("NOT_FOUND", `No key ${input.keyId}.`);
  return { key: summarize(revoked.row), revokedNow: revoked.revokedNow };
}

/**
 * Revokes a key. `accountId`, when given, scopes the lookup so that a customer can only revoke their
 * own keys: another account's key is "not found", never "forbidden" (no existence leak).
 */
export async function revokeKey(db: Store, clock: Clock, input: { keyId: string; accountId?: string }): Promise<ApiKeySummary> {
  return (await revoke(db, clock, input)).key;
}

/** What the key verbs need to own their side effects: the audit trail and the change feed (the meter's key cache). */
export interface KeysContext {
  db: Store;
  clock: Clock;
  feed: ChangeFeed;
  maxActiveKeys: number;
}

/** Issues a key for an account, audited; the full key is in the answer and nowhere else. */
export async function issueKey(ctx: KeysContext, input: { accountId: string; name?: string | undefined }, actor: string): Promise<CreatedKey> {
  const created = await createKey(ctx.db, ctx.clock, input, { maxActiveKeys: ctx.maxActiveKeys });
  await recordAudit(ctx.db, ctx.clock, { actor, action: "key.created", accountId: created.accountId, details: { keyId: created.id, prefix: created.prefix, name: created.name } });
  ctx.feed.publish({ kind: "keys.changed" });
  return created;
}

/**
 * Revokes a key, audited, effective on the next call (the meter forgets its cached keys; another
 * process learns of it within one flush interval). `accountId` scopes it to that account's keys.
 */
export async function withdrawKey(ctx: Pick<KeysContext, "db" | "clock" | "feed">, input: { keyId: string; accountId?: string }, actor: string): Promise<ApiKeySummary> {
  const { key: revoked, revokedNow } = await revoke(ctx.db, ctx.clock, input);
  // Only the call that revoked it audits and tells: a repeat (or one that lost a race) changes nothing.
  if (revokedNow) {
    await recordAudit(ctx.db, ctx.clock, { actor, action: "key.revoked", accountId: revoked.accountId, details: { keyId: revoked.id, prefix: revoked.prefix } });
    ctx.feed.publish({ kind: "keys.changed" });
  }
  return revoked;
}
