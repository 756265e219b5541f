import { asc, eq } from "drizzle-orm";
import type { EnforcementMode } from "../../../../shared/plans";
import { accounts, planSettings, type AccountRow } from "../../schema";
import type { Db } from "../../client";

export type { AccountRow };
export type NewAccountRow = typeof accounts.$inferInsert;

/** Enforcement modes operators set per plan (plans without a row follow the catalog). */
export async function planModes(db: Db): Promise<Map<string, EnforcementMode>> {
  return new Map(db.select().from(planSettings).all().map((r) => [r.planId, r.enforcement]));
}

/**
 * Adds an account unless its e-mail is taken, in one transaction: two sign-ups with one address
 * get one account between them. Answers the existing account's id when the address is taken.
 */
export async function insertAccountUnlessEmailTaken(db: Db, values: NewAccountRow): Promise<{ row: AccountRow } | { takenBy: string }> {
  return db.transaction((tx) => {
    const existing = tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.email, values.email)).get();
    if (existing) return { takenBy: existing.id };
    return { row: tx.insert(accounts).values(values).returning().get() };
  });
}

/** Every account, by name. */
export async function listAccountRows(db: Db): Promise<AccountRow[]> {
  return db.select().from(accounts).orderBy(asc(accounts.name)).all();
}

export async function accountRowById(db: Db, id: string): Promise<AccountRow | undefined> {
  return db.select().from(accounts).where(eq(accounts.id, id)).get();
}
