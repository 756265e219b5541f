import { formatPrice } from "../../shared/money";
import { PLAN_LIST, PLANS, isPlanId } from "../../shared/plans";
import { peaksFromDays, recommendPlan } from "../../shared/recommend";
import { findAccount } from "../accounts/accounts";
import type { Db } from "../db/client";
import type { Recommended } from "../detection/detect";
import type { Clock } from "../lib/clock";
import { getDailyHistory, HISTORY_DAYS, toDailyUsage } from "../metering/usage-history";

const TTL_MS = 10 * 60_000;

/**
 * The upgrade to offer an account that is over a cap (in notices, banners and 429 links), cached a
 * few minutes per account: the 30-day comparison reads a month of rollups, and the meter asks on
 * every over-cap call. The live counters are folded in, so a burst that has not been flushed yet
 * counts. Only a plan that costs more than the current one is offered here: a cheaper plan that
 * "fits" a burst is not the way out of being over a cap (the plans page shows the full comparison).
 */
export class RecommendationCache {
  private readonly cache = new Map<string, { atMs: number; value: Recommended | null }>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly live: (accountId: string) => { minute: number; day: number },
  ) {}

  get(accountId: string): Recommended | null {
    const now = this.clock.now();
    const hit = this.cache.get(accountId);
    if (hit && now - hit.atMs < TTL_MS) return hit.value;
    const account = findAccount(this.db, accountId);
    let value: Recommended | null = null;
    if (account) {
      const days = toDailyUsage(getDailyHistory(this.db, account.id, now, HISTORY_DAYS));
      const peaks = peaksFromDays(days);
      const live = this.live(account.id);
      peaks.minute = Math.max(peaks.minute, live.minute);
      peaks.day = Math.max(peaks.day, live.day);
      const upgrades = PLAN_LIST.filter((p) => p.public && (p.id === account.plan.id || p.priceMinor > account.plan.priceMinor));
      const rec = recommendPlan({ peaks, days }, upgrades, { currentPlanId: account.plan.id }).recommendation;
      if (rec && rec.planId !== account.plan.id && isPlanId(rec.planId)) {
        const plan = PLANS[rec.planId];
        value = { planId: plan.id, name: plan.name, price: formatPrice(plan.priceMinor, plan.currency) };
      }
    }
    this.cache.set(accountId, { atMs: now, value });
    return value;
  }

  invalidate(accountId: string): void {
    this.cache.delete(accountId);
  }
}
