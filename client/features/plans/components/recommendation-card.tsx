import { formatMoney } from "../../../../shared/money";
import { formatCount } from "../../../lib/format";
import { Badge } from "../../../ui/badge";
import type { PlanComparisonData } from "../use-plan-comparison";
import { SwitchPlanButton } from "./switch-plan-button";

/** The plan that would have fitted the last 30 days at the lowest cost, why, and the peaks behind it. */
export function RecommendationCard({ data }: { data: PlanComparisonData }) {
  const rec = data.recommendation;
  const plan = rec ? data.plans.find((p) => p.id === rec.planId) : undefined;
  const isCurrent = rec?.planId === data.currentPlanId;
  const peaks = [
    { label: "Busiest minute", value: `${formatCount(data.peaks.minute)} calls` },
    { label: "Busiest day (UTC)", value: `${formatCount(data.peaks.day)} calls` },
    // The calls really made; an account younger than the window is judged on a month at its rate, said as such.
    data.peaks.month === data.callsInWindow
      ? { label: `Last ${data.windowDays} days`, value: `${formatCount(data.callsInWindow)} calls` }
      : { label: "A month at your rate", value: `about ${formatCount(data.peaks.month)} calls` },
  ];

  return (
    <section aria-labelledby="recommendation-title" className={`mb-8 rounded-xl border bg-white shadow-sm ${!rec ? "border-slate-200" : isCurrent ? "border-emerald-200" : "border-brand-100 ring-1 ring-brand-100"}`} data-testid="recommendation">
      <div className="flex flex-wrap items-start justify-between gap-x-8 gap-y-4 p-5">
        <div className="min-w-0 max-w-2xl flex-1">
          {rec && plan ? (
            <>
              <p className="mb-1"><Badge tone={isCurrent ? "good" : "brand"}>{isCurrent ? "You are on the right plan" : "Recommended for your traffic"}</Badge></p>
              <h2 id="recommendation-title" className="text-xl font-semibold tracking-tight text-slate-900">
                {isCurrent ? `${plan.name} fits your traffic` : `${plan.name}`}
                <span className="ml-2 text-base font-normal text-slate-600">about {formatMoney(rec.monthlyCostMinor, rec.currency)} a month</span>
              </h2>
              <p className="mt-2 text-sm leading-relaxed text-slate-700">{rec.reason}</p>
            </>
          ) : data.peaks.month === 0 ? (
            <>
              <h2 id="recommendation-title" className="text-xl font-semibold text-slate-900">No calls in the last {data.windowDays} days</h2>
              <p className="mt-2 text-sm text-slate-700">Once you make calls, each plan below is checked against your traffic and we recommend the one that fits at the lowest cost.</p>
            </>
          ) : (
            <>
              <h2 id="recommendation-title" className="text-xl font-semibold text-slate-900">No plan fits your traffic</h2>
              <p className="mt-2 text-sm text-slate-700">Every plan's caps are below your last {data.windowDays} days. Ask your provider about a custom plan.</p>
            </>
          )}
        </div>
        {rec && plan && !isCurrent && (
          <div className="flex w-full flex-col items-stretch gap-1.5 sm:w-auto sm:items-end">
            <SwitchPlanButton plan={plan} primary />
            <p className="text-xs text-slate-600 sm:text-right">You see the exact price before anything changes.</p>
          </div>
        )}
      </div>
      <dl className="grid grid-cols-1 gap-px overflow-hidden rounded-b-xl border-t border-slate-100 bg-slate-100 sm:grid-cols-3">
        {peaks.map((p) => (
          <div key={p.label} className="flex items-baseline justify-between gap-2 bg-slate-50/80 px-5 py-3 sm:block">
            <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">{p.label}</dt>
            <dd className="text-base font-semibold text-slate-900 sm:mt-0.5">{p.value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
