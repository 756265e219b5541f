import { DAY_MS, startOfUtcDay } from "../limits";

/**
 * The product's success measures, one function per metric, each with its definition in words.
 * The console's Metrics page and an experiment's scorecard both compute them here, so a number
 * means the same thing on both pages.
 */

export const METRIC_IDS = ["api_revenue", "calls_per_day", "upgrade_rate", "billing_error_rate", "churn", "nps"] as const;
export type MetricId = (typeof METRIC_IDS)[number];

export interface MetricInfo {
  label: string;
  /** How values and thresholds are expressed: money in minor units per month, a 0–1 ratio, NPS points, calls. */
  unit: "money_per_month" | "ratio" | "nps" | "calls";
  definition: string;
  interval: "wilson" | "t" | "bootstrap";
  /** The interval's name as the scorecard prints it. */
  intervalName: string;
  /** What a sample counts: more of these decide a criterion. */
  sampleUnit: { one: string; many: string };
  range: { min: number; max: number };
}

/** Days after a first cap notice within which an upgrade (or a reduction of traffic) counts. */
export const FUNNEL_DAYS = 14;
/** An account that made no call for this many whole days has churned. */
export const CHURN_SILENT_DAYS = 14;
/** A support request answered later than this (or still open past it) is late. */
export const SUPPORT_RESPONSE_MS = 4 * 3_600_000;

export const METRICS: Record<MetricId, MetricInfo> = {
  api_revenue: {
    label: "API revenue",
    unit: "money_per_month",
    definition: "Invoiced (credit notes subtracted, void invoices left out); on a scorecard, to the cohort's accounts since the start, scaled to a 30-day month.",
    interval: "bootstrap",
    intervalName: "percentile bootstrap over accounts (2,000 resamples, fixed seed)",
    sampleUnit: { one: "account", many: "accounts" },
    range: { min: -Infinity, max: Infinity },
  },
  calls_per_day: {
    label: "API calls per day",
    unit: "calls",
    definition: "Calls served to the cohort per whole UTC day since the start (within caps and over them in shadow mode), averaged over the days.",
    interval: "t",
    intervalName: "Student's t interval over days",
    sampleUnit: { one: "day", many: "days" },
    range: { min: 0, max: Infinity },
  },
  upgrade_rate: {
    label: "Upgrade rate",
    unit: "ratio",
    definition: `Accounts that moved to a dearer plan within ${FUNNEL_DAYS} days of their first cap notice ÷ accounts notified about a cap in the window.`,
    interval: "wilson",
    intervalName: "Wilson score interval",
    sampleUnit: { one: "notified account", many: "notified accounts" },
    range: { min: 0, max: 1 },
  },
  billing_error_rate: {
    label: "Billing error rate",
    unit: "ratio",
    definition: "Charges that failed (left open) or were corrected afterwards (voided or refunded) ÷ charges issued in the window.",
    interval: "wilson",
    intervalName: "Wilson score interval",
    sampleUnit: { one: "charge", many: "charges" },
    range: { min: 0, max: 1 },
  },
  churn: {
    label: "Customer churn",
    unit: "ratio",
    definition: `Accounts that cancelled (moved from a paid plan to a free one) or made no call for ${CHURN_SILENT_DAYS} whole days ÷ accounts active at the start (a call in the ${CHURN_SILENT_DAYS} days before it).`,
    interval: "wilson",
    intervalName: "Wilson score interval",
    sampleUnit: { one: "active account", many: "active accounts" },
    range: { min: 0, max: 1 },
  },
  nps: {
    label: "NPS",
    unit: "nps",
    definition: "Net Promoter Score from the 0–10 “how likely are you to recommend us” question after a plan change: % promoters (9–10) − % detractors (0–6).",
    interval: "t",
    intervalName: "Student's t interval of the answers scored +100 / 0 / −100",
    sampleUnit: { one: "answer", many: "answers" },
    range: { min: -100, max: 100 },
  },
};

// ---- upgrade rate ---------------------------------------------------------------------------

export interface UpgradeRate {
  notified: number;
  upgraded: number;
  /** null without notified accounts. */
  rate: number | null;
  /** Each notified account with its first notice. */
  firstNotice: Map<string, number>;
}

/**
 * Upgrade rate: of the accounts first told about a cap in the window (`notices`, already limited to
 * it), those that moved to a dearer plan within FUNNEL_DAYS of that notice.
 */
export function upgradeRate(notices: ReadonlyArray<{ accountId: string; atMs: number }>, upgrades: ReadonlyArray<{ accountId: string; atMs: number }>): UpgradeRate {
  const firstNotice = new Map<string, number>();
  for (const n of notices) firstNotice.set(n.accountId, Math.min(firstNotice.get(n.accountId) ?? Infinity, n.atMs));
  let upgraded = 0;
  for (const [accountId, at] of firstNotice) {
    if (upgrades.some((u) => u.accountId === accountId && u.atMs >= at && u.atMs < at + FUNNEL_DAYS * DAY_MS)) upgraded++;
  }
  return { notified: firstNotice.size, upgraded, rate: firstNotice.size ? upgraded / firstNotice.size : null, firstNotice };
}

// ---- billing error rate ---------------------------------------------------------------------

export interface Charge {
  status: "paid" | "open" | "void" | "queued";
  /** A refund was issued against it. */
  refunded: boolean;
}

/** Billing error rate: charges that failed (open) or were corrected (void, refunded) ÷ charges. */
export function billingErrorRate(charges: readonly Charge[]): { errors: number; charges: number; rate: number | null } {
  const errors = charges.filter((c) => c.status === "open" || c.status === "void" || c.refunded).length;
  return { errors, charges: charges.length, rate: charges.length ? errors / charges.length : null };
}

// ---- churn ----------------------------------------------------------------------------------

/**
 * Churn as of `asOfMs`: of the accounts active at the start, those that cancelled by then or whose
 * last call (or the start, without one since) lies more than CHURN_SILENT_DAYS whole days back.
 */
export function churn(
  input: { activeAtStart: readonly string[]; startMs: number; asOfMs: number; cancelled: ReadonlyArray<{ accountId: string; atMs: number }>; callDays: ReadonlyMap<string, readonly number[]> },
): { churned: number; active: number; rate: number | null; churnedIds: string[] } {
  const today = startOfUtcDay(input.asOfMs);
  const churnedIds: string[] = [];
  for (const id of input.activeAtStart) {
    const cancelled = input.cancelled.some((c) => c.accountId === id && c.atMs >= input.startMs && c.atMs <= input.asOfMs);
    const days = (input.callDays.get(id) ?? []).filter((d) => d <= today);
    const last = days.length ? Math.max(...days) : startOfUtcDay(input.startMs) - DAY_MS;
    // Whole days strictly between the last day with a call and today (today is not over yet).
    const silent = Math.round((today - last) / DAY_MS) - 1;
    if (cancelled || silent >= CHURN_SILENT_DAYS) churnedIds.push(id);
  }
  const active = input.activeAtStart.length;
  return { churned: churnedIds.length, active, rate: active ? churnedIds.length / active : null, churnedIds };
}

// ---- NPS ------------------------------------------------------------------------------------

/** An answer as the NPS averages it: a promoter +100, a passive 0, a detractor −100. */
export function npsPoints(score: number): number {
  return score >= 9 ? 100 : score <= 6 ? -100 : 0;
}

/** Net Promoter Score: % of 9–10 minus % of 0–6, rounded; null without answers. */
export function nps(scores: readonly number[]): { score: number | null; promoters: number; detractors: number; responses: number } {
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  return { score: scores.length ? Math.round(((promoters - detractors) / scores.length) * 100) : null, promoters, detractors, responses: scores.length };
}

// ---- revenue --------------------------------------------------------------------------------

/** An invoice as revenue counts it. */
export interface InvoiceAmount {
  accountId: string;
  status: string;
  totalMinor: number;
}

/** Revenue per account: invoices' totals (credit notes negative), void ones left out. */
export function revenueByAccount(invoices: readonly InvoiceAmount[]): Map<string, number> {
  const by = new Map<string, number>();
  for (const i of invoices) if (i.status !== "void") by.set(i.accountId, (by.get(i.accountId) ?? 0) + i.totalMinor);
  return by;
}

/** Revenue over `elapsedMs` scaled to a 30-day month, in minor units (rounded to the unit). */
export function monthlyRate(amountMinor: number, elapsedMs: number): number {
  return Math.round((amountMinor * 30 * DAY_MS) / Math.max(DAY_MS, elapsedMs));
}

// ---- calls per day --------------------------------------------------------------------------

/** Calls served on each whole UTC day in [fromMs, asOfMs), days without calls as 0. */
export function dailyCalls(served: ReadonlyArray<{ dayMs: number; served: number }>, fromMs: number, asOfMs: number): Array<{ dayMs: number; calls: number }> {
  const by = new Map<number, number>();
  for (const r of served) by.set(r.dayMs, (by.get(r.dayMs) ?? 0) + r.served);
  const days: Array<{ dayMs: number; calls: number }> = [];
  for (let d = startOfUtcDay(fromMs); d + DAY_MS <= asOfMs; d += DAY_MS) days.push({ dayMs: d, calls: by.get(d) ?? 0 });
  return days;
}

// ---- support response -----------------------------------------------------------------------

/** Support requests against the 4-hour response clock, as of `asOfMs`. */
export function supportResponse(requests: ReadonlyArray<{ createdAtMs: number; repliedAtMs: number | null }>, asOfMs: number) {
  const minutes = requests
    .filter((s) => s.repliedAtMs !== null)
    .map((s) => (s.repliedAtMs! - s.createdAtMs) / 60_000)
    .sort((a, b) => a - b);
  return {
    requests: requests.length,
    answered: minutes.length,
    medianResponseMinutes: minutes.length ? Math.round(minutes[Math.floor(minutes.length / 2)]!) : null,
    overdue: requests.filter((s) => (s.repliedAtMs ?? asOfMs) - s.createdAtMs > SUPPORT_RESPONSE_MS).length,
  };
}
