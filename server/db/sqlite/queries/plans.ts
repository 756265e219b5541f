import { and, asc, count, eq, gt, inArray } from "drizzle-orm";
import { accounts, OPEN_PLAN_CHANGE_STATUSES, planChanges } from "../../schema";
import type { Db } from "../../client";

/** What the plan advisor's answer depends on besides traffic: the account's plan and terms. */
export interface AdviceTermsRow {
  id: string;
  planId: string;
  planVersion: number;
  billingAnchorMs: number;
  billingInterval: "month" | "year";
  planStartedAtMs: number | null;
  overageOptIn: boolean;
  grandfatheredUntilMs: number | null;
  createdAtMs: number;
}

/**
 * The account's terms as the advisor reads them. Synchronous, for the advisor's answer to the
 * meter's 429 (PlanAdvisor.switchFor); everything else reads through adviceTerms.
 */
export function adviceTermsNow(db: Db, accountId: string): AdviceTermsRow | undefined {
  return db
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
    .where(eq(accounts.id, accountId))
    .get();
}

export async function adviceTerms(db: Db, accountId: string): Promise<AdviceTermsRow | undefined> {
  return adviceTermsNow(db, accountId);
}

/** The plan changes applied to the account that took effect after `afterMs`, in the order they did. */
export async function appliedPlanChanges(db: Db, accountId: string, afterMs: number): Promise<Array<{ fromPlanId: string; toPlanId: string; atMs: number }>> {
  return db
    .select({ fromPlanId: planChanges.fromPlanId, toPlanId: planChanges.toPlanId, atMs: planChanges.effectiveAtMs })
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "applied"), gt(planChanges.effectiveAtMs, afterMs)))
    .orderBy(asc(planChanges.effectiveAtMs))
    .all();
}

/** Every plan id the data still needs: accounts' plans (with how many are on each) and the targets of changes still waiting. */
export async function planIdsInUse(db: Db): Promise<Map<string, number>> {
  const inUse = new Map<string, number>();
  for (const r of db.select({ planId: accounts.planId, n: count() }).from(accounts).groupBy(accounts.planId).all()) inUse.set(r.planId, r.n);
  for (const r of db.selectDistinct({ planId: planChanges.toPlanId }).from(planChanges).where(and(eq(planChanges.kind, "plan_change"), inArray(planChanges.status, OPEN_PLAN_CHANGE_STATUSES))).all()) {
    if (!inUse.has(r.planId)) inUse.set(r.planId, 0);
  }
  return inUse;
}
