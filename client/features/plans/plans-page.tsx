import { useState } from "react";
import type { BillingInterval } from "../../../shared/plans";
import { PageHeader } from "../../ui/page-header";
import { ErrorState, LoadingBlock } from "../../ui/states";
import { PlanCards } from "./components/plan-cards";
import { PlanComparisonTable } from "./components/plan-comparison-table";
import { NewerTermsCard } from "./components/newer-terms-card";
import { RecommendationCard } from "./components/recommendation-card";
import { useCatalog } from "../../lib/use-catalog";
import { IntervalToggle, offersYearly } from "./components/interval-toggle";
import { usePlanComparison, type PlanComparisonData } from "./use-plan-comparison";

/** The plans compared, with the Monthly / Yearly toggle where the catalog sells by the year (it starts on the customer's own interval). */
function ComparePlans({ data }: { data: PlanComparisonData }) {
  const [chosen, setChosen] = useState<BillingInterval | null>(null);
  const yearly = offersYearly(data.plans);
  const interval = yearly ? (chosen ?? data.interval) : undefined;
  return (
    <>
      {interval && <IntervalToggle plans={data.plans} value={interval} onChange={setChosen} current={data.interval} />}
      {/* Cards on phones, a side-by-side table from tablet width; the hidden one is out of the accessibility tree. */}
      <div className="md:hidden">
        <PlanCards data={data} interval={interval} />
      </div>
      <div className="hidden md:block">
        <PlanComparisonTable data={data} interval={interval} />
      </div>
    </>
  );
}

export function PlansPage() {
  const comparison = usePlanComparison();
  const catalog = useCatalog();
  return (
    <>
      <PageHeader title="Plans" description="Every plan checked against your own traffic of the last 30 days. Changing plan will always show the exact price first and need your consent." />
      {comparison.isPending && <LoadingBlock rows={3} />}
      {comparison.isError && <ErrorState message={comparison.error.message} onRetry={() => comparison.refetch()} />}
      {comparison.data && (
        <>
          <NewerTermsCard data={comparison.data} planName={catalog.data?.nameOf(comparison.data.currentPlanId) ?? comparison.data.currentPlanId} />
          <RecommendationCard data={comparison.data} />
          <h2 className="mb-3 text-lg font-semibold tracking-tight text-slate-900">Compare plans</h2>
          <ComparePlans data={comparison.data} />
          <div className="mt-4 space-y-1 text-sm text-slate-600">
            <p>Switching shows the exact price of the change (with credit for unused time) and needs your consent before anything is charged.</p>
            <p>
              “Over on N of 30 days” counts the UTC days on which your calls that day, or in your busiest minute, went over that plan's cap. One such day is treated as an outlier, not a
              reason to pay for a bigger plan. Costs are estimates for a month like your last 30 days, before tax; the recommendation is the plan that fits at the lowest estimated cost.
            </p>
          </div>
        </>
      )}
    </>
  );
}
