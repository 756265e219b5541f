import { and, eq } from "drizzle-orm";
import { startOfUtcDay, type LimitStatus } from "../../shared/limits";
import type { Db } from "../db/client";
import { usageDay } from "../db/schema";
import type { Account } from "../accounts/accounts";
import type { Meter } from "./meter";

export interface UsageCounts {
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
}

export interface UsageOverview {
  period: { startMs: number; endMs: number };
  limits: LimitStatus[];
  today: UsageCounts;
  /** When the current plan took effect, if that was today (UTC): today's counts before it were decided against the previous plan's caps. */
  planStartedTodayAtMs: number | null;
}

/**
 * Where the account stands in each window of its plan. The limits come from the meter's live
 * counters (the numbers the next call is decided on); today's breakdown from the rollups.
 */
export function getUsageOverview(db: Db, meter: Meter, account: Account, nowMs: number): UsageOverview {
  const { limits, period } = meter.limitsFor(account.id);
  const dayMs = startOfUtcDay(nowMs);
  const todayRow = db
    .select()
    .from(usageDay)
    .where(and(eq(usageDay.accountId, account.id), eq(usageDay.dayMs, dayMs)))
    .get();
  const today: UsageCounts = {
    allowed: todayRow?.allowed ?? 0,
    wouldThrottle: todayRow?.wouldThrottle ?? 0,
    throttled: todayRow?.throttled ?? 0,
    ceiling: todayRow?.ceiling ?? 0,
  };
  const started = account.planStartedAtMs;
  return { period, limits, today, planStartedTodayAtMs: started !== null && started > dayMs && started <= nowMs ? started : null };
}
