import { and, eq, gte, lt, sql } from "drizzle-orm";
import { limitStatus, startOfMinute, startOfUtcDay, windowResetAt, type LimitStatus } from "../../shared/limits";
import { WINDOWS } from "../../shared/plans";
import type { Db } from "../db/client";
import { usageDay, usageMinute } from "../db/schema";
import { currentPeriod, type Account } from "../accounts/accounts";

/** Calls served count against a cap whether they were within it (allowed) or over it in shadow. */
const served = (t: { allowed: unknown; wouldThrottle: unknown }) => sql<number>`coalesce(sum(${t.allowed} + ${t.wouldThrottle}), 0)`;

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
}

/** Where the account stands in each window of its plan, from the stored rollups. */
export function getUsageOverview(db: Db, account: Account, nowMs: number): UsageOverview {
  const period = currentPeriod(account, nowMs);
  const minuteMs = startOfMinute(nowMs);
  const dayMs = startOfUtcDay(nowMs);

  const minuteUsed = db
    .select({ n: served(usageMinute) })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, account.id), eq(usageMinute.minuteMs, minuteMs)))
    .get()!.n;
  const todayRow = db
    .select()
    .from(usageDay)
    .where(and(eq(usageDay.accountId, account.id), eq(usageDay.dayMs, dayMs)))
    .get();
  const monthUsed = db
    .select({ n: served(usageDay) })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, account.id), gte(usageDay.dayMs, period.startMs), lt(usageDay.dayMs, period.endMs)))
    .get()!.n;

  const today: UsageCounts = {
    allowed: todayRow?.allowed ?? 0,
    wouldThrottle: todayRow?.wouldThrottle ?? 0,
    throttled: todayRow?.throttled ?? 0,
    ceiling: todayRow?.ceiling ?? 0,
  };
  const used = { minute: minuteUsed, day: today.allowed + today.wouldThrottle, month: monthUsed };
  const approachingRatio = account.plan.thresholds[0];
  const limits = WINDOWS.map((window) =>
    limitStatus({ window, limit: account.caps[window], used: used[window], resetAtMs: windowResetAt(window, nowMs, period), approachingRatio }),
  );
  return { period, limits, today };
}
