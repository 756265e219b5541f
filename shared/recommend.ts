import { dayOverCaps, rateWindowsOver } from "./cap-rules";
import { DAY_MS } from "./limits";
import { formatMoney, formatPrice, perThousandCostMinor } from "./money";
import { formatIntervalPrice, monthlyEquivalentMinor } from "./billing-interval";
import type { BillingInterval, MeterTerms, Plan, PlanId, WindowName } from "./plans";

/**
 * The one recommendation. Every surface that names a plan for a customer (the Plans page, the
 * wizard's preselection, banners, e-mails, webhooks, the 429's upgrade link, the console's shadow
 * audit) shows the plan this module picks, at the estimated monthly cost it computes.
 *
 * The rule, in words:
 * - A plan fits the traffic when its per-minute and per-day caps were exceeded on at most one of
 *   the last 30 days (one day is treated as an outlier: a single burst must not send a customer to
 *   a plan five times the price), and its monthly quota holds the estimated monthly calls — or the
 *   calls beyond it are billed (overage plans). Metered plans fit any traffic.
 * - Its estimated monthly cost is the base price plus what the estimated monthly calls cost on it
 *   (overage per started 1,000 beyond the quota, or every call metered).
 * - The recommendation is the fitting plan with the lowest estimated monthly cost; on a tie the
 *   customer's current plan, then the lower base price, then catalog order.
 * - With several meters (API calls, MCP tool calls, …) each is judged so against the plan's terms
 *   for it: a plan fits only if it fits every meter, and its cost is the base price plus each
 *   meter's usage charge.
 */

/** A customer's traffic in the last 30 days, in calls. */
export interface UsagePeaks {
  /** Most calls in any one minute. */
  minute: number;
  /** Most calls in any one UTC day. */
  day: number;
  /** Estimated calls per billing month at the customer's rate (see estimateMonthlyCalls). */
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

/** One meter's traffic in the last 30 days. */
export interface MeterUsage {
  peaks: UsagePeaks;
  /** The days behind the peaks, oldest first (30 of them for "over on N of 30 days"). */
  days: DailyUsage[];
  /**
   * The current plan's month at this rate: this period's calls so far plus the rest of the period
   * at the customer's rate. It stands in for `peaks.month` when judging the plan the customer is on
   * (a Free account that will pass its quota before the period ends does not fit Free).
   */
  currentPlanMonth?: number;
}

/**
 * A customer's traffic: the default meter's (the catalog's first, judged on a plan's `caps`,
 * `overagePer1000Minor` and `metered`), and the other meters' in `others`, each judged on the plan's
 * `meters[id]`.
 */
export interface PlanUsage extends MeterUsage {
  /** The catalog's other meters, by meter id, with the unit their words name ("MCP tool calls"). */
  others?: Record<string, MeterUsage & { unit: string }>;
}

/** Days over a plan's minute or day caps that still count as fitting: the single busiest day is an outlier. */
export const OUTLIER_DAYS = 1;

/**
 * - fits: within every cap (the minute and day caps on all days but at most one outlier day).
 * - fits_with_overage: fits, with the calls beyond the monthly quota billed per 1,000 (overage billing on).
 * - over: some cap would have refused calls (those calls are warned about, then refused once enforced).
 */
export type FitKind = "fits" | "fits_with_overage" | "over";

/** How one meter's traffic would have gone on a plan. */
export interface MeterVerdict {
  kind: FitKind;
  /** Windows the traffic does not fit: minute/day over on more than the outlier day, month over the quota (billed, for overage plans). */
  overWindows: WindowName[];
  /** Days on which the day's units or its busiest minute exceeded the plan's day or minute cap. */
  daysOver: number;
  daysTotal: number;
  /** The outlier day tolerated (fits, but one day went over a rate cap), or null. */
  outlier: { dayMs: number; windows: Array<"minute" | "day">; calls: number; peakMinute: number } | null;
  /** "fits", "fits, except one day", "fits, with overage", "over on 12 of 30 days", "over its monthly quota". */
  label: string;
  /** The units per month the meter was judged on. */
  monthCalls: number;
  /** Units beyond the monthly quota (overage) or all units (metered) that are billed. */
  billedCalls: number;
  /** What the usage costs, minor units. */
  usageMinor: number;
}

/**
 * How the customer's traffic would have gone on a plan: the default meter's verdict, with `kind`,
 * `label` and `usageMinor` taken over every meter (over when any meter is over; with overage when
 * any meter's use beyond its quota is billed; every meter's usage charge together).
 */
export interface PlanVerdict extends MeterVerdict {
  planId: PlanId;
  /** Base price plus usage, minor units of `currency`. */
  monthlyCostMinor: number;
  currency: string;
  /**
   * The other meters' verdicts, by meter id (only with `usage.others`). The fields above other than
   * `kind`, `label`, `usageMinor` and `monthlyCostMinor` are the default meter's.
   */
  meters?: Record<string, MeterVerdict & { unit: string }>;
}

export interface Recommendation {
  planId: PlanId;
  /** Estimated monthly cost at the customer's rate (base + usage), minor units of `currency`. */
  monthlyCostMinor: number;
  /** Of which usage: overage beyond the quota, or metered calls, minor units. */
  usageMinor: number;
  /** The plan's base price per month, minor units. */
  basePriceMinor: number;
  kind: Exclude<FitKind, "over">;
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
const WINDOW_DAYS = 30;

/**
 * What a month of `calls` on a meter costs beyond the base price: per started 1,000 over the quota
 * (overage), or every call at its price, the total rounded to the nearest minor unit as Stripe does (metered). A `Plan` is its default meter's terms.
 */
export function usageCharge(plan: MeterTerms, calls: number): { billedCalls: number; usageMinor: number } {
  const per1000 = plan.overagePer1000Minor;
  if (per1000 === undefined) return { billedCalls: 0, usageMinor: 0 };
  if (plan.metered) {
    // Every call is billed; the total is rounded to the nearest minor unit, a half up (Stripe's rule for decimal prices).
    return { billedCalls: calls, usageMinor: perThousandCostMinor(calls, per1000) };
  }
  const quota = plan.caps.month;
  if (quota === undefined) return { billedCalls: 0, usageMinor: 0 };
  const over = Math.max(0, calls - quota);
  return { billedCalls: over, usageMinor: Math.ceil(over / CALLS_PER_BLOCK) * per1000 };
}

/** The plan (a meter's terms; a `Plan` is its default meter's) bills units beyond its monthly quota instead of refusing them (with the customer's opt-in). */
export function billsOverage(plan: MeterTerms): boolean {
  return !plan.metered && plan.overagePer1000Minor !== undefined && plan.caps.month !== undefined;
}

const dayName = (ms: number) => new Date(ms).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });

/** How one meter's last 30 days would have gone on a plan's terms for it, and what a month at this rate would cost. */
export function judgeMeter(plan: MeterTerms, usage: MeterUsage, opts: { current?: boolean } = {}): MeterVerdict {
  const { days } = usage;
  const monthCalls = opts.current && usage.currentPlanMonth !== undefined ? Math.max(usage.peaks.month, usage.currentPlanMonth) : usage.peaks.month;
  const overDays = plan.metered ? [] : days.filter((d) => dayOverCaps(plan.caps, d));
  const tolerated = overDays.length <= OUTLIER_DAYS;
  const overWindows: WindowName[] = [];
  if (!plan.metered && !tolerated) {
    for (const w of ["minute", "day"] as const) if (overDays.some((d) => rateWindowsOver(plan.caps, d).includes(w))) overWindows.push(w);
  }
  const monthOver = !plan.metered && plan.caps.month !== undefined && monthCalls > plan.caps.month;
  if (monthOver) overWindows.push("month");
  const refused = overWindows.filter((w) => !(w === "month" && billsOverage(plan)));
  const kind: FitKind = refused.length > 0 ? "over" : overWindows.length > 0 ? "fits_with_overage" : "fits";
  const outlierDay = tolerated ? overDays[0] : undefined;
  const outlier = outlierDay ? { dayMs: outlierDay.dayMs, windows: rateWindowsOver(plan.caps, outlierDay), calls: outlierDay.calls, peakMinute: outlierDay.peakMinute } : null;

  let label: string;
  if (kind === "over") label = overDays.length > OUTLIER_DAYS ? `over on ${overDays.length} of ${days.length} days` : "over its monthly quota";
  else if (kind === "fits_with_overage") label = "fits, with overage";
  else label = outlier ? "fits, except one day" : "fits";

  const { billedCalls, usageMinor } = usageCharge(plan, monthCalls);
  return { kind, overWindows, daysOver: overDays.length, daysTotal: days.length, outlier, label, monthCalls, billedCalls, usageMinor };
}

const FIT_RANK: Record<FitKind, number> = { fits: 0, fits_with_overage: 1, over: 2 };
/** A meter a plan does not list: unlimited, not billed. */
const UNLIMITED: MeterTerms = { caps: {}, metered: false };

/**
 * How the customer's last 30 days would have gone on one plan, and what a month at this rate would
 * cost: every meter judged on the plan's terms for it; the plan fits only if every meter fits, and
 * costs its base price plus each meter's usage charge.
 */
export function judgePlan(plan: Plan, usage: PlanUsage, opts: { current?: boolean; interval?: BillingInterval } = {}): PlanVerdict {
  const main = judgeMeter(plan, usage, opts);
  // A customer billed yearly compares plans at a twelfth of their yearly prices (where they have one).
  const base = monthlyEquivalentMinor(plan, opts.interval ?? "month");
  const verdict: PlanVerdict = { planId: plan.id, ...main, monthlyCostMinor: base + main.usageMinor, currency: plan.currency };
  if (!usage.others) return verdict;
  const meters: NonNullable<PlanVerdict["meters"]> = {};
  let worst: { kind: FitKind; label: string } = main;
  for (const [id, u] of Object.entries(usage.others)) {
    const v = judgeMeter(plan.meters[id] ?? UNLIMITED, u, opts);
    meters[id] = { ...v, unit: u.unit };
    verdict.usageMinor += v.usageMinor;
    if (FIT_RANK[v.kind] > FIT_RANK[worst.kind]) worst = { kind: v.kind, label: v.kind === "over" ? `${v.label} for ${u.unit}` : v.label };
  }
  verdict.kind = worst.kind;
  verdict.label = worst.kind === "fits" && main.label === "fits" && Object.values(meters).some((m) => m.outlier) ? "fits, except one day" : worst.label;
  verdict.monthlyCostMinor = base + verdict.usageMinor;
  verdict.meters = meters;
  return verdict;
}

const list = (items: string[]) => (items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

/** "your busiest minute (268 calls) and busiest day (4,016 calls) are within its caps of 300/min and 5,000/day" ("MCP tool calls" for another meter's `noun`). */
function withinPhrase(plan: MeterTerms, usage: MeterUsage, verdict: MeterVerdict, noun = "calls"): string {
  const used: string[] = [];
  const caps: string[] = [];
  // With an outlier day, the figures that fit are those of the other days.
  const days = verdict.outlier ? usage.days.filter((d) => d.dayMs !== verdict.outlier!.dayMs) : usage.days;
  const minute = days.reduce((m, d) => Math.max(m, d.peakMinute), 0);
  const day = days.reduce((m, d) => Math.max(m, d.calls), 0);
  if (plan.caps.minute !== undefined) {
    used.push(`${count.format(minute)} ${noun}/min`);
    caps.push(`${count.format(plan.caps.minute)}/min`);
  }
  if (plan.caps.day !== undefined) {
    used.push(`${count.format(day)} ${noun}/day`);
    caps.push(`${count.format(plan.caps.day)}/day`);
  }
  const parts: string[] = [];
  const other = verdict.outlier ? " on the other days" : "";
  if (used.length === 1) parts.push(`your peak of ${used[0]}${other} is within its cap of ${caps[0]}`);
  if (used.length > 1) parts.push(`your peaks of ${list(used)}${other} are within its caps of ${list(caps)}`);
  const quota = plan.caps.month;
  if (quota !== undefined && verdict.monthCalls <= quota) parts.push(`your ${count.format(verdict.monthCalls)} ${noun} a month fit its monthly quota of ${count.format(quota)}`);
  return parts.join(", and ");
}

function outlierPhrase(plan: MeterTerms, planName: string, v: MeterVerdict, noun = "calls"): string {
  const o = v.outlier;
  if (!o) return "";
  const what = o.windows.includes("minute") ? `${count.format(o.peakMinute)} ${noun} in one minute, over its ${count.format(plan.caps.minute!)}/min cap` : `${count.format(o.calls)} ${noun}, over its ${count.format(plan.caps.day!)}/day cap`;
  return ` One day (${dayName(o.dayMs)}: ${what}) is treated as an outlier; ${noun} like those are warned about, then refused once ${planName}'s caps are enforced.`;
}

/** What another meter adds to the reason: how its traffic fits the plan, and what it costs. */
function otherMeterPhrase(plan: Plan, terms: MeterTerms, usage: MeterUsage, v: MeterVerdict, unit: string): string {
  const money = (minor: number) => formatMoney(minor, plan.currency);
  let text: string;
  if (terms.metered) {
    text = ` Its ${unit} are metered at ${money(terms.overagePer1000Minor ?? 0)} per 1,000: about ${money(v.usageMinor)} a month for your ${count.format(v.monthCalls)}.`;
  } else {
    // Nothing to say of peaks of zero (the only traffic may be the outlier day, said below).
    const others = v.outlier ? usage.days.filter((d) => d.dayMs !== v.outlier!.dayMs) : usage.days;
    const within = others.some((d) => d.calls > 0) ? withinPhrase(terms, usage, v, unit) : "";
    text = within ? ` For ${unit}, ${within}.` : Object.keys(terms.caps).length === 0 ? ` It has no cap on ${unit}.` : "";
  }
  if (v.kind === "fits_with_overage") {
    text += ` The ${count.format(v.billedCalls)} ${unit} a month over its quota of ${count.format(terms.caps.month ?? 0)} add about ${money(v.usageMinor)} (${money(terms.overagePer1000Minor ?? 0)} per 1,000, with overage billing on).`;
  }
  return text + outlierPhrase(terms, plan.name, v, unit);
}

function reasonFor(best: Ranked, usage: PlanUsage, ranked: Ranked[], currentPlanId: PlanId | null): string {
  const { plan, verdict } = best;
  const money = (minor: number) => formatMoney(minor, plan.currency);
  const { peaks } = usage;
  const isCurrent = plan.id === currentPlanId;
  const others = Object.entries(usage.others ?? {});
  const quiet = (p: UsagePeaks) => p.minute === 0 && p.day === 0 && p.month === 0;
  if (quiet(peaks) && others.every(([, u]) => quiet(u.peaks))) {
    return isCurrent ? `You made no calls in the last 30 days, and your ${plan.name} plan is the cheapest.` : `You made no calls in the last 30 days: ${plan.name} is the cheapest plan.`;
  }
  // The default meter's own verdict (the plan's verdict speaks for every meter when there are several).
  const main: MeterVerdict = verdict.meters ? judgeMeter(plan, usage, { current: isCurrent }) : verdict;
  const lead = isCurrent ? `Your ${plan.name} plan is the cheapest that fits your last 30 days` : `${plan.name} is the cheapest plan that fits your last 30 days`;
  let text: string;
  if (plan.metered) {
    text = `${lead}: it has no caps, ${money(plan.priceMinor)} a month plus every call metered at ${money(plan.overagePer1000Minor ?? 0)} per 1,000 — about ${money(plan.priceMinor + main.usageMinor)} a month for your ${count.format(main.monthCalls)} calls.`;
  } else {
    const within = withinPhrase(plan, usage, main);
    text = within ? `${lead}: ${within}.` : `${lead}.`;
  }
  const inAll = () => {
    const next = ranked.find((r) => r !== best && r.verdict.kind !== "over" && r.verdict.monthlyCostMinor >= verdict.monthlyCostMinor);
    return next ? `, less than ${next.plan.name} at ${money(next.verdict.monthlyCostMinor)}.` : ".";
  };
  if (main.kind === "fits_with_overage") {
    text +=
      ` The ${count.format(main.billedCalls)} calls a month over its quota of ${count.format(plan.caps.month ?? 0)} add about ` +
      `${money(main.usageMinor)} (${money(plan.overagePer1000Minor ?? 0)} per 1,000, with overage billing on): about ${money(verdict.monthlyCostMinor)} a month in all${inAll()}`;
  }
  text += outlierPhrase(plan, plan.name, main);
  for (const [id, mv] of Object.entries(verdict.meters ?? {})) {
    const u = usage.others?.[id];
    if (u) text += otherMeterPhrase(plan, plan.meters[id] ?? UNLIMITED, u, mv, mv.unit);
  }
  if (verdict.kind === "fits_with_overage" && main.kind !== "fits_with_overage") text += ` About ${money(verdict.monthlyCostMinor)} a month in all${inAll()}`;
  // Name the plan just below it that did not fit, so the customer sees why not the cheaper one.
  const cheaperOver = ranked.filter((r) => !r.plan.metered && r.plan.priceMinor < plan.priceMinor && r.verdict.kind === "over").sort((a, b) => b.plan.priceMinor - a.plan.priceMinor)[0];
  if (cheaperOver && !isCurrent) {
    const v = cheaperOver.verdict;
    // Over on another meter only: say which.
    const overOn = v.meters && judgeMeter(cheaperOver.plan, usage, { current: cheaperOver.plan.id === currentPlanId }).kind !== "over" ? Object.values(v.meters).find((m) => m.kind === "over") : undefined;
    if (overOn) text += ` ${cheaperOver.plan.name} would have been over its caps for ${overOn.unit}.`;
    else text += ` ${cheaperOver.plan.name} would have been ${v.daysOver > OUTLIER_DAYS ? `over its caps on ${v.daysOver} of ${v.daysTotal} days` : "over its monthly quota"}.`;
  }
  return text;
}

interface Ranked {
  plan: Plan;
  verdict: PlanVerdict;
  index: number;
}

/**
 * Every public plan judged against the customer's traffic, and the recommendation: the fitting plan
 * with the lowest estimated monthly cost (ties: the current plan, then the lower base price, then
 * catalog order).
 */
export function recommendPlan(usage: PlanUsage, plans: readonly Plan[], opts: { currentPlanId?: PlanId | null; interval?: BillingInterval } = {}): PlanComparison {
  const candidates = plans.filter((p) => p.public);
  const currency = candidates[0]?.currency;
  if (candidates.some((p) => p.currency !== currency)) throw new RangeError("recommendPlan compares plans of one currency only");
  const currentPlanId = opts.currentPlanId ?? null;

  const verdicts = candidates.map((p) => judgePlan(p, usage, { current: p.id === currentPlanId, interval: opts.interval }));
  const ranked: Ranked[] = candidates
    .map((plan, index) => ({ plan, verdict: verdicts[index]!, index }))
    .sort(
      (a, b) =>
        a.verdict.monthlyCostMinor - b.verdict.monthlyCostMinor ||
        Number(b.plan.id === currentPlanId) - Number(a.plan.id === currentPlanId) ||
        a.plan.priceMinor - b.plan.priceMinor ||
        a.index - b.index,
    );
  const best = ranked.find((r) => r.verdict.kind !== "over");
  if (!best) return { verdicts, recommendation: null };
  return {
    verdicts,
    recommendation: {
      planId: best.plan.id,
      monthlyCostMinor: best.verdict.monthlyCostMinor,
      usageMinor: best.verdict.usageMinor,
      basePriceMinor: best.plan.priceMinor,
      kind: best.verdict.kind as Exclude<FitKind, "over">,
      currency: best.verdict.currency,
      reason: reasonFor(best, usage, ranked, currentPlanId),
    },
  };
}

/**
 * Calls per billing month at the customer's rate: the last 30 days' calls, scaled up to 30 days
 * when the account is younger than that (at least one day of history is assumed).
 */
export function estimateMonthlyCalls(input: { days: readonly DailyUsage[]; nowMs: number; accountCreatedAtMs: number }): number {
  const sum = input.days.reduce((s, d) => s + d.calls, 0);
  const windowStartMs = input.days[0]?.dayMs ?? input.nowMs;
  if (input.accountCreatedAtMs <= windowStartMs) return sum;
  const observedMs = Math.max(DAY_MS, input.nowMs - input.accountCreatedAtMs);
  return Math.round((sum * WINDOW_DAYS * DAY_MS) / observedMs);
}

/** The current month window at this rate: its calls so far plus the rest of it at `monthlyCalls` per 30 days. */
export function projectMonth(input: { usedSoFar: number; nowMs: number; windowEndMs: number; monthlyCalls: number }): number {
  const leftMs = Math.max(0, input.windowEndMs - input.nowMs);
  return input.usedSoFar + Math.round((input.monthlyCalls * leftMs) / (WINDOW_DAYS * DAY_MS));
}

/** Peaks from the daily records: the busiest minute, the busiest day, and `month` as given (the estimate). */
export function peaksFromDays(days: readonly DailyUsage[], month = days.reduce((s, d) => s + d.calls, 0)): UsagePeaks {
  return {
    minute: days.reduce((m, d) => Math.max(m, d.peakMinute), 0),
    day: days.reduce((m, d) => Math.max(m, d.calls), 0),
    month,
  };
}

/**
 * A switch to offer a customer (in a banner, an e-mail, a webhook, a 429 link), as stored with a
 * notice: the plan and its estimated monthly cost at the customer's rate, the same figures the
 * Plans page shows.
 */
export interface SwitchAdvice {
  planId: string;
  name: string;
  /** The plan's base price as text ("$199.00/month", "Free"). */
  price: string;
  /** Estimated monthly cost at the customer's rate, minor units of `currency`. Absent on notices stored before it existed. */
  monthlyCostMinor?: number;
  /** Of which usage: overage (with overage billing on) or metered calls, minor units. */
  usageMinor?: number;
  currency?: string;
  kind?: Exclude<FitKind, "over">;
  metered?: boolean;
}

export function switchAdviceOf(plan: Plan, rec: Pick<Recommendation, "monthlyCostMinor" | "usageMinor" | "kind" | "currency">, interval: BillingInterval = "month"): SwitchAdvice {
  // A customer billed yearly is offered the plan's yearly price, where it has one.
  const yearly = interval === "year" ? plan.prices.year : undefined;
  return {
    planId: plan.id,
    name: plan.name,
    price: yearly !== undefined ? formatIntervalPrice(yearly, plan.currency, "year") : formatPrice(plan.priceMinor, plan.currency),
    monthlyCostMinor: rec.monthlyCostMinor,
    usageMinor: rec.usageMinor,
    currency: rec.currency,
    kind: rec.kind,
    metered: plan.metered,
  };
}

/**
 * The sentence that offers a switch, the same on the banner, in the e-mail, in the webhook and in
 * the portal: the plan, why, and its estimated monthly cost with what the cost is made of.
 */
export function describeSwitch(a: SwitchAdvice): string {
  const tail = "You see the exact price before anything changes.";
  if (a.monthlyCostMinor === undefined || !a.currency) return `${a.name} (${a.price}) fits your traffic of the last 30 days. ${tail}`;
  const money = (m: number) => formatMoney(m, a.currency!);
  const total = money(a.monthlyCostMinor);
  const usage = a.usageMinor ?? 0;
  if (a.metered) return `${a.name} has no caps: about ${total} a month at your rate (${a.price.replace("/month", "")} plus about ${money(usage)} of metered calls). ${tail}`;
  if (a.kind === "fits_with_overage" && usage > 0) {
    return `${a.name} fits your traffic of the last 30 days with overage billing: about ${total} a month at your rate (${a.price.replace("/month", "")} plus about ${money(usage)} for calls over its monthly quota). ${tail}`;
  }
  return `${a.name} fits your traffic of the last 30 days: ${total} a month. ${tail}`;
}
