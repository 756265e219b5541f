import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { apiKeys, type ApiKeyRow } from "../../schema";
import type { Db } from "../../client";

export type { ApiKeyRow };
export type NewApiKeyRow = typeof apiKeys.$inferInsert;

/**
 * Adds a key unless the account already has `maxActive` keys not revoked, counted and added in one
 * transaction so that two requests at once cannot both take the last place.
 */
export async function insertKeyWithinLimit(db: Db, values: NewApiKeyRow, maxActive: number): Promise<{ row: ApiKeyRow } | { active: number }> {
  return db.transaction((tx) => {
    const active = tx
      .select({ n: sql<number>`count(*)` })
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, values.accountId), isNull(apiKeys.revokedAtMs)))
      .get()!.n;
    if (active >= maxActive) return { active };
    return { row: tx.insert(apiKeys).values(values).returning().get() };
  });
}

/** An account's keys, newest first; revoked ones only when asked. */
export async function listKeyRows(db: Db, accountId: string, opts: { includeRevoked: boolean }): Promise<ApiKeyRow[]> {
  const where = opts.includeRevoked ? eq(apiKeys.accountId, accountId) : and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAtMs));
  return db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAtMs)).all();
}

/**
 * Revokes a key once: a revocation that raced this one keeps its moment. `accountId`, when given,
 * scopes the lookup (another account's key is not found). `revokedNow` says whether this call is the
 * one that revoked it, which decides who audits and tells the others.
 */
export async function revokeKeyRow(db: Db, input: { keyId: string; accountId?: string | undefined; atMs: number }): Promise<{ row: ApiKeyRow; revokedNow: boolean } | null> {
  return db.transaction((tx) => {
    const row = tx.select().from(apiKeys).where(eq(apiKeys.id, input.keyId)).get();
    if (!row || (input.accountId !== undefined && row.accountId !== input.accountId)) return null;
    if (row.revokedAtMs !== null) return { row, revokedNow: false };
    const updated = tx.update(apiKeys).set({ revokedAtMs: input.atMs }).where(and(eq(apiKeys.id, row.id), isNull(apiKeys.revokedAtMs))).returning().get();
    return updated ? { row: updated, revokedNow: true } : { row: tx.select().from(apiKeys).where(eq(apiKeys.id, row.id)).get()!, revokedNow: false };
  });
}
