import type { BillingInterval, Plan } from "../../../../shared/plans";
import { Badge } from "../../../ui/badge";
import type { PlanComparisonData } from "../use-plan-comparison";
import { capRows, pricingLines } from "./cap-rows";
import { CapValue, CostValue, Verdict } from "./plan-facts";
import { atTheCap, planOn, priceText } from "./plan-text";
import { SwitchPlanButton } from "./switch-plan-button";
import { quotaWindow } from "../../../../shared/billing-interval";

/**
 * One card per plan (small screens): the same facts as the table, read top to bottom. `interval`: the
 * Monthly / Yearly toggle's choice, where the catalog sells by the year (absent: monthly, no toggle).
 */
export function PlanCards({ data, interval }: { data: PlanComparisonData; interval?: BillingInterval }) {
  const recommendedId = data.recommendation?.planId;
  const verdictOf = (p: Plan) => data.verdicts.find((v) => v.planId === p.id)!;
  // The recommended plan, then the current one, first: on a phone, that is what the customer came to compare.
  const rank = (p: Plan) => (p.id === recommendedId ? 0 : p.id === data.currentPlanId ? 1 : 2);
  const ordered = [...data.plans].sort((a, b) => rank(a) - rank(b));

  return (
    <ul className="space-y-4" aria-label="Plans compared with your last 30 days">
      {ordered.map((p) => {
        const price = priceText(p, interval ?? "month");
        const on = planOn(p, interval ?? "month");
        const recommended = p.id === recommendedId;
        // On the toggle's other interval, the current plan can be switched to it.
        const otherInterval = p.id === data.currentPlanId && interval !== undefined && interval !== data.interval && on.interval === interval;
        return (
          <li key={p.id} className={`rounded-xl border bg-white p-4 shadow-sm ${recommended ? "border-brand-500 ring-1 ring-brand-500" : "border-slate-200"}`} data-testid={`plan-card-${p.id}`}>
            <div className="flex items-start justify-between gap-3">
              <div>
                <h3 className="text-base font-semibold text-slate-900">{p.name}</h3>
                <p className="mt-0.5">
                  <span className="text-lg font-semibold text-slate-900">{price.amount}</span>
                  <span className="text-sm text-slate-600">{price.per}</span>
                </p>
                {price.saving && <p className="text-xs font-semibold text-emerald-800" data-testid={`saving-${p.id}`}>{price.saving}</p>}
                {price.note && <p className="text-xs text-slate-600">{price.note}</p>}
              </div>
              <div className="flex flex-col items-end gap-1">
                {p.id === data.currentPlanId && <Badge tone="neutral">Your plan</Badge>}
                {recommended && <Badge tone="brand">Recommended</Badge>}
              </div>
            </div>
            <div className="mt-3 flex flex-wrap items-center justify-between gap-2 rounded-lg bg-slate-50 px-3 py-2">
              <span className="text-sm text-slate-700">
                <span className="block text-xs text-slate-600">Your last 30 days</span>
                <Verdict verdict={verdictOf(p)} />
              </span>
              <CostValue plan={p} verdict={verdictOf(p)} interval={data.interval} />
            </div>
            <dl className="mt-3 space-y-1.5 text-sm">
              {capRows(data).map((row) => (
                <div key={row.key} className="flex justify-between gap-3">
                  <dt className="text-slate-600">{row.label}</dt>
                  <dd><CapValue plan={row.terms(on.plan)} window={row.window} peak={row.peak} perYear={quotaWindow(p, on.interval) === "year"} /></dd>
                </div>
              ))}
            </dl>
            <dl className="mt-3 space-y-1.5 border-t border-slate-100 pt-3 text-sm">
              <div>
                <dt className="text-slate-600">At a cap</dt>
                <dd className="text-slate-900">{atTheCap(p)}</dd>
              </div>
              {pricingLines(data, p).length > 0 && (
                <div>
                  <dt className="text-slate-600">Usage pricing</dt>
                  {pricingLines(data, p).map((line) => (
                    <dd key={line} className="text-slate-900">{line}</dd>
                  ))}
                </div>
              )}
            </dl>
            <div className="mt-4">
              {otherInterval ? (
                <SwitchPlanButton plan={p} interval={interval} label={`Switch to ${interval === "year" ? "yearly" : "monthly"} billing`} className="w-full" />
              ) : p.id === data.currentPlanId ? (
                <p className="text-sm font-medium text-slate-600">This is your current plan.</p>
              ) : (
                <SwitchPlanButton plan={p} primary={recommended} interval={interval && on.interval} className="w-full" />
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
