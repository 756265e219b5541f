import { and, asc, eq, gt } from "drizzle-orm";
import { accounts, planChanges } from "../schema";
import type { Store } from "./store";

/** What the plan advisor's answer depends on besides traffic: the account's plan and terms. */
export interface AdviceTermsRow {
  id: string;
  planId: string;
  billingAnchorMs: number;
  planStartedAtMs: number | null;
  overageOptIn: boolean;
  grandfatheredUntilMs: number | null;
  createdAtMs: number;
}

/**
 * The account's terms as the advisor reads them. Synchronous, for the advisor's answer to the
 * meter's 429 (PlanAdvisor.switchFor); everything else reads through adviceTerms.
 */
export function adviceTermsNow(db: Store, accountId: string): AdviceTermsRow | undefined {
  return db
    .select({
      id: accounts.id,
      planId: accounts.planId,
      billingAnchorMs: accounts.billingAnchorMs,
      planStartedAtMs: accounts.planStartedAtMs,
      overageOptIn: accounts.overageOptIn,
      grandfatheredUntilMs: accounts.grandfatheredUntilMs,
      createdAtMs: accounts.createdAtMs,
    })
    .from(accounts)
    .where(eq(accounts.id, accountId))
    .get();
}

export async function adviceTerms(db: Store, accountId: string): Promise<AdviceTermsRow | undefined> {
  return adviceTermsNow(db, accountId);
}

/** The plan changes applied to the account that took effect after `afterMs`, in the order they did. */
export async function appliedPlanChanges(db: Store, accountId: string, afterMs: number): Promise<Array<{ fromPlanId: string; toPlanId: string; atMs: number }>> {
  return db
    .select({ fromPlanId: planChanges.fromPlanId, toPlanId: planChanges.toPlanId, atMs: planChanges.effectiveAtMs })
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "applied"), gt(planChanges.effectiveAtMs, afterMs)))
    .orderBy(asc(planChanges.effectiveAtMs))
    .all();
}
