import { startOfUtcDay, type LimitStatus } from "../../shared/limits";
import type { Store } from "../db/queries/store";
import { usageDayOf } from "../db/queries/usage";
import type { Account } from "../accounts/accounts";
import type { Meter } from "./meter";
import type { MeterSpec } from "./meters";

export interface UsageCounts {
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
}

/** Where the account stands on one meter. */
export interface MeterOverview {
  /** The meter's id. */
  id: string;
  /** What it counts, in the plural ("API calls"): the heading of its part of the usage page. */
  unit: string;
  limits: LimitStatus[];
  today: UsageCounts;
}

export interface UsageOverview {
  period: { startMs: number; endMs: number };
  /** The default meter's windows (the catalog's first meter; `meters` has every meter's). */
  limits: LimitStatus[];
  /** The default meter's counts today. */
  today: UsageCounts;
  /** Every meter of the catalog, the default first. */
  meters: MeterOverview[];
  /** When the current plan took effect, if that was today (UTC): today's counts before it were decided against the previous plan's caps. */
  planStartedTodayAtMs: number | null;
}

/**
 * Where the account stands in each window of its plan, on each meter. The limits come from the
 * meter's live counters (the numbers the next call is decided on); today's breakdown from the rollups.
 */
export async function getUsageOverview(db: Store, meter: Meter, account: Account, nowMs: number): Promise<UsageOverview> {
  const dayMs = startOfUtcDay(nowMs);
  let period: UsageOverview["period"] | undefined;
  const meters: MeterOverview[] = [];
  await meter.prepare(account.id);
  for (const m of meter.meters.all as readonly MeterSpec[]) {
    const standing = meter.limitsFor(account.id, m.id);
    period ??= standing.period;
    const todayRow = await usageDayOf(db, account.id, m.column, dayMs);
    const today: UsageCounts = {
      allowed: todayRow?.allowed ?? 0,
      wouldThrottle: todayRow?.wouldThrottle ?? 0,
      throttled: todayRow?.throttled ?? 0,
      ceiling: todayRow?.ceiling ?? 0,
    };
    meters.push({ id: m.id, unit: m.unit, limits: standing.limits, today });
  }
  const main = meters[0]!;
  const started = account.planStartedAtMs;
  return { period: period!, limits: main.limits, today: main.today, meters, planStartedTodayAtMs: started !== null && started > dayMs && started <= nowMs ? started : null };
}
