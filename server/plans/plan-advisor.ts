import { eq } from "drizzle-orm";
import { PLAN_LIST, PLANS, isPlanId, type Plan, type PlanId } from "../../shared/plans";
import { estimateMonthlyCalls, peaksFromDays, projectMonth, recommendPlan, switchAdviceOf, type PlanVerdict, type Recommendation, type SwitchAdvice, type UsagePeaks } from "../../shared/recommend";
import { findAccountSync, type Account } from "../accounts/accounts";
import type { Db } from "../db/client";
import { accounts } from "../db/schema";
import type { Clock } from "../lib/clock";
import { billingPeriodAt, monthWindowStart } from "../../shared/limits";
import { callsServedBetween } from "../db/queries/usage";
import { earliestUsageDayMs, getDailyHistory, HISTORY_DAYS, toDailyUsage } from "../metering/usage-history";

export interface PlanComparisonView {
  plans: Plan[];
  currentPlanId: PlanId;
  /** The last 30 UTC days (today included): busiest minute, busiest day, and `month` = the estimated calls per month. */
  peaks: UsagePeaks;
  windowDays: number;
  /** Calls made in the window (the estimate scales this up for an account younger than the window). */
  callsInWindow: number;
  /** The current plan's month window at this rate (its calls so far plus the rest of it at this rate). */
  currentPlanMonth: number;
  verdicts: PlanVerdict[];
  /** null when no plan fits, or when there were no calls in the window to fit. */
  recommendation: Recommendation | null;
  /** The switch to offer: the recommendation when it is not the current plan; null otherwise. */
  switchTo: SwitchAdvice | null;
  /** What the current plan costs a month at this rate (base + usage), minor units. */
  currentCostMinor: number;
  /** Unix ms the comparison was computed at. */
  atMs: number;
}

/** Where the account stands in its current month window. */
export type MonthStanding = (account: Account, nowMs: number) => { used: number; endMs: number };

/**
 * The month window's calls as the rollups hold them: at most one flush behind the meter, and the same
 * source as the rest of the advice (so every surface reads one answer).
 */
export function monthFromRollups(db: Db): MonthStanding {
  return (account, nowMs) => {
    const period = billingPeriodAt(account.billingAnchorMs, nowMs);
    return { used: callsServedBetween(db.$client, account.id, monthWindowStart(period, account.planStartedAtMs), nowMs + 1), endMs: period.endMs };
  };
}

const TTL_MS = 60_000;

/** What an answer depends on besides traffic: another process changing any of it makes the answer stale. */
type Terms = { planId: string; billingAnchorMs: number; planStartedAtMs: number | null; overageOptIn: boolean; grandfatheredUntilMs: number | null };
const termsKey = (t: Terms) => JSON.stringify([t.planId, t.billingAnchorMs, t.planStartedAtMs, t.overageOptIn, t.grandfatheredUntilMs]);

interface Cached {
  view: PlanComparisonView;
  terms: string;
  /** The round of changes made elsewhere it was last checked against. */
  round: number;
}

/**
 * The one answer to "which plan fits this account, at what cost": the Plans page, the wizard, the
 * banner, e-mails and webhooks, the 429's upgrade link and the console all ask here. Answers are
 * kept a minute per account (the meter asks on every over-cap call; a comparison reads a month of
 * rollups) and dropped when the account's plan or terms change — here, or in another process (an
 * answer kept across a commit made elsewhere is checked against the account's terms before use).
 */
export class PlanAdvisor {
  private readonly cache = new Map<string, Cached>();
  private round = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly month: MonthStanding = monthFromRollups(db),
  ) {}

  /** The public plans against the account's traffic, the recommendation and the switch to offer; null for an unknown account. */
  compare(accountId: string): PlanComparisonView | null {
    const now = this.clock.now();
    const hit = this.cache.get(accountId);
    if (hit && now - hit.view.atMs < TTL_MS && now >= hit.view.atMs && this.stillCurrent(accountId, hit)) return hit.view;
    const account = findAccountSync(this.db, accountId);
    if (!account) return null;
    const view = this.computeFor(account, now);
    this.cache.set(accountId, { view, terms: termsKey({ ...account, planId: account.plan.id }), round: this.round });
    return view;
  }

  /** Another process committed something: each kept answer is checked against its account's terms before it is used again. */
  changedElsewhere(): void {
    this.round++;
  }

  private stillCurrent(accountId: string, hit: Cached): boolean {
    if (hit.round === this.round) return true;
    const row = this.db
      .select({ planId: accounts.planId, billingAnchorMs: accounts.billingAnchorMs, planStartedAtMs: accounts.planStartedAtMs, overageOptIn: accounts.overageOptIn, grandfatheredUntilMs: accounts.grandfatheredUntilMs })
      .from(accounts)
      .where(eq(accounts.id, accountId))
      .get();
    if (!row || termsKey(row) !== hit.terms) return false;
    hit.round = this.round;
    return true;
  }

  /** The plan to offer the account as a switch (null when its plan is already the best fit). */
  switchFor(accountId: string): SwitchAdvice | null {
    return this.compare(accountId)?.switchTo ?? null;
  }

  invalidate(accountId: string): void {
    this.cache.delete(accountId);
  }

  private computeFor(account: Account, now: number): PlanComparisonView {
    const history = getDailyHistory(this.db, account.id, now, HISTORY_DAYS);
    const days = toDailyUsage(history);
    const callsInWindow = days.reduce((s, d) => s + d.calls, 0);
    const firstDay = earliestUsageDayMs(this.db, account.id);
    const monthlyCalls = estimateMonthlyCalls({ days, nowMs: now, accountCreatedAtMs: Math.min(account.createdAtMs, firstDay ?? Infinity) });
    const standing = this.month(account, now);
    const currentPlanMonth = projectMonth({ usedSoFar: standing.used, nowMs: now, windowEndMs: standing.endMs, monthlyCalls });
    const peaks = peaksFromDays(days, monthlyCalls);
    const plans = PLAN_LIST.filter((p) => p.public);
    const { verdicts, recommendation } = recommendPlan({ peaks, days, currentPlanMonth }, plans, { currentPlanId: account.plan.id });
    // Without a single call there is nothing to fit: "switch to Free" would only be noise for a new customer.
    const rec = callsInWindow > 0 ? recommendation : null;
    const recPlan = rec && isPlanId(rec.planId) ? PLANS[rec.planId] : null;
    const current = verdicts.find((v) => v.planId === account.plan.id);
    return {
      plans,
      currentPlanId: account.plan.id,
      peaks,
      windowDays: HISTORY_DAYS,
      callsInWindow,
      currentPlanMonth,
      verdicts,
      recommendation: rec,
      switchTo: rec && recPlan && rec.planId !== account.plan.id ? switchAdviceOf(recPlan, rec) : null,
      currentCostMinor: current?.monthlyCostMinor ?? account.plan.priceMinor,
      atMs: now,
    };
  }
}
