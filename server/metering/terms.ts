import { quotaWindow, termsOnInterval } from "../../shared/billing-interval";
import type { BillingInterval, Caps, EnforcementMode, Plan, WindowName } from "../../shared/plans";
import type { TermsRow } from "../db/queries/metering";

/** One meter's caps for the account and when it was told about each of them. */
export interface AccountMeterTerms {
  caps: Caps;
  /** When the account was first reached about each cap of the meter, for the grace rule. */
  noticeDeliveredAtMs: Partial<Record<WindowName, number>>;
}

/** What the meter decides an account's calls on; resolved from its row and cached until it changes. */
export interface AccountTerms extends AccountMeterTerms {
  id: string;
  name: string;
  plan: Plan;
  mode: EnforcementMode;
  /** The default meter's caps (with the account's overrides); every meter's are in `meters`. */
  caps: Caps;
  billingAnchorMs: number;
  /** Billed per month or per year (the billing period). */
  billingInterval: BillingInterval;
  /** What the `month` caps are counted over: a month, or the whole billing year (a yearly quota on a yearly price). */
  quotaWindow: BillingInterval;
  /** When the current plan took effect; its monthly quota counts from there within the period (null: the period start). */
  planStartedAtMs: number | null;
  /** The default meter's: when the account was first reached about each cap, for the grace rule. */
  noticeDeliveredAtMs: Partial<Record<WindowName, number>>;
  /** Every meter's caps and notices, by meter id; the default meter's entry is this object's own `caps` and `noticeDeliveredAtMs`. */
  meters: Record<string, AccountMeterTerms>;
  /** Resolve again at this moment (grandfathering ends). */
  reloadAtMs: number;
}

/**
 * The plan-terms rules, pure: each meter's caps from the plan, the default meter's with the account's
 * overrides; an overage opt-in drops the monthly cap of every meter billed for overage (units beyond
 * it are billed, not limited); the mode is the account's own, else the plan's setting, else the
 * catalog's; grandfathered accounts keep their terms, so enforce reads as shadow until the date.
 * A notice is about its meter's caps (meter '' or absent: the default meter, as notices written
 * before meters were counted apart); one without a window is about every cap of its meter.
 */
export function resolveTerms(
  row: TermsRow,
  input: {
    plan: Plan;
    planMode: EnforcementMode | undefined;
    deliveredNotices: ReadonlyArray<{ meter?: string; window: WindowName | null; at: number }>;
    nowMs: number;
    /** The catalog's default meter (absent: the plan's first meter). */
    defaultMeter?: string;
  },
): AccountTerms {
  // A yearly quota is twelve months' allowance for the year (every meter's); an account's own overrides are taken as given.
  const plan = termsOnInterval(input.plan, row.billingInterval);
  const defaultMeter = input.defaultMeter ?? Object.keys(plan.meters)[0];
  const meters: Record<string, AccountMeterTerms> = {};
  for (const [id, terms] of Object.entries(plan.meters)) {
    const caps: Caps = id === defaultMeter ? { ...plan.caps, ...(row.capOverridesJson ? (JSON.parse(row.capOverridesJson) as Caps) : {}) } : { ...terms.caps };
    if (row.overageOptIn && !terms.metered && terms.overagePer1000Minor !== undefined) delete caps.month;
    meters[id] = { caps, noticeDeliveredAtMs: {} };
  }
  // A plan without meters of its own (built by hand): its caps are the default meter's.
  const main = (defaultMeter !== undefined ? meters[defaultMeter] : undefined) ?? { caps: { ...plan.caps }, noticeDeliveredAtMs: {} };
  for (const r of input.deliveredNotices) {
    const target = r.meter ? meters[r.meter] : main;
    if (!target) continue; // a meter the catalog no longer declares
    const at = target.noticeDeliveredAtMs;
    for (const w of r.window ? [r.window] : (["minute", "day", "month"] as const)) at[w] = Math.min(at[w] ?? Infinity, r.at);
  }
  const grandfathered = row.grandfatheredUntilMs !== null && input.nowMs < row.grandfatheredUntilMs;
  const mode: EnforcementMode = row.enforcementOverride ?? input.planMode ?? plan.enforcement;
  return {
    id: row.id,
    name: row.name,
    plan: input.plan,
    mode: grandfathered && mode === "enforce" ? "shadow" : mode,
    caps: main.caps,
    billingAnchorMs: row.billingAnchorMs,
    billingInterval: row.billingInterval,
    quotaWindow: quotaWindow(plan, row.billingInterval),
    planStartedAtMs: row.planStartedAtMs,
    noticeDeliveredAtMs: main.noticeDeliveredAtMs,
    meters,
    reloadAtMs: grandfathered ? row.grandfatheredUntilMs! : Infinity,
  };
}
