import { eq, sql } from "drizzle-orm";
import type { EnforcementMode } from "../../../../shared/plans";
import type { AccountRow, NewAccountRow } from "../../queries/accounts";
import type { PgDb } from "../client";
import { accounts, planSettings } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/accounts.ts`, its asynchronous functions. The two
 * synchronous reads there (`accountRowByIdSync`, `planModesSync`) have no twin: they serve SQLite's
 * synchronous billing transactions and the meter's synchronous path, which PostgreSQL cannot answer.
 */
export type { AccountRow, NewAccountRow };

export async function planModes(db: PgDb): Promise<Map<string, EnforcementMode>> {
  const rows = await db.select().from(planSettings);
  return new Map(rows.map((r) => [r.planId, r.enforcement]));
}

/**
 * One statement decides between two sign-ups at once: `ON CONFLICT (email) DO NOTHING` waits for the
 * other insert and then skips, where a read-then-insert would let both pass and one fail on the
 * unique index. The account that holds the address is read after; it can only be missing if it was
 * deleted in between, and then the sign-up tries again.
 */
export async function insertAccountUnlessEmailTaken(db: PgDb, values: NewAccountRow): Promise<{ row: AccountRow } | { takenBy: string }> {
  for (;;) {
    const [row] = await db.insert(accounts).values(values).onConflictDoNothing({ target: accounts.email }).returning();
    if (row) return { row };
    const [existing] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.email, values.email));
    if (existing) return { takenBy: existing.id };
  }
}

/** By name in byte order (SQLite's BINARY collation), whatever the database's locale; one name twice comes in id order. */
export async function listAccountRows(db: PgDb): Promise<AccountRow[]> {
  return db.select().from(accounts).orderBy(sql`${accounts.name} collate "C"`, accounts.id);
}

export async function accountRowById(db: PgDb, id: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  return row;
}
