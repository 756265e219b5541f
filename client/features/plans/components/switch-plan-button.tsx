import type { Plan } from "../../../../shared/plans";

export const PLAN_CHANGE_SOON_ID = "plan-change-soon";

/**
 * "Switch to <plan>". It will open the plan-change wizard at /plans/change?to=<planId>; until that
 * exists it is disabled, and stays focusable (aria-disabled) so screen readers reach the note saying why.
 */
export function SwitchPlanButton({ plan, primary = false, compact = false, className = "" }: { plan: Plan; primary?: boolean; compact?: boolean; className?: string }) {
  return (
    <button
      type="button"
      aria-disabled="true"
      aria-describedby={PLAN_CHANGE_SOON_ID}
      onClick={(e) => e.preventDefault()}
      className={`inline-flex cursor-not-allowed items-center justify-center rounded-lg py-2 font-medium ${compact ? "px-2 text-[13px]" : "px-3.5 text-sm"} ${
        primary ? "bg-brand-100 text-brand-700" : "bg-slate-50 text-slate-600 ring-1 ring-inset ring-slate-200"
      } ${className}`}
    >
      Switch to {plan.name}
    </button>
  );
}
