import { and, count, desc, eq, inArray } from "drizzle-orm";
import { accounts, catalogLoads, OPEN_PLAN_CHANGE_STATUSES, planChanges, planVersions, quotes } from "../../schema";
import type { Db } from "../../client";

export type PlanVersionRow = typeof planVersions.$inferSelect;
export type CatalogLoadRow = typeof catalogLoads.$inferSelect;

export async function planVersionRows(db: Db): Promise<PlanVersionRow[]> {
  return db.select().from(planVersions).all();
}

/** Records new versions; a version already recorded (another process got there first) is left as it is. */
export async function insertPlanVersions(db: Db, rows: PlanVersionRow[]): Promise<void> {
  if (rows.length > 0) db.insert(planVersions).values(rows).onConflictDoNothing().run();
}

/** The last catalog loaded, and the one before it. */
export async function lastCatalogLoads(db: Db, n: number): Promise<CatalogLoadRow[]> {
  return db.select().from(catalogLoads).orderBy(desc(catalogLoads.id)).limit(n).all();
}

export async function insertCatalogLoad(db: Db, row: Omit<CatalogLoadRow, "id">): Promise<void> {
  db.insert(catalogLoads).values(row).run();
}

/** How many accounts are on each version of each plan. */
export async function accountsPerPlanVersion(db: Db): Promise<Array<{ planId: string; planVersion: number; accounts: number }>> {
  return db
    .select({ planId: accounts.planId, planVersion: accounts.planVersion, accounts: count() })
    .from(accounts)
    .groupBy(accounts.planId, accounts.planVersion)
    .all();
}

/** Accounts on a plan at a version. */
export async function accountIdsOnPlanVersion(db: Db, planId: string, version: number): Promise<string[]> {
  return db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.planId, planId), eq(accounts.planVersion, version)))
    .all()
    .map((r) => r.id);
}

/** The plan versions accounts are on, and those changes still waiting (scheduled, awaiting approval, at the provider) will put them on. */
export async function planVersionsInUse(db: Db): Promise<Array<{ planId: string; version: number }>> {
  const on = db.selectDistinct({ planId: accounts.planId, version: accounts.planVersion }).from(accounts).all();
  const waiting = db
    .selectDistinct({ planId: quotes.toPlanId, version: quotes.toPlanVersion })
    .from(planChanges)
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .where(and(eq(planChanges.kind, "plan_change"), inArray(planChanges.status, OPEN_PLAN_CHANGE_STATUSES)))
    .all();
  const seen = new Map<string, { planId: string; version: number }>();
  for (const v of [...on, ...waiting]) seen.set(`${v.planId}@${v.version}`, v);
  return [...seen.values()];
}
