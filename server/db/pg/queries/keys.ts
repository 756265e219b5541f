import { and, count, desc, eq, isNull } from "drizzle-orm";
import type { ApiKeyRow, NewApiKeyRow } from "../../queries/keys";
import type { PgDb } from "../client";
import { accounts, apiKeys } from "../schema";

/** The PostgreSQL side of `server/db/queries/keys.ts`: the same functions, the same answers. */
export type { ApiKeyRow, NewApiKeyRow };

/**
 * Counts and adds under a lock on the account's row (`FOR NO KEY UPDATE`): under READ COMMITTED two
 * instances could otherwise both count one place left and both take it. The lock queues the key
 * requests of one account only, and does not block rows elsewhere that merely reference the account.
 * An account that does not exist locks nothing and the insert fails on its foreign key, as in SQLite.
 */
export async function insertKeyWithinLimit(db: PgDb, values: NewApiKeyRow, maxActive: number): Promise<{ row: ApiKeyRow } | { active: number }> {
  return db.transaction(async (tx) => {
    await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, values.accountId)).for("no key update");
    const [counted] = await tx
      .select({ n: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, values.accountId), isNull(apiKeys.revokedAtMs)));
    const active = counted?.n ?? 0;
    if (active >= maxActive) return { active };
    const [row] = await tx.insert(apiKeys).values(values).returning();
    return { row: row! };
  });
}

/** Keys made in the same millisecond come in id order here; SQLite leaves their order unspecified. */
export async function listKeyRows(db: PgDb, accountId: string, opts: { includeRevoked: boolean }): Promise<ApiKeyRow[]> {
  const where = opts.includeRevoked ? eq(apiKeys.accountId, accountId) : and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAtMs));
  return db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAtMs), apiKeys.id);
}

/**
 * The revoking update re-checks `revoked_at_ms is null` against the row's latest version (READ
 * COMMITTED re-evaluates the WHERE after waiting on a concurrent writer), so of two revocations at
 * once exactly one is `revokedNow`; no transaction is needed around the three statements.
 */
export async function revokeKeyRow(db: PgDb, input: { keyId: string; accountId?: string | undefined; atMs: number }): Promise<{ row: ApiKeyRow; revokedNow: boolean } | null> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, input.keyId));
  if (!row || (input.accountId !== undefined && row.accountId !== input.accountId)) return null;
  if (row.revokedAtMs !== null) return { row, revokedNow: false };
  const [updated] = await db
    .update(apiKeys)
    .set({ revokedAtMs: input.atMs })
    .where(and(eq(apiKeys.id, row.id), isNull(apiKeys.revokedAtMs)))
    .returning();
  if (updated) return { row: updated, revokedNow: true };
  const [current] = await db.select().from(apiKeys).where(eq(apiKeys.id, row.id));
  return { row: current!, revokedNow: false };
}
