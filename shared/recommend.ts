import { formatMoney, perThousandCostMinor } from "./money";
import type { Plan, PlanId, WindowName } from "./plans";

/** A customer's busiest windows over the last 30 days, in calls. */
export interface UsagePeaks {
  /** Most calls in any one minute. */
  minute: number;
  /** Most calls in any one UTC day. */
  day: number;
  /** Calls in the busiest billing-month-sized stretch; we use the sum of the last 30 days. */
  month: number;
}

/** One UTC day of a customer's traffic, for counting the days a plan would have been over. */
export interface DailyUsage {
  /** Unix ms of the UTC day's start. */
  dayMs: number;
  /** Calls that day. */
  calls: number;
  /** The busiest minute of that day, in calls. */
  peakMinute: number;
}

export interface PlanUsage {
  peaks: UsagePeaks;
  /** The days behind the peaks, oldest first (30 of them for "over on N of 30 days"). */
  days: DailyUsage[];
}

/**
 * - fits: every capped window's peak is within the cap.
 * - fits_with_overage: within the per-minute and per-day caps; the monthly quota is exceeded but billed per 1,000 calls.
 * - over: some cap would have been exceeded (those calls warned about, then refused).
 */
export type FitKind = "fits" | "fits_with_overage" | "over";

export interface PlanVerdict {
  planId: PlanId;
  kind: FitKind;
  /** Windows whose peak exceeds the plan's cap (for overage plans, "month" is billed, not refused). */
  overWindows: WindowName[];
  /** Days on which the day's calls or its busiest minute exceeded the plan's day or minute cap. */
  daysOver: number;
  daysTotal: number;
  /** "fits", "fits, with overage", "over on 12 of 30 days", "over its monthly quota". */
  label: string;
  /** Calls beyond the monthly quota (overage plans) or all calls (metered plans) that are billed. */
  billedCalls: number;
  /** What the usage costs on top of the base price, minor units of `currency`. */
  usageMinor: number;
  /** Base price plus usage, minor units of `currency`. */
  monthlyCostMinor: number;
  currency: string;
}

export interface Recommendation {
  planId: PlanId;
  monthlyCostMinor: number;
  currency: string;
  /** One or two plain sentences: why this plan. */
  reason: string;
}

export interface PlanComparison {
  verdicts: PlanVerdict[];
  /** null when no plan fits (a catalog without a metered plan) or the catalog is empty. */
  recommendation: Recommendation | null;
}

const count = new Intl.NumberFormat("en-US");
const CALLS_PER_BLOCK = 1_000;

/** What the month's calls cost beyond the base price: per started 1,000 over the quota (overage plans), or every call rounded up to the minor unit (metered plans). */
function usageCharge(plan: Plan, usage: UsagePeaks): { billedCalls: number; usageMinor: number } {
  const per1000 = plan.overagePer1000Minor;
  if (per1000 === undefined) return { billedCalls: 0, usageMinor: 0 };
  if (plan.metered) {
    // Every call is billed; the total is rounded up to the minor unit, never down.
    return { billedCalls: usage.month, usageMinor: perThousandCostMinor(usage.month, per1000) };
  }
  const quota = plan.caps.month;
  if (quota === undefined) return { billedCalls: 0, usageMinor: 0 };
  const over = Math.max(0, usage.month - quota);
  return { billedCalls: over, usageMinor: Math.ceil(over / CALLS_PER_BLOCK) * per1000 };
}

function daysOverCaps(plan: Plan, days: DailyUsage[]): number {
  const { minute, day } = plan.caps;
  return days.filter((d) => (day !== undefined && d.calls > day) || (minute !== undefined && d.peakMinute > minute)).length;
}

/** How the customer's last 30 days would have gone on one plan, and what it would have cost. */
export function judgePlan(plan: Plan, usage: PlanUsage): PlanVerdict {
  const { peaks, days } = usage;
  const billsOverage = !plan.metered && plan.overagePer1000Minor !== undefined && plan.caps.month !== undefined;
  const overWindows = (["minute", "day", "month"] as const).filter((w) => {
    const cap = plan.caps[w];
    return !plan.metered && cap !== undefined && peaks[w] > cap;
  });
  const refusedWindows = overWindows.filter((w) => !(w === "month" && billsOverage));
  const daysOver = plan.metered ? 0 : daysOverCaps(plan, days);
  const { billedCalls, usageMinor } = usageCharge(plan, peaks);
  const kind: FitKind = refusedWindows.length > 0 ? "over" : overWindows.length > 0 ? "fits_with_overage" : "fits";

  let label: string;
  if (kind === "fits") label = "fits";
  else if (kind === "fits_with_overage") label = "fits, with overage";
  else if (daysOver > 0) label = `over on ${daysOver} of ${days.length} days`;
  else if (refusedWindows.includes("month")) label = "over its monthly quota";
  else label = "over its caps";

  return {
    planId: plan.id,
    kind,
    overWindows,
    daysOver,
    daysTotal: days.length,
    label,
    billedCalls,
    usageMinor,
    monthlyCostMinor: plan.priceMinor + usageMinor,
    currency: plan.currency,
  };
}

const list = (items: string[]) => (items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

/** "your peaks of 268 calls/min and 4,016 calls/day are within its caps of 300/min and 5,000/day" */
function withinPhrase(plan: Plan, peaks: UsagePeaks): string {
  const used: string[] = [];
  const caps: string[] = [];
  if (plan.caps.minute !== undefined) {
    used.push(`${count.format(peaks.minute)} calls/min`);
    caps.push(`${count.format(plan.caps.minute)}/min`);
  }
  if (plan.caps.day !== undefined) {
    used.push(`${count.format(peaks.day)} calls/day`);
    caps.push(`${count.format(plan.caps.day)}/day`);
  }
  const parts: string[] = [];
  if (used.length === 1) parts.push(`your peak of ${used[0]} is within its cap of ${caps[0]}`);
  if (used.length > 1) parts.push(`your peaks of ${list(used)} are within its caps of ${list(caps)}`);
  const quota = plan.caps.month;
  if (quota !== undefined && peaks.month <= quota) parts.push(`your ${count.format(peaks.month)} calls in 30 days fit its monthly quota of ${count.format(quota)}`);
  return parts.join(", and ");
}

function reasonFor(best: Ranked, usage: PlanUsage, ranked: Ranked[], currentPlanId: PlanId | null): string {
  const { plan, verdict } = best;
  const money = (minor: number) => formatMoney(minor, plan.currency);
  const { peaks } = usage;
  const isCurrent = plan.id === currentPlanId;
  if (peaks.minute === 0 && peaks.day === 0 && peaks.month === 0) {
    return isCurrent ? `You made no calls in the last 30 days, and your ${plan.name} plan is the cheapest.` : `You made no calls in the last 30 days: ${plan.name} is the cheapest plan.`;
  }
  if (plan.metered) {
    return (
      `No plan with caps fits your last 30 days (busiest minute ${count.format(peaks.minute)} calls, busiest day ${count.format(peaks.day)} calls). ` +
      `${plan.name} has no caps: ${money(plan.priceMinor)} a month plus every call metered, ${money(verdict.monthlyCostMinor)} for your last 30 days.`
    );
  }
  const lead = isCurrent ? `Your ${plan.name} plan is the cheapest that fits your last 30 days` : `${plan.name} is the cheapest plan that fits your last 30 days`;
  const within = withinPhrase(plan, peaks);
  let text = within ? `${lead}: ${within}.` : `${lead}.`;
  if (verdict.kind === "fits_with_overage") {
    text +=
      ` The ${count.format(verdict.billedCalls)} calls over its monthly quota of ${count.format(plan.caps.month ?? 0)} add ` +
      `${money(verdict.usageMinor)} (${money(plan.overagePer1000Minor ?? 0)} per 1,000): ${money(verdict.monthlyCostMinor)} in all`;
    const next = ranked.find((r) => r !== best && r.verdict.kind === "fits" && r.verdict.monthlyCostMinor >= verdict.monthlyCostMinor);
    text += next ? `, less than ${next.plan.name} at ${money(next.verdict.monthlyCostMinor)}.` : ".";
    // The metered plan is only the fallback, but when it would cost less the customer should hear it.
    const metered = ranked.find((r) => r.plan.metered && r.verdict.monthlyCostMinor < verdict.monthlyCostMinor);
    if (metered) text += ` At this volume ${metered.plan.name} would cost less: ${money(metered.verdict.monthlyCostMinor)}, with every call metered.`;
  }
  // Name the plan just below it that did not fit, so the customer sees why not the cheaper one.
  const cheaperOver = ranked.filter((r) => !r.plan.metered && r.plan.priceMinor < plan.priceMinor && r.verdict.kind === "over").sort((a, b) => b.plan.priceMinor - a.plan.priceMinor)[0];
  if (cheaperOver && !isCurrent) {
    const v = cheaperOver.verdict;
    text += ` ${cheaperOver.plan.name} would have been ${v.daysOver > 0 ? `over its caps on ${v.daysOver} of ${v.daysTotal} days` : "over its monthly quota"}.`;
  }
  return text;
}

interface Ranked {
  plan: Plan;
  verdict: PlanVerdict;
  index: number;
}

/**
 * The cheapest public plan that would have fitted the last 30 days, with a verdict and an estimated
 * monthly cost for every plan. Overage plans fit at their price plus overage. Metered plans fit
 * anyone, so they are the fallback, chosen only when no plan with caps fits. Equal costs go to the
 * plan with the lower base price, then to catalog order.
 */
export function recommendPlan(usage: PlanUsage, plans: readonly Plan[], opts: { currentPlanId?: PlanId | null } = {}): PlanComparison {
  const candidates = plans.filter((p) => p.public);
  const currency = candidates[0]?.currency;
  if (candidates.some((p) => p.currency !== currency)) throw new RangeError("recommendPlan compares plans of one currency only");

  const verdicts = candidates.map((p) => judgePlan(p, usage));
  const ranked: Ranked[] = candidates
    .map((plan, index) => ({ plan, verdict: verdicts[index]!, index }))
    .sort((a, b) => a.verdict.monthlyCostMinor - b.verdict.monthlyCostMinor || a.plan.priceMinor - b.plan.priceMinor || a.index - b.index);
  const fitting = ranked.filter((r) => r.verdict.kind !== "over");
  const best = fitting.find((r) => !r.plan.metered) ?? fitting[0];
  if (!best) return { verdicts, recommendation: null };
  return {
    verdicts,
    recommendation: {
      planId: best.plan.id,
      monthlyCostMinor: best.verdict.monthlyCostMinor,
      currency: best.verdict.currency,
      reason: reasonFor(best, usage, ranked, opts.currentPlanId ?? null),
    },
  };
}

/** Peaks from the daily records: the busiest minute, the busiest day and the sum of the days. */
export function peaksFromDays(days: readonly DailyUsage[]): UsagePeaks {
  return {
    minute: days.reduce((m, d) => Math.max(m, d.peakMinute), 0),
    day: days.reduce((m, d) => Math.max(m, d.calls), 0),
    month: days.reduce((s, d) => s + d.calls, 0),
  };
}
