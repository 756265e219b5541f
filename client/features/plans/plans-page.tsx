import { PageHeader } from "../../ui/page-header";
import { ErrorState, LoadingBlock } from "../../ui/states";
import { PlanCards } from "./components/plan-cards";
import { PlanComparisonTable } from "./components/plan-comparison-table";
import { RecommendationCard } from "./components/recommendation-card";
import { usePlanComparison } from "./use-plan-comparison";

export function PlansPage() {
  const comparison = usePlanComparison();
  return (
    <>
      <PageHeader title="Plans" description="Every plan checked against your own traffic of the last 30 days. Changing plan will always show the exact price first and need your consent." />
      {comparison.isPending && <LoadingBlock rows={3} />}
      {comparison.isError && <ErrorState message={comparison.error.message} onRetry={() => comparison.refetch()} />}
      {comparison.data && (
        <>
          <RecommendationCard data={comparison.data} />
          <h2 className="mb-3 text-lg font-semibold tracking-tight text-slate-900">Compare plans</h2>
          {/* Cards on phones, a side-by-side table from tablet width; the hidden one is out of the accessibility tree. */}
          <div className="md:hidden">
            <PlanCards data={comparison.data} />
          </div>
          <div className="hidden md:block">
            <PlanComparisonTable data={comparison.data} />
          </div>
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
