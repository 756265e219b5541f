import { addUtcMonths, billingPeriodAt, type BillingPeriod } from "./limits";
import { formatMoney } from "./money";
import { INTERVALS, type BillingInterval, type Caps, type MeterTerms, type Plan, type WindowName } from "./plans";

/**
 * Monthly and yearly billing, in one place: an account is billed per month or per year (its billing
 * interval); a plan may have a price for either or both. On a yearly price a plan's `month` caps are
 * either an allowance that starts over each month of the year (`yearlyQuota: "monthly"`) or twelve
 * months' allowance for the whole year (`"yearly"`). The meter, the advisor, quotes, invoices and
 * the portal all ask here, so they agree on the window and on the words.
 */

export type { BillingInterval } from "./plans";

/** The words of an interval, as every surface says them. */
export const INTERVAL_WORDS: Record<BillingInterval, { noun: string; per: string; a: string; every: string; adjective: string; label: string; slash: string }> = {
  month: { noun: "month", per: "per month", a: "a month", every: "every month", adjective: "monthly", label: "Monthly", slash: "/month" },
  year: { noun: "year", per: "per year", a: "a year", every: "every year", adjective: "yearly", label: "Yearly", slash: "/year" },
};

export function isBillingInterval(v: unknown): v is BillingInterval {
  return typeof v === "string" && (INTERVALS as readonly string[]).includes(v);
}

/** `ms` plus `n` billing intervals (calendar months from the same day, clamped to a month's last day). */
export function addInterval(ms: number, interval: BillingInterval, n = 1): number {
  return addUtcMonths(ms, interval === "year" ? 12 * n : n);
}

/** The intervals the plan is sold in, monthly first. */
export function intervalsOf(plan: Pick<Plan, "prices">): BillingInterval[] {
  return INTERVALS.filter((i) => plan.prices[i] !== undefined);
}

/** The plan's base price for one interval, minor units (undefined: not sold in that interval). */
export function priceIn(plan: Pick<Plan, "prices">, interval: BillingInterval): number | undefined {
  return plan.prices[interval];
}

/** The interval a switch to `plan` is offered in: the one asked for, else the account's own if the plan is sold in it, else the plan's first. */
export function intervalFor(plan: Pick<Plan, "prices">, preferred: BillingInterval): BillingInterval {
  return plan.prices[preferred] !== undefined ? preferred : (intervalsOf(plan)[0] ?? "month");
}

/**
 * The window a plan's `month` caps are counted in on this interval: a month (monthly prices, and
 * yearly ones whose quota starts over each month), or the whole billing year (a yearly quota).
 */
export function quotaWindow(plan: Pick<Plan, "yearlyQuota">, interval: BillingInterval): BillingInterval {
  return interval === "year" && plan.yearlyQuota === "yearly" ? "year" : "month";
}

/** The quota window containing `nowMs` for an account anchored at `anchorMs`. */
export function quotaWindowAt(anchorMs: number, nowMs: number, window: BillingInterval): BillingPeriod {
  return billingPeriodAt(anchorMs, nowMs, window);
}

const scaleCaps = (caps: Caps, factor: number): Caps => (factor === 1 || caps.month === undefined ? caps : { ...caps, month: caps.month * factor });

/**
 * The plan's terms as an account on this interval has them: with a yearly quota, each meter's `month`
 * cap is twelve months' allowance for the year (the window is the year). Prices are not changed.
 */
export function termsOnInterval(plan: Plan, interval: BillingInterval): Plan {
  const factor = quotaWindow(plan, interval) === "year" ? 12 : 1;
  if (factor === 1) return plan;
  const meters: Record<string, MeterTerms> = Object.fromEntries(Object.entries(plan.meters).map(([id, m]) => [id, { ...m, caps: scaleCaps(m.caps, factor) }]));
  return { ...plan, caps: scaleCaps(plan.caps, factor), meters };
}

/**
 * What the plan's base price comes to per month on this interval, for ranking and for the monthly
 * totals (the billing cap, the estimated monthly cost): the monthly price, or a twelfth of the
 * yearly one (rounded up). A plan not sold in the interval is compared at its `priceMinor`.
 */
export function monthlyEquivalentMinor(plan: Pick<Plan, "prices" | "priceMinor">, interval: BillingInterval): number {
  const price = plan.prices[interval];
  if (price === undefined) return plan.priceMinor;
  return interval === "year" ? Math.ceil(price / 12) : price;
}

/** "$899.99/year", "$29.00/month", "Free". */
export function formatIntervalPrice(minor: number, currency: string, interval: BillingInterval): string {
  return minor === 0 ? "Free" : `${formatMoney(minor, currency)}${INTERVAL_WORDS[interval].slash}`;
}

export interface YearlySaving {
  /** Twelve monthly prices less the yearly price, minor units (> 0). */
  savedMinor: number;
  /** The saving as a share of twelve monthly prices, whole percent rounded down (never overstated). */
  percent: number;
  /** "2 months free" when the saving is a whole number of monthly prices, else "save 16%". */
  words: string;
}

/** What the yearly price saves against paying monthly for a year; null without both prices or without a saving. */
export function yearlySaving(plan: Pick<Plan, "prices">): YearlySaving | null {
  const month = plan.prices.month;
  const year = plan.prices.year;
  if (month === undefined || year === undefined || month <= 0) return null;
  const twelve = month * 12;
  const savedMinor = twelve - year;
  if (savedMinor <= 0) return null;
  const percent = Math.floor((savedMinor * 100) / twelve);
  const months = savedMinor / month;
  const words = Number.isInteger(months) ? `${months} ${months === 1 ? "month" : "months"} free` : `save ${Math.max(1, percent)}%`;
  return { savedMinor, percent, words };
}

/** The month window's words when it spans the billing year: "per billing year", "in this billing year". */
export function windowWords(window: WindowName, span: BillingInterval | undefined): { per: string; made: string; noun: string; adjective: string } {
  if (window === "month" && span === "year") return { per: "per billing year", made: "in this billing year", noun: "billing year", adjective: "yearly" };
  if (window === "month") return { per: "per billing month", made: "in this billing month", noun: "billing month", adjective: "monthly" };
  if (window === "day") return { per: "per day", made: "today (UTC)", noun: "day", adjective: "daily" };
  return { per: "per minute", made: "in the last minute", noun: "minute", adjective: "per-minute" };
}
