import { formatMoney } from "../../../../shared/money";
import { monthlyEquivalentMinor } from "../../../../shared/billing-interval";
import type { BillingInterval, MeterTerms, Plan, WindowName } from "../../../../shared/plans";
import { formatCount } from "../../../lib/format";
import type { PlanVerdictData } from "../use-plan-comparison";
import { VERDICT_STYLE, windowFit } from "./plan-text";

const MARK = {
  within: { icon: "m5 12 5 5L20 7", className: "text-emerald-600", text: "your peak is within it" },
  over: { icon: "M6 6l12 12M18 6 6 18", className: "text-rose-600", text: "your peak is over it" },
  billed: { icon: "M12 5v14M5 12h14", className: "text-amber-600", text: "your calls go over it, billed as overage" },
} as const;

/**
 * A plan's cap in one window (of one meter: `plan` is that meter's terms; a `Plan` is its default
 * meter's), marked with how the customer's own peak compares to it. `perYear`: the month cap is a
 * yearly quota (the year's allowance), compared with twelve months at this rate.
 */
export function CapValue({ plan, window, peak, perYear = false }: { plan: MeterTerms; window: WindowName; peak: number; perYear?: boolean }) {
  const cap = plan.caps[window];
  if (cap === undefined) return <span className="text-slate-600">{plan.metered ? "No cap, metered" : "No cap"}</span>;
  const yearly = perYear && window === "month";
  const fit = windowFit(plan, window, yearly ? peak * 12 : peak);
  const mark = fit === "none" ? null : MARK[fit];
  return (
    <span className="inline-flex items-center gap-1.5">
      <span className="font-medium text-slate-900">{formatCount(cap)}</span>
      {yearly && <span className="text-slate-600">per year</span>}
      {mark && (
        <>
          <svg viewBox="0 0 24 24" className={`h-4 w-4 shrink-0 ${mark.className}`} fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
            <path d={mark.icon} />
          </svg>
          <span className="sr-only">({mark.text})</span>
        </>
      )}
    </span>
  );
}

/** "✓ Fits", "✕ Over on 12 of 30 days": colour and icon both, so it reads without colour too. */
export function Verdict({ verdict }: { verdict: PlanVerdictData }) {
  const style = VERDICT_STYLE[verdict.kind];
  return (
    <span className={`inline-flex items-start gap-1.5 font-semibold ${style.className}`}>
      <svg viewBox="0 0 24 24" className="mt-0.5 h-4 w-4 shrink-0" fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
        <path d={style.icon} />
      </svg>
      {verdict.label.charAt(0).toUpperCase() + verdict.label.slice(1)}
    </span>
  );
}

/** Estimated cost of a month like the last 30 days, with the usage part spelled out (a yearly price at its twelfth, for a customer billed yearly). */
export function CostValue({ plan, verdict, interval = "month" }: { plan: Plan; verdict: PlanVerdictData; interval?: BillingInterval }) {
  return (
    <span>
      <span className="font-semibold text-slate-900">{formatMoney(verdict.monthlyCostMinor, verdict.currency)}</span>
      {verdict.usageMinor > 0 && (
        <span className="block text-xs text-slate-600">
          {formatMoney(monthlyEquivalentMinor(plan, interval), plan.currency)} + {formatMoney(verdict.usageMinor, verdict.currency)} {plan.metered ? "usage" : "overage"}
        </span>
      )}
    </span>
  );
}
