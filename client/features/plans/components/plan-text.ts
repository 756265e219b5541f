import { intervalFor, termsOnInterval, yearlySaving } from "../../../../shared/billing-interval";
import { formatMoney } from "../../../../shared/money";
import type { BillingInterval, MeterTerms, Plan, WindowName } from "../../../../shared/plans";
import type { FitKind } from "../../../../shared/recommend";

/** What happens when a customer on this plan reaches a cap, in a few words. */
export function atTheCap(plan: Plan): string {
  // Every meter counts: a plan whose default meter is metered may still cap another one.
  const terms = Object.keys(plan.meters).length > 0 ? Object.values(plan.meters) : [plan];
  const capped = terms.filter((t) => !t.metered && Object.keys(t.caps).length > 0);
  if (capped.length === 0) return "No caps to reach";
  if (capped.some((t) => t.overagePer1000Minor !== undefined && t.caps.month !== undefined)) return "Minute cap: a notice, then refused. Monthly quota: overage billed";
  return "A notice, then calls over the cap are refused";
}

/** "$3.00 per 1,000 calls over the quota", or null when calls over a cap are not billed. */
export function overageText(plan: Plan): string | null {
  if (plan.overagePer1000Minor === undefined) return null;
  const price = formatMoney(plan.overagePer1000Minor, plan.currency);
  return plan.metered ? `${price} per 1,000 calls, every call` : `${price} per 1,000 calls over the quota`;
}

/**
 * "$29.00" + "/month", "$990.00" + "/month + usage"; on the yearly toggle "$290.00" + "/year" with
 * what it saves ("2 months free"), or the plan's only price with a note ("Billed monthly only").
 */
export function priceText(plan: Plan, interval: BillingInterval = "month"): { amount: string; per: string; saving: string | null; note: string | null } {
  const shown = intervalFor(plan, interval);
  const price = shown === "year" ? plan.prices.year! : (plan.prices.month ?? plan.priceMinor);
  const per = `${shown === "year" ? "/year" : "/month"}${plan.metered ? " + usage" : ""}`;
  // A free plan has nothing to bill in either interval.
  const note = shown !== interval && price > 0 ? `Billed ${shown === "year" ? "yearly" : "monthly"} only` : null;
  return { amount: formatMoney(price, plan.currency), per, saving: shown === "year" ? (yearlySaving(plan)?.words ?? null) : null, note };
}

/** The plan's terms as sold in `interval` (or its only interval): a yearly quota's month cap is the year's allowance. */
export function planOn(plan: Plan, interval: BillingInterval): { plan: Plan; interval: BillingInterval } {
  const shown = intervalFor(plan, interval);
  return { plan: termsOnInterval(plan, shown), interval: shown };
}

export const VERDICT_STYLE: Record<FitKind, { className: string; icon: string }> = {
  fits: { className: "text-emerald-700", icon: "m5 12 5 5L20 7" },
  fits_with_overage: { className: "text-amber-800", icon: "M12 5v14M5 12h14" },
  over: { className: "text-rose-700", icon: "M6 6l12 12M18 6 6 18" },
};

/** One meter's usage pricing on a plan, for a comparison of several meters: "$5.00 per 1,000 over the quota", or null. */
export function meterPricingText(terms: MeterTerms, currency: string): string | null {
  if (terms.overagePer1000Minor === undefined) return null;
  const price = formatMoney(terms.overagePer1000Minor, currency);
  return terms.metered ? `${price} per 1,000, every one` : `${price} per 1,000 over the quota`;
}

/** Whether the customer's peak in a window is within this plan's cap there (a plan's terms for one meter; a `Plan` is its default meter's). */
export function windowFit(plan: MeterTerms, window: WindowName, peak: number): "within" | "over" | "billed" | "none" {
  const cap = plan.caps[window];
  if (cap === undefined || plan.metered) return "none";
  if (peak <= cap) return "within";
  return window === "month" && plan.overagePer1000Minor !== undefined ? "billed" : "over";
}
