import { useQuery } from "@tanstack/react-query";
import { formatMoney, formatPrice } from "../../../shared/money";
import { WINDOWS, WINDOW_LABELS, type Plan } from "../../../shared/plans";
import { formatCount } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { Badge } from "../../ui/badge";
import { PageHeader } from "../../ui/page-header";
import { ErrorState, LoadingBlock } from "../../ui/states";
import { useSession } from "../session/use-session";

function atTheCap(plan: Plan): string {
  if (plan.metered) return "No cap: every call is billed";
  if (plan.overagePer1000Minor !== undefined) return `Over the monthly quota: ${formatMoney(plan.overagePer1000Minor, plan.currency)} per 1,000 calls`;
  return "A warning first, then calls over the cap are refused";
}

export function PlansPage() {
  const trpc = useTRPC();
  const plans = useQuery(trpc.plans.list.queryOptions());
  const session = useSession();
  const currentPlanId = session.data?.role === "customer" ? session.data.account.planId : null;

  return (
    <>
      <PageHeader title="Plans" description="Compare what each plan allows. Changing plan always shows the exact price first and needs your consent." />
      {plans.isPending && <LoadingBlock rows={2} />}
      {plans.isError && <ErrorState message={plans.error.message} onRetry={() => plans.refetch()} />}
      {plans.data && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="w-full min-w-[720px] text-left text-sm">
            <caption className="sr-only">Plan comparison</caption>
            <thead>
              <tr className="border-b border-slate-200">
                <th scope="col" className="w-48 px-4 py-3 font-medium text-slate-600">Plan</th>
                {plans.data.map((p) => (
                  <th key={p.id} scope="col" className={`px-4 py-3 align-top ${p.id === currentPlanId ? "bg-brand-50" : ""}`}>
                    <span className="block text-base font-semibold text-slate-900">{p.name}</span>
                    {p.id === currentPlanId && <Badge tone="brand">Your plan</Badge>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              <tr>
                <th scope="row" className="px-4 py-3 font-medium text-slate-600">Price</th>
                {plans.data.map((p) => (
                  <td key={p.id} className={`px-4 py-3 font-semibold text-slate-900 ${p.id === currentPlanId ? "bg-brand-50" : ""}`}>{formatPrice(p.priceMinor, p.currency)}</td>
                ))}
              </tr>
              {WINDOWS.map((w) => (
                <tr key={w}>
                  <th scope="row" className="px-4 py-3 font-medium text-slate-600">Calls {WINDOW_LABELS[w].per}</th>
                  {plans.data.map((p) => (
                    <td key={p.id} className={`px-4 py-3 ${p.id === currentPlanId ? "bg-brand-50" : ""}`}>{p.caps[w] === undefined ? <span className="text-slate-500">Unlimited</span> : formatCount(p.caps[w])}</td>
                  ))}
                </tr>
              ))}
              <tr>
                <th scope="row" className="px-4 py-3 font-medium text-slate-600">At the cap</th>
                {plans.data.map((p) => (
                  <td key={p.id} className={`px-4 py-3 text-slate-700 ${p.id === currentPlanId ? "bg-brand-50" : ""}`}>{atTheCap(p)}</td>
                ))}
              </tr>
              <tr>
                <th scope="row" className="px-4 py-3 font-medium text-slate-600">Best for</th>
                {plans.data.map((p) => (
                  <td key={p.id} className={`px-4 py-3 text-slate-700 ${p.id === currentPlanId ? "bg-brand-50" : ""}`}>{p.summary}</td>
                ))}
              </tr>
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
