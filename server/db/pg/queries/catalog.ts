import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import type { CatalogLoadRow, PlanVersionRow } from "../../queries/catalog";
import type { PgDb } from "../client";
import { accounts, catalogLoads, OPEN_PLAN_CHANGE_STATUSES, planChanges, planVersions, quotes } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/catalog.ts`: the same functions, the same answers. Lists
 * SQLite returns in an unspecified order (plan versions, the accounts on one) come in key order here;
 * plan ids sort in byte order (`collate "C"`), as SQLite's BINARY collation does, whatever the locale.
 */
export type { CatalogLoadRow, PlanVersionRow };

export async function planVersionRows(db: PgDb): Promise<PlanVersionRow[]> {
  return db.select().from(planVersions).orderBy(sql`${planVersions.planId} collate "C"`, asc(planVersions.version));
}

/**
 * `ON CONFLICT DO NOTHING` waits for a concurrent insert of the same version and then skips it: the
 * first recorded stays. Rows go in key order, so two processes inserting overlapping sets wait on
 * each other in one order and cannot deadlock.
 */
export async function insertPlanVersions(db: PgDb, rows: PlanVersionRow[]): Promise<void> {
  const sorted = [...rows].sort((a, b) => (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : a.version - b.version));
  if (sorted.length > 0) await db.insert(planVersions).values(sorted).onConflictDoNothing();
}

export async function lastCatalogLoads(db: PgDb, n: number): Promise<CatalogLoadRow[]> {
  return db.select().from(catalogLoads).orderBy(desc(catalogLoads.id)).limit(n);
}

export async function insertCatalogLoad(db: PgDb, row: Omit<CatalogLoadRow, "id">): Promise<void> {
  await db.insert(catalogLoads).values(row);
}

export async function accountsPerPlanVersion(db: PgDb): Promise<Array<{ planId: string; planVersion: number; accounts: number }>> {
  return db
    .select({ planId: accounts.planId, planVersion: accounts.planVersion, accounts: count() })
    .from(accounts)
    .groupBy(accounts.planId, accounts.planVersion)
    .orderBy(sql`${accounts.planId} collate "C"`, asc(accounts.planVersion));
}

export async function accountIdsOnPlanVersion(db: PgDb, planId: string, version: number): Promise<string[]> {
  const rows = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.planId, planId), eq(accounts.planVersion, version)))
    .orderBy(asc(accounts.id));
  return rows.map((r) => r.id);
}

export async function planVersionsInUse(db: PgDb): Promise<Array<{ planId: string; version: number }>> {
  // GROUP BY rather than DISTINCT: PostgreSQL orders a DISTINCT only by what it selects, not by a collated copy.
  const on = await db
    .select({ planId: accounts.planId, version: accounts.planVersion })
    .from(accounts)
    .groupBy(accounts.planId, accounts.planVersion)
    .orderBy(sql`${accounts.planId} collate "C"`, asc(accounts.planVersion));
  const waiting = await db
    .select({ planId: quotes.toPlanId, version: quotes.toPlanVersion })
    .from(planChanges)
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .where(and(eq(planChanges.kind, "plan_change"), inArray(planChanges.status, OPEN_PLAN_CHANGE_STATUSES)))
    .groupBy(quotes.toPlanId, quotes.toPlanVersion)
    .orderBy(sql`${quotes.toPlanId} collate "C"`, asc(quotes.toPlanVersion));
  const seen = new Map<string, { planId: string; version: number }>();
  for (const v of [...on, ...waiting]) seen.set(`${v.planId}@${v.version}`, v);
  return [...seen.values()];
}
