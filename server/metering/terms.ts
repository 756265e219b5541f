import { quotaWindow, termsOnInterval } from "../../shared/billing-interval";
import type { BillingInterval, Caps, EnforcementMode, Plan, WindowName } from "../../shared/plans";
import type { TermsRow } from "../db/queries/metering";

/** What the meter decides an account's calls on; resolved from its row and cached until it changes. */
export interface AccountTerms {
  id: string;
  name: string;
  plan: Plan;
  mode: EnforcementMode;
  caps: Caps;
  billingAnchorMs: number;
  /** Billed per month or per year (the billing period). */
  billingInterval: BillingInterval;
  /** What the `month` caps are counted over: a month, or the whole billing year (a yearly quota on a yearly price). */
  quotaWindow: BillingInterval;
  /** When the current plan took effect; its monthly quota counts from there within the period (null: the period start). */
  planStartedAtMs: number | null;
  /** When the account was first reached about each cap, for the grace rule. */
  noticeDeliveredAtMs: Partial<Record<WindowName, number>>;
  /** Resolve again at this moment (grandfathering ends). */
  reloadAtMs: number;
}

/**
 * The plan-terms rules, pure: the plan's caps with the account's overrides; an overage opt-in drops
 * the monthly cap (calls beyond it are billed, not limited); the mode is the account's own, else the
 * plan's setting, else the catalog's; grandfathered accounts keep their terms, so enforce reads as
 * shadow until the date. A notice without a window is about every cap of the plan.
 */
export function resolveTerms(
  row: TermsRow,
  input: { plan: Plan; planMode: EnforcementMode | undefined; deliveredNotices: ReadonlyArray<{ window: WindowName | null; at: number }>; nowMs: number },
): AccountTerms {
  const { plan } = input;
  const noticeDeliveredAtMs: Partial<Record<WindowName, number>> = {};
  for (const r of input.deliveredNotices) {
    for (const w of r.window ? [r.window] : (["minute", "day", "month"] as const)) noticeDeliveredAtMs[w] = Math.min(noticeDeliveredAtMs[w] ?? Infinity, r.at);
  }
  const grandfathered = row.grandfatheredUntilMs !== null && input.nowMs < row.grandfatheredUntilMs;
  const mode: EnforcementMode = row.enforcementOverride ?? input.planMode ?? plan.enforcement;
  // A yearly quota is twelve months' allowance for the year; an account's own overrides are taken as given.
  const caps: Caps = { ...termsOnInterval(plan, row.billingInterval).caps, ...(row.capOverridesJson ? (JSON.parse(row.capOverridesJson) as Caps) : {}) };
  if (row.overageOptIn && plan.overagePer1000Minor !== undefined) delete caps.month;
  return {
    id: row.id,
    name: row.name,
    plan,
    mode: grandfathered && mode === "enforce" ? "shadow" : mode,
    caps,
    billingAnchorMs: row.billingAnchorMs,
    billingInterval: row.billingInterval,
    quotaWindow: quotaWindow(plan, row.billingInterval),
    planStartedAtMs: row.planStartedAtMs,
    noticeDeliveredAtMs,
    reloadAtMs: grandfathered ? row.grandfatheredUntilMs! : Infinity,
  };
}
