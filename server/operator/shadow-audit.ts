import type { Catalog } from "../../shared/catalog";
import { DAY_MS, startOfUtcDay } from "../../shared/limits";
import { listAccounts } from "../accounts/accounts";
import { callsPerMinute, lastPlanChangeOf, recentNoticesOf, usageDaysOf } from "../db/queries/operator";
import { callsServed, meterColumnOf, type MeterColumn } from "../db/queries/usage";
import type { Store } from "../db/queries/store";
import type { Meter } from "../metering/meter";
import type { PlanAdvisor } from "../plans/plan-advisor";
import { dayOverCaps, replayAgainstCaps } from "../../shared/cap-rules";
import { billingPeriodAt } from "../../shared/limits";
import type { BillingInterval, Caps } from "../../shared/plans";
import { monthWindowStart } from "../../shared/limits";

export interface AuditRow {
  accountId: string;
  name: string;
  email: string;
  planId: string;
  mode: string;
  peakMinute: number;
  peakDay: number;
  periodUsage: number;
  wouldThrottle: number;
  throttled: number;
  daysOver: number;
  /**
   * The one recommendation (the Plans page's): the plan, its estimated monthly cost at the account's
   * rate, and the difference from what the current plan costs at that rate.
   */
  recommended: { planId: string; name: string; monthlyCostMinor: number; currentCostMinor: number; costDiffMinor: number; currency: string } | null;
  notices: Array<{ kind: string; createdAtMs: number; deliveredAtMs: number | null }>;
  lastPlanChange: { toPlanId: string; status: string; atMs: number } | null;
}

/**
 * Every account over any cap in [fromMs, toMs): its peaks, how many calls shadow mode would have
 * refused, the days over, the plan that would fit and the notices it was sent. It reads the
 * catalog's default meter (its first): the traffic and caps the audit's columns are about.
 */
export async function shadowAudit(db: Store, catalog: Catalog, meter: Meter, advisor: PlanAdvisor, input: { fromMs: number; toMs: number; planId?: string }): Promise<AuditRow[]> {
  const fromDay = startOfUtcDay(input.fromMs);
  const rows: AuditRow[] = [];
  const accounts = (await listAccounts(db, catalog)).filter((a) => !input.planId || a.plan.id === input.planId);
  if (accounts.length === 0) return rows;
  const days = await usageDaysOf(db, accounts.map((a) => a.id), meterColumnOf(catalog), fromDay, input.toMs);
  for (const a of accounts) {
    const mine = days.filter((d) => d.accountId === a.id);
    let peakMinute = 0;
    let peakDay = 0;
    let wouldThrottle = 0;
    let throttled = 0;
    let daysOver = 0;
    for (const d of mine) {
      const calls = d.allowed + d.wouldThrottle + d.throttled;
      peakMinute = Math.max(peakMinute, d.peakMinute);
      peakDay = Math.max(peakDay, calls);
      wouldThrottle += d.wouldThrottle;
      throttled += d.throttled;
      // The one rule, against the caps the account has now (whatever plan it was on that day).
      if (dayOverCaps(a.caps, { calls, peakMinute: d.peakMinute })) daysOver++;
    }
    await meter.prepare(a.id);
    const standing = meter.limitsFor(a.id);
    const monthOver = standing.limits.some((l) => l.window === "month" && l.state === "over");
    if (daysOver === 0 && !monthOver) continue;
    const advice = await advisor.compare(a.id);
    const rec = advice?.switchTo;
    const sent = await recentNoticesOf(db, a.id, input.fromMs - 30 * DAY_MS, 10);
    const last = await lastPlanChangeOf(db, a.id);
    rows.push({
      accountId: a.id,
      name: a.name,
      email: a.email,
      planId: a.plan.id,
      mode: a.enforcement,
      peakMinute,
      peakDay,
      periodUsage: standing.limits.find((l) => l.window === "month")!.used,
      wouldThrottle,
      throttled,
      daysOver,
      recommended:
        advice && rec && rec.monthlyCostMinor !== undefined
          ? { planId: rec.planId, name: rec.name, monthlyCostMinor: rec.monthlyCostMinor, currentCostMinor: advice.currentCostMinor, costDiffMinor: rec.monthlyCostMinor - advice.currentCostMinor, currency: rec.currency ?? a.currency }
          : null,
      notices: sent,
      lastPlanChange: last ? { toPlanId: last.toPlanId, status: last.status, atMs: last.createdAtMs } : null,
    });
  }
  return rows.sort((x, y) => y.wouldThrottle + y.throttled - (x.wouldThrottle + x.throttled));
}

/**
 * Calls per day that enforcement would refuse now: the last 7 full UTC days' traffic of each account,
 * replayed minute by minute against the caps the account has now (shared/cap-rules.ts) — not the
 * would-throttle counts recorded at the time, which were decided against whatever plan it was on.
 */
export async function refusedPerDay(db: Store, accounts: Array<{ id: string; caps: Caps; billingAnchorMs: number; planStartedAtMs: number | null; quotaWindow?: BillingInterval }>, nowMs: number, meter: MeterColumn): Promise<number> {
  if (accounts.length === 0) return 0;
  const to = startOfUtcDay(nowMs);
  const from = to - 7 * DAY_MS;
  let refused = 0;
  for (const a of accounts) {
    const minutes = await callsPerMinute(db, a.id, meter, from, to);
    // The month window as it stood when the replay starts, and where it starts over within the week.
    // (The month window spans the billing year for a yearly quota.)
    const period = billingPeriodAt(a.billingAnchorMs, from, a.quotaWindow);
    const monthUsedBefore = a.caps.month === undefined ? 0 : await callsServed(db, a.id, meter, monthWindowStart(period, a.planStartedAtMs), from);
    const monthStartsMs: number[] = [];
    for (let p = period.endMs; p < to; p = billingPeriodAt(a.billingAnchorMs, p, a.quotaWindow).endMs) monthStartsMs.push(p);
    refused += replayAgainstCaps(a.caps, minutes, { monthUsedBefore, monthStartsMs }).refused;
  }
  return Math.round(refused / 7);
}
