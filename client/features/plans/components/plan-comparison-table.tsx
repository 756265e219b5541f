import type { BillingInterval, Plan, WindowName } from "../../../../shared/plans";
import { formatCount } from "../../../lib/format";
import { Badge } from "../../../ui/badge";
import type { PlanComparisonData } from "../use-plan-comparison";
import { capRows, pricingLines } from "./cap-rows";
import { CapValue, CostValue, Verdict } from "./plan-facts";
import { atTheCap, planOn, priceText } from "./plan-text";
import { SwitchPlanButton } from "./switch-plan-button";
import { quotaWindow } from "../../../../shared/billing-interval";

const PEAK_LABEL: Record<WindowName, string> = { minute: "Your busiest minute", day: "Your busiest day", month: "Your last 30 days" };

/** Plans side by side (wide screens), the customer's own peaks against each cap (of each meter, when there are several); `interval` as for PlanCards. */
export function PlanComparisonTable({ data, interval }: { data: PlanComparisonData; interval?: BillingInterval }) {
  const recommendedId = data.recommendation?.planId;
  const verdictOf = (p: Plan) => data.verdicts.find((v) => v.planId === p.id)!;
  const column = (p: Plan) => (p.id === recommendedId ? "bg-brand-50/70" : "");
  const rowHead = "px-4 py-3 text-left align-top font-medium text-slate-700";
  const cell = "px-3 py-3 align-top";

  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      {/* Wide enough for every plan's price and caps: it scrolls sideways rather than squeeze seven plans into the page. */}
      <table className="w-full table-fixed text-sm" style={{ minWidth: Math.max(760, 200 + data.plans.length * 140) }} data-testid="plan-table">
        <caption className="sr-only">Plans compared with your last 30 days</caption>
        <colgroup>
          <col className="w-44" />
          {data.plans.map((p) => (
            <col key={p.id} />
          ))}
        </colgroup>
        <thead>
          <tr className="border-b border-slate-200">
            <td className="px-4 py-4" />
            {data.plans.map((p) => {
              const price = priceText(p, interval ?? "month");
              return (
                <th key={p.id} scope="col" className={`px-3 py-4 text-left align-top ${column(p)}`} data-testid={`plan-col-${p.id}`}>
                  <span className="block text-base font-semibold text-slate-900">{p.name}</span>
                  <span className="mt-1 flex min-h-5 flex-wrap gap-1">
                    {p.id === data.currentPlanId && <Badge tone="neutral">Your plan</Badge>}
                    {p.id === recommendedId && <Badge tone="brand">Recommended</Badge>}
                  </span>
                  <span className="mt-2 block font-normal">
                    <span className="text-lg font-semibold text-slate-900">{price.amount}</span>
                    <span className="text-slate-600">{price.per}</span>
                  </span>
                  {price.saving && <span className="block text-xs font-semibold text-emerald-800" data-testid={`saving-${p.id}`}>{price.saving}</span>}
                  {price.note && <span className="block text-xs font-normal text-slate-600">{price.note}</span>}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {capRows(data).map((row) => (
            <tr key={row.key}>
              <th scope="row" className={rowHead}>
                {row.label}
                <span className="mt-0.5 block text-xs font-normal text-slate-600">
                  {row.key === "month" && row.peak !== data.callsInWindow ? "A month at your rate" : PEAK_LABEL[row.window]}: <span className="font-semibold text-slate-800">{formatCount(row.peak)}</span>
                </span>
              </th>
              {data.plans.map((p) => (
                <td key={p.id} className={`${cell} ${column(p)}`}>
                  <CapValue plan={row.terms(planOn(p, interval ?? "month").plan)} window={row.window} peak={row.peak} perYear={quotaWindow(p, planOn(p, interval ?? "month").interval) === "year"} />
                </td>
              ))}
            </tr>
          ))}
          <tr>
            <th scope="row" className={rowHead}>At a cap</th>
            {data.plans.map((p) => (
              <td key={p.id} className={`${cell} text-slate-700 ${column(p)}`}>{atTheCap(p)}</td>
            ))}
          </tr>
          <tr>
            <th scope="row" className={rowHead}>Usage pricing</th>
            {data.plans.map((p) => (
              <td key={p.id} className={`${cell} text-slate-700 ${column(p)}`}>
                <PricingLines lines={pricingLines(data, p)} />
              </td>
            ))}
          </tr>
          <tr>
            <th scope="row" className={rowHead}>Your last 30 days on it</th>
            {data.plans.map((p) => (
              <td key={p.id} className={`${cell} ${column(p)}`} data-testid={`verdict-${p.id}`}>
                <Verdict verdict={verdictOf(p)} />
              </td>
            ))}
          </tr>
          <tr>
            <th scope="row" className={rowHead}>
              Estimated monthly cost
              <span className="mt-0.5 block text-xs font-normal text-slate-600">for a month like your last 30 days</span>
            </th>
            {data.plans.map((p) => (
              <td key={p.id} className={`${cell} ${column(p)}`}>
                <CostValue plan={p} verdict={verdictOf(p)} interval={data.interval} />
              </td>
            ))}
          </tr>
          <tr>
            <td className="px-4 py-4" />
            {data.plans.map((p) => (
              <td key={p.id} className={`px-2 py-4 align-top ${column(p)}`}>
                {p.id === data.currentPlanId && interval !== undefined && interval !== data.interval && planOn(p, interval).interval === interval ? (
                  <SwitchPlanButton plan={p} interval={interval} label={`Switch to ${interval === "year" ? "yearly" : "monthly"} billing`} compact className="w-full" />
                ) : p.id === data.currentPlanId ? (
                  <span className="inline-flex items-center gap-1.5 py-2 text-sm font-medium text-slate-600">
                    <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" aria-hidden><path d="m5 12 5 5L20 7" /></svg>
                    Current plan
                  </span>
                ) : (
                  <SwitchPlanButton plan={p} primary={p.id === recommendedId} interval={interval && planOn(p, interval).interval} compact className="w-full" />
                )}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** A plan's usage pricing: one line as plain text (a single meter), one line per priced meter, or "None". */
function PricingLines({ lines }: { lines: string[] }) {
  if (lines.length === 0) return <span className="text-slate-600">None</span>;
  if (lines.length === 1) return <>{lines[0]}</>;
  return (
    <>
      {lines.map((line) => (
        <span key={line} className="block">
          {line}
        </span>
      ))}
    </>
  );
}
