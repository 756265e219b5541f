import { and, asc, count, eq, gt, inArray, sql } from "drizzle-orm";
import type { AdviceTermsRow } from "../../queries/plans";
import type { PgDb } from "../client";
import { accounts, OPEN_PLAN_CHANGE_STATUSES, planChanges } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/plans.ts`, its asynchronous functions. `adviceTermsNow`
 * has no twin: it answers the meter's synchronous 429 path, which PostgreSQL cannot.
 */
export type { AdviceTermsRow };

export async function adviceTerms(db: PgDb, accountId: string): Promise<AdviceTermsRow | undefined> {
  const [row] = await db
    .select({
      id: accounts.id,
      planId: accounts.planId,
      planVersion: accounts.planVersion,
      billingAnchorMs: accounts.billingAnchorMs,
      billingInterval: accounts.billingInterval,
      planStartedAtMs: accounts.planStartedAtMs,
      overageOptIn: accounts.overageOptIn,
      grandfatheredUntilMs: accounts.grandfatheredUntilMs,
      createdAtMs: accounts.createdAtMs,
    })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return row;
}

/** Changes of one millisecond come in id order here; SQLite leaves their order unspecified. */
export async function appliedPlanChanges(db: PgDb, accountId: string, afterMs: number): Promise<Array<{ fromPlanId: string; toPlanId: string; atMs: number }>> {
  return db
    .select({ fromPlanId: planChanges.fromPlanId, toPlanId: planChanges.toPlanId, atMs: planChanges.effectiveAtMs })
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "applied"), gt(planChanges.effectiveAtMs, afterMs)))
    .orderBy(asc(planChanges.effectiveAtMs), asc(planChanges.id));
}

/**
 * The map's keys come in plan id byte order (SQLite groups by walking its plan index), then the
 * targets no account is on yet in the same order: `count()` is drizzle's, a number on both dialects.
 */
export async function planIdsInUse(db: PgDb): Promise<Map<string, number>> {
  const byPlanId = sql`${accounts.planId} collate "C"`;
  const inUse = new Map<string, number>();
  for (const r of await db.select({ planId: accounts.planId, n: count() }).from(accounts).groupBy(accounts.planId).orderBy(byPlanId)) inUse.set(r.planId, r.n);
  // GROUP BY rather than DISTINCT: PostgreSQL orders a DISTINCT only by what it selects, not by a collated copy.
  const targets = await db
    .select({ planId: planChanges.toPlanId })
    .from(planChanges)
    .where(and(eq(planChanges.kind, "plan_change"), inArray(planChanges.status, OPEN_PLAN_CHANGE_STATUSES)))
    .groupBy(planChanges.toPlanId)
    .orderBy(sql`${planChanges.toPlanId} collate "C"`);
  for (const r of targets) if (!inUse.has(r.planId)) inUse.set(r.planId, 0);
  return inUse;
}
