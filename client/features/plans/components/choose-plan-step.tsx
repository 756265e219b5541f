import { useId, type ReactNode } from "react";
import { Link } from "react-router";
import { formatMoney } from "../../../../shared/money";
import { INTERVAL_WORDS, intervalFor } from "../../../../shared/billing-interval";
import type { BillingInterval, Plan, PlanId } from "../../../../shared/plans";
import { paths } from "../../../app/paths";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { capsLines } from "../../billing/billing-text";
import type { Catalog } from "../../../../shared/catalog";
import type { PlanComparisonData } from "../use-plan-comparison";
import { Verdict } from "./plan-facts";
import { IntervalToggle } from "./interval-toggle";
import { overageText, planOn, priceText } from "./plan-text";
import { StepHeading } from "./step-heading";

/**
 * Step 1: the public plans as radio cards, the current one marked and not selectable — except, where
 * the catalog sells by the year (`interval` given, with its Monthly / Yearly toggle), in the other
 * interval: switching the billing interval of the plan one is on.
 */
export function ChoosePlanStep({
  data,
  selected,
  onSelect,
  onContinue,
  interval,
  onInterval,
  notice,
  focusOnMount,
  catalog,
}: {
  /** The catalog's meters: with several, each option shows every meter's caps under its unit. */
  catalog: Pick<Catalog, "meters">;
  data: PlanComparisonData;
  selected: PlanId | null;
  onSelect: (id: PlanId) => void;
  onContinue: () => void;
  interval?: BillingInterval;
  onInterval?: (i: BillingInterval) => void;
  notice?: ReactNode;
  focusOnMount: boolean;
}) {
  const recommendedId = data.recommendation?.planId;
  const legendId = useId();
  const shown = interval ?? "month";
  const selectedPlan = data.plans.find((p) => p.id === selected);
  // The interval the selected plan would be billed in, and whether that changes the account's.
  const target = selectedPlan ? intervalFor(selectedPlan, shown) : shown;
  const moves = interval !== undefined && target !== data.interval;
  // The current plan is a choice in the other interval, or when the account is on an older version of its terms.
  const selectable = (p: Plan) => p.id !== data.currentPlanId || data.newerTerms !== null || (interval !== undefined && interval !== data.interval && p.prices[interval] !== undefined);
  return (
    <section aria-labelledby={legendId}>
      <StepHeading id={legendId} focusOnMount={focusOnMount} description="Each plan is checked against your own traffic of the last 30 days. You will see the exact price before anything changes.">
        Choose a plan
      </StepHeading>
      {notice}
      {interval && onInterval && <IntervalToggle plans={data.plans} value={interval} onChange={onInterval} current={data.interval} />}
      <div role="radiogroup" aria-labelledby={legendId} className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {data.plans.map((p) => (
          <PlanOption
            key={p.id}
            plan={p}
            catalog={catalog}
            current={p.id === data.currentPlanId}
            newerTerms={data.newerTerms !== null && (interval === undefined || interval === data.interval) ? data.newerTerms.current : null}
            disabled={!selectable(p)}
            interval={shown}
            recommended={p.id === recommendedId}
            checked={selected === p.id}
            verdict={data.verdicts.find((v) => v.planId === p.id)}
            onSelect={() => onSelect(p.id)}
          />
        ))}
      </div>
      <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:items-center sm:justify-between">
        <Link to={paths.plans} className="rounded-lg px-3.5 py-2 text-center text-sm font-medium text-slate-700 hover:bg-slate-100">
          Back to plans
        </Link>
        <Button onClick={onContinue} disabled={!selectedPlan || !selectable(selectedPlan)} data-testid="continue-to-preview">
          {selectedPlan && selectable(selectedPlan)
            ? selectedPlan.id === data.currentPlanId
              ? data.newerTerms !== null && !moves
                ? `Preview the ${selectedPlan.name} plan's current terms`
                : `Preview ${INTERVAL_WORDS[target].adjective} billing for ${selectedPlan.name}`
              : `Preview the switch to ${selectedPlan.name}${moves ? `, billed ${INTERVAL_WORDS[target].adjective}` : ""}`
            : "Choose a plan to continue"}
        </Button>
      </div>
    </section>
  );
}

function PlanOption({
  plan,
  current,
  disabled,
  interval,
  recommended,
  checked,
  verdict,
  onSelect,
  newerTerms,
  catalog,
}: {
  plan: Plan;
  catalog: Pick<Catalog, "meters">;
  current: boolean;
  /** The current plan's current terms, when the account is on an older version of them (choosing the plan takes them). */
  newerTerms: string | null;
  disabled: boolean;
  interval: BillingInterval;
  recommended: boolean;
  checked: boolean;
  verdict: PlanComparisonData["verdicts"][number] | undefined;
  onSelect: () => void;
}) {
  const nameId = useId();
  const detailsId = useId();
  const price = priceText(plan, interval);
  const on = planOn(plan, interval);
  const overage = overageText(plan);
  return (
    <label
      className={`relative flex cursor-pointer flex-col rounded-xl border bg-white p-4 shadow-sm transition-colors has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-600 ${
        disabled ? "cursor-default border-slate-200 bg-slate-50" : checked ? "border-brand-600 ring-1 ring-brand-600" : "border-slate-200 hover:border-slate-300"
      }`}
      data-testid={`plan-option-${plan.id}`}
    >
      <span className="flex items-start gap-3">
        <input
          type="radio"
          name="plan"
          value={plan.id}
          checked={checked}
          disabled={disabled}
          onChange={onSelect}
          aria-labelledby={nameId}
          aria-describedby={detailsId}
          className="mt-1 h-4 w-4 shrink-0 accent-brand-600 focus-visible:outline-none"
        />
        <span className="min-w-0 flex-1">
          <span className="flex flex-wrap items-center justify-between gap-x-2 gap-y-1">
            <span id={nameId} className="text-base font-semibold text-slate-900">{plan.name}</span>
            {(current || recommended) && (
              <span className="flex flex-wrap gap-1">
                {current && <Badge tone="neutral">Your plan</Badge>}
                {recommended && <Badge tone={current ? "good" : "brand"}>Recommended</Badge>}
              </span>
            )}
          </span>
          <span className="block">
            <span className="text-lg font-semibold text-slate-900">{price.amount}</span>
            <span className="text-sm text-slate-600">{price.per}</span>
            {price.saving && <span className="ml-2 text-xs font-semibold text-emerald-800">{price.saving}</span>}
            {price.note && <span className="block text-xs text-slate-600">{price.note}</span>}
          </span>
        </span>
      </span>
      <span id={detailsId} className="mt-3 block space-y-1.5 pl-7 text-sm">
        <span className="sr-only">{price.amount}{price.per}. {recommended ? "Recommended for your traffic. " : ""}</span>
        {capsLines(catalog, on.plan, on.plan.yearlyQuota === "yearly" && on.interval === "year" ? "year" : undefined).map((line) => (
          <span key={line} className="block text-slate-800">{line}</span>
        ))}
        {overage && <span className="block text-slate-600">{overage}</span>}
        {verdict && (
          <span className="block">
            <span className="sr-only">Your last 30 days: </span>
            <Verdict verdict={verdict} />
            {verdict.usageMinor > 0 || plan.metered ? (
              <span className="block text-xs text-slate-600">about {formatMoney(verdict.monthlyCostMinor, verdict.currency)} a month at your rate</span>
            ) : null}
          </span>
        )}
        {current &&
          (disabled ? (
            <span className="block font-medium text-slate-600">This is your current plan.</span>
          ) : newerTerms ? (
            <span className="block font-medium text-slate-600">Your plan on the terms you have. Choose it to take its current terms: {newerTerms}.</span>
          ) : (
            <span className="block font-medium text-slate-600">Your current plan, billed {INTERVAL_WORDS[interval === "year" ? "month" : "year"].adjective} now.</span>
          ))}
      </span>
    </label>
  );
}
