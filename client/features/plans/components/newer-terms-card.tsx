import { Link } from "react-router";
import { paths } from "../../../app/paths";
import type { PlanComparisonData } from "../use-plan-comparison";

/**
 * The account is on an older version of its plan: what it keeps, what the plan is sold at now, and
 * that nothing changes unless the customer takes the new terms (a quote and a consent, as any change).
 */
export function NewerTermsCard({ data, planName }: { data: PlanComparisonData; planName: string }) {
  const t = data.newerTerms;
  if (!t) return null;
  return (
    <section aria-labelledby="newer-terms-title" className="mb-6 rounded-xl border border-sky-200 bg-sky-50 p-4 text-sm text-sky-950 sm:p-5" data-testid="newer-terms">
      <h2 id="newer-terms-title" className="font-semibold text-sky-950">
        The {planName} plan has new terms; you keep yours
      </h2>
      <dl className="mt-2 grid gap-1 sm:grid-cols-[auto_1fr] sm:gap-x-4">
        <dt className="font-medium">Your terms</dt>
        <dd data-testid="terms-kept">{t.kept}</dd>
        <dt className="font-medium">Sold now at</dt>
        <dd data-testid="terms-current">{t.current}</dd>
      </dl>
      <p className="mt-2">Nothing changes unless you choose to take the new terms; you would see the exact price first.</p>
      <Link to={`${paths.planChange}?to=${encodeURIComponent(data.currentPlanId)}`} className="mt-3 inline-block font-medium text-sky-900 underline underline-offset-2">
        Review the current terms
      </Link>
    </section>
  );
}
