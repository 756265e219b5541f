import { Link } from "react-router";
import type { BillingInterval, Plan } from "../../../../shared/plans";
import { paths } from "../../../app/paths";

/**
 * "Switch to <plan>": opens the plan-change wizard with that plan chosen (and, where the catalog sells
 * by the year, the interval chosen on the toggle); nothing changes before its preview and consent.
 * `label` replaces the words, e.g. "Switch to yearly billing" on the current plan.
 */
export function SwitchPlanButton({ plan, primary = false, compact = false, className = "", interval, label }: { plan: Plan; primary?: boolean; compact?: boolean; className?: string; interval?: BillingInterval; label?: string }) {
  return (
    <Link
      to={`${paths.planChange}?to=${encodeURIComponent(plan.id)}${interval ? `&interval=${interval}` : ""}`}
      className={`inline-flex items-center justify-center rounded-lg py-2 text-center font-medium transition-colors ${compact ? "px-2 text-[13px]" : "px-3.5 text-sm"} ${
        primary ? "bg-brand-600 text-white hover:bg-brand-700" : "bg-white text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
      } ${className}`}
    >
      {label ?? `Switch to ${plan.name}`}
    </Link>
  );
}
