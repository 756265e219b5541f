import { PageHeader } from "../../../ui/page-header";
import { ErrorState, LoadingBlock } from "../../../ui/states";
import { useAccounts } from "../accounts/use-accounts";
import { WithCatalog } from "../components/with-catalog";
import { BillingPauseCard } from "./billing-pause-card";
import { PlanEnforcementCard } from "./plan-enforcement-card";

/**
 * Per plan: its mode, what enforcing it would do now, and the flip (whole plan or a cohort), each
 * behind a confirmation that names the figures. And the global switch that pauses billing. Every
 * plan of the catalog has its card, offered or not.
 */
export function EnforcementPage() {
  const accounts = useAccounts();
  return (
    <>
      <PageHeader
        title="Enforcement"
        description={
          <>
            Run a plan in <strong className="font-semibold text-slate-800">shadow</strong> first, see who would be refused, then <strong className="font-semibold text-slate-800">enforce</strong> it. No call is refused before its account was notified and its grace period has passed.
          </>
        }
      />
      <BillingPauseCard />
      <div className="mt-6 space-y-5">
        <WithCatalog what="the plans" rows={3}>
          {(catalog) => (
            <>
              {accounts.isPending && <LoadingBlock rows={3} label="Loading the plans…" />}
              {accounts.isError && <ErrorState title="We could not load the accounts" message={accounts.error.message} onRetry={() => accounts.refetch()} />}
              {accounts.data && catalog.plans.map((plan) => <PlanEnforcementCard key={plan.id} plan={plan} accounts={accounts.data.filter((a) => a.planId === plan.id)} />)}
            </>
          )}
        </WithCatalog>
      </div>
    </>
  );
}
