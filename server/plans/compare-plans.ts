import { PLAN_LIST, type Plan, type PlanId } from "../../shared/plans";
import { peaksFromDays, recommendPlan, type PlanVerdict, type Recommendation, type UsagePeaks } from "../../shared/recommend";
import type { Db } from "../db/client";
import type { Account } from "../accounts/accounts";
import { getDailyHistory, HISTORY_DAYS, toDailyUsage } from "../metering/usage-history";

export interface PlanComparisonView {
  plans: Plan[];
  currentPlanId: PlanId;
  /** Peaks of the last 30 UTC days (today included). */
  peaks: UsagePeaks;
  windowDays: number;
  verdicts: PlanVerdict[];
  /** null when no plan fits, or when there were no calls in the window to fit. */
  recommendation: Recommendation | null;
}

/** The public plans judged against the account's last 30 days, and the one we recommend. */
export function comparePlans(db: Db, account: Account, nowMs: number): PlanComparisonView {
  const days = toDailyUsage(getDailyHistory(db, account.id, nowMs, HISTORY_DAYS));
  const peaks = peaksFromDays(days);
  const plans = PLAN_LIST.filter((p) => p.public);
  const { verdicts, recommendation } = recommendPlan({ peaks, days }, plans, { currentPlanId: account.plan.id });
  // Without a single call there is nothing to fit: "switch to Free" would only be noise for a new customer.
  return { plans, currentPlanId: account.plan.id, peaks, windowDays: HISTORY_DAYS, verdicts, recommendation: peaks.month > 0 ? recommendation : null };
}
