import type { BillingInterval, WindowName } from "./plans";

/** Where a customer stands against one cap. Every surface (portal, banner, 429, e-mail) uses this. */
export type LimitState = "fine" | "approaching" | "over" | "unlimited";

export interface LimitStatus {
  window: WindowName;
  /** Calls allowed in the window; null = unlimited. */
  limit: number | null;
  used: number;
  /** null when unlimited; never negative. */
  remaining: number | null;
  /** Used as a share of the limit, 0..∞ (1 = at the cap); null when unlimited. */
  ratio: number | null;
  /** Unix ms at which the window starts over (minute: next minute, day: next UTC midnight, month: period end). */
  resetAtMs: number;
  /** Month window: unix ms its count started (the billing period's start, or the current plan's start if later). */
  fromMs?: number;
  /** Month window: what it spans — a month (absent), or the whole billing year (a yearly quota on a yearly price). */
  span?: BillingInterval;
  state: LimitState;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const DEFAULT_APPROACHING_RATIO = 0.8;

export function startOfMinute(ms: number): number {
  return ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

export function startOfUtcDay(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

export interface BillingPeriod {
  /** Unix ms, inclusive. */
  startMs: number;
  /** Unix ms, exclusive. */
  endMs: number;
}

/** When the window containing `nowMs` starts over. */
export function windowResetAt(window: WindowName, nowMs: number, period: BillingPeriod): number {
  switch (window) {
    case "minute":
      return startOfMinute(nowMs) + MINUTE_MS;
    case "day":
      return startOfUtcDay(nowMs) + DAY_MS;
    case "month":
      return period.endMs;
  }
}

/** The one computation of usage against a cap. */
export function limitStatus(input: {
  window: WindowName;
  limit: number | null | undefined;
  used: number;
  resetAtMs: number;
  approachingRatio?: number;
}): LimitStatus {
  const { window, used, resetAtMs } = input;
  const limit = input.limit ?? null;
  if (limit === null) {
    return { window, limit: null, used, remaining: null, ratio: null, resetAtMs, state: "unlimited" };
  }
  const ratio = limit === 0 ? (used > 0 ? Infinity : 0) : used / limit;
  const approaching = input.approachingRatio ?? DEFAULT_APPROACHING_RATIO;
  const state: LimitState = ratio >= 1 ? "over" : ratio >= approaching ? "approaching" : "fine";
  return { window, limit, used, remaining: Math.max(0, limit - used), ratio, resetAtMs, state };
}

/** Whole percent for display, capped so a bar never overflows; the text shows the real figure. */
export function percentForBar(status: LimitStatus): number {
  if (status.ratio === null) return 0;
  return Math.min(100, Math.round(status.ratio * 100));
}

/** Adds one calendar month in UTC, clamping to the month's last day (Jan 31 → Feb 28/29). */
export function addUtcMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const day = d.getUTCDate();
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.getTime();
}

/**
 * The billing period anchored at `anchorMs` that contains `nowMs`: a calendar month from the anchor,
 * or twelve of them for an account billed yearly. The months of a yearly period are the monthly
 * periods of the same anchor, so a monthly quota within a yearly period starts over on the same days.
 */
export function billingPeriodAt(anchorMs: number, nowMs: number, interval: BillingInterval = "month"): BillingPeriod {
  const step = interval === "year" ? 12 : 1;
  if (nowMs < anchorMs) return { startMs: anchorMs, endMs: addUtcMonths(anchorMs, step) };
  const a = new Date(anchorMs);
  const n = new Date(nowMs);
  let months = (n.getUTCFullYear() - a.getUTCFullYear()) * 12 + (n.getUTCMonth() - a.getUTCMonth());
  months -= months % step;
  let start = addUtcMonths(anchorMs, months);
  if (start > nowMs) {
    months -= step;
    start = addUtcMonths(anchorMs, months);
  }
  return { startMs: start, endMs: addUtcMonths(anchorMs, months + step) };
}

/**
 * Where the month window of an account starts: the billing period's start, or the moment its current
 * plan took effect if that was later (a plan's quota counts from its own start, as a new
 * subscription item's usage does at Stripe).
 */
export function monthWindowStart(period: BillingPeriod, planStartedAtMs: number | null): number {
  return planStartedAtMs !== null && planStartedAtMs > period.startMs ? planStartedAtMs : period.startMs;
}
