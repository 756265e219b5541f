import { useEffect, useRef, useState } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { intervalFor, isBillingInterval } from "../../../shared/billing-interval";
import type { BillingInterval, PlanId } from "../../../shared/plans";
import { paths } from "../../app/paths";
import { useCatalog } from "../../lib/use-catalog";
import { PageHeader } from "../../ui/page-header";
import { ErrorState, LoadingBlock } from "../../ui/states";
import { describeBillingError } from "../billing/billing-errors";
import { billingDate, localExpiresAt } from "../billing/billing-text";
import { acceptedOf, useConfirmQuote, type ConfirmResult } from "../billing/use-confirm-quote";
import { useBillingOverview } from "../billing/use-billing-overview";
import { ChoosePlanStep } from "./components/choose-plan-step";
import { offersYearly } from "./components/interval-toggle";
import { ConsentStep } from "./components/consent-step";
import { PreviewStep } from "./components/preview-step";
import { ReceiptStep } from "./components/receipt-step";
import { WizardSteps, type WizardStep } from "./components/wizard-steps";
import { usePlanComparison, type PlanComparisonData } from "./use-plan-comparison";
import { usePreviewPlanChange, type PlanChangeQuote } from "./use-preview-plan-change";

/** The plan `?to=` asks for, else the recommended one — never the current plan, unless in the other billing interval or on newer terms. */
function initialChoice(data: PlanComparisonData, to: string | null, interval: BillingInterval): PlanId | null {
  const offered = (id: string | null | undefined): id is PlanId => !!id && data.plans.some((p) => p.id === id) && (id !== data.currentPlanId || isOtherInterval(data, interval) || data.newerTerms !== null);
  if (offered(to)) return to;
  const rec = data.recommendation?.planId;
  return offered(rec) ? rec : null;
}

/** The current plan is offered in the other billing interval (a switch of interval alone). */
function isOtherInterval(data: PlanComparisonData, interval: BillingInterval): boolean {
  const current = data.plans.find((p) => p.id === data.currentPlanId);
  return !!current && interval !== data.interval && current.prices[interval] !== undefined;
}

/**
 * The plan-change wizard at /plans/change (deep link: ?to=<planId>[&interval=month|year]). Choose → Preview (a quote
 * valid 15 minutes) → Consent (the quote's exact words, ticked, then one button) → Done (a receipt).
 * The steps read the plan switched to from the catalog: a switch is only ever to a public plan, and
 * the catalog the server sends holds every public plan.
 */
export function PlanChangePage() {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const toParam = params.get("to");
  const intervalParam = params.get("interval");
  const comparison = usePlanComparison();
  const catalog = useCatalog();
  const billing = useBillingOverview();
  const preview = usePreviewPlanChange();
  const confirm = useConfirmQuote();

  const [step, setStep] = useState<WizardStep>("choose");
  const [picked, setPicked] = useState<PlanId | null>(null);
  const [pickedInterval, setPickedInterval] = useState<BillingInterval | null>(null);
  const [done, setDone] = useState<{ result: ConfirmResult; quote: PlanChangeQuote } | null>(null);
  // Focus moves to a step's heading when the customer moves to it, not on first load.
  const moved = useRef(false);
  // A link into the wizard while it is open (the banner's "Switch to …") starts it again; the wizard's own ?to= updates do not.
  const ownNavigation = useRef(false);
  const { reset: resetPreview } = preview;
  const { reset: resetConfirm } = confirm;
  useEffect(() => {
    if (ownNavigation.current) {
      ownNavigation.current = false;
      return;
    }
    setStep("choose");
    setPicked(null);
    setPickedInterval(null);
    setDone(null);
    resetPreview();
    resetConfirm();
  }, [location.key, resetPreview, resetConfirm]);

  const data = comparison.data;
  // The Monthly / Yearly choice, where the catalog sells by the year: ?interval=, else the account's own.
  const yearly = data ? offersYearly(data.plans) : false;
  const interval: BillingInterval = pickedInterval ?? (isBillingInterval(intervalParam) ? intervalParam : (data?.interval ?? "month"));
  const chosen = picked ?? (data ? initialChoice(data, toParam, interval) : null);
  // The current plan in the account's own interval is no choice.
  const selected = chosen && data && chosen === data.currentPlanId && !isOtherInterval(data, interval) && data.newerTerms === null ? null : chosen;

  function go(next: WizardStep) {
    moved.current = true;
    setStep(next);
  }

  function select(id: PlanId, nextInterval: BillingInterval = interval) {
    setPicked(id);
    if (params.get("to") === id && (!yearly || params.get("interval") === nextInterval)) return;
    ownNavigation.current = true;
    setParams(yearly ? { to: id, interval: nextInterval } : { to: id }, { replace: true });
  }

  function chooseInterval(next: BillingInterval) {
    setPickedInterval(next);
    if (selected) select(selected, next);
  }

  function runPreview(toPlanId: PlanId, toInterval?: BillingInterval) {
    confirm.reset();
    go("preview");
    // Without yearly prices in the catalog the request is as before: the account's own interval.
    const plan = data?.plans.find((p) => p.id === toPlanId);
    preview.mutate(yearly && plan ? { toPlanId, interval: toInterval ?? intervalFor(plan, interval) } : { toPlanId });
  }

  const quote = preview.data;
  const expiresAtMs = quote ? localExpiresAt(quote, preview.submittedAt) : undefined;
  const previewAgain = () => {
    const target = quote ? (quote.toPlanId as PlanId) : selected;
    if (target) runPreview(target, quote?.toInterval);
  };

  const header = (
    <PageHeader
      title="Change plan"
      description={
        <>
          Every change shows its exact price first and needs your consent. <Link to={paths.plans} className="font-medium text-brand-700 underline">Compare plans</Link>
        </>
      }
    />
  );

  if (comparison.isPending || catalog.isPending) return <>{header}<LoadingBlock rows={3} /></>;
  if (comparison.isError) return <>{header}<ErrorState message={comparison.error.message} onRetry={() => comparison.refetch()} /></>;
  if (!catalog.data) return <>{header}<ErrorState message={catalog.error.message} onRetry={() => catalog.refetch()} /></>;

  // What `?to=` asked for, when it cannot be offered, said plainly instead of silently ignored.
  const toNote =
    toParam && step === "choose" && !picked
      ? toParam === data!.currentPlanId && !isOtherInterval(data!, interval) && data!.newerTerms === null
        ? `You are already on the ${catalog.data.nameOf(data!.currentPlanId)} plan.`
        : !data!.plans.some((p) => p.id === toParam)
          ? `There is no plan “${toParam}” to switch to; choose one below.`
          : null
      : null;
  const waiting = billing.data?.changes.filter((c) => c.kind === "plan_change" && (c.status === "scheduled" || c.status === "pending_approval")) ?? [];

  const notice = (toNote || waiting.length > 0) && (
    <div className="mb-4 space-y-1 rounded-xl border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-800" data-testid="wizard-note">
      {toNote && <p>{toNote}</p>}
      {waiting.map((c) => (
        <p key={c.id}>
          {c.status === "scheduled"
            ? `Your switch to ${catalog.data.nameOf(c.toPlanId)} is scheduled for ${billingDate(c.effectiveAtMs)}. Confirming another change replaces it.`
            : `Your switch to ${catalog.data.nameOf(c.toPlanId)} is waiting for approval.`}{" "}
          <Link to={paths.billing} className="font-medium text-brand-700 underline">See Billing</Link>
        </p>
      ))}
    </div>
  );

  return (
    <>
      {header}
      <WizardSteps current={step} />
      {step === "done" && done ? (
        <ReceiptStep catalog={catalog.data} result={done.result} quote={done.quote} focusOnMount={moved.current} />
      ) : (
        <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6" data-testid={`wizard-step-${step}`}>
          {step === "choose" && (
            <ChoosePlanStep
              catalog={catalog.data}
              data={data!}
              selected={selected}
              onSelect={(id) => select(id)}
              onContinue={() => selected && runPreview(selected)}
              interval={yearly ? interval : undefined}
              onInterval={chooseInterval}
              notice={notice || undefined}
              focusOnMount={moved.current}
            />
          )}
          {step === "preview" && (
            <PreviewStep
              catalog={catalog.data}
              quote={quote}
              expiresAtMs={expiresAtMs}
              // The verdicts judge the account's own version of its plan: none is shown for its current terms.
              verdict={quote && !(quote.toPlanId === data!.currentPlanId && data!.newerTerms !== null) ? data!.verdicts.find((v) => v.planId === quote.toPlanId) : undefined}
              pending={preview.isPending}
              problem={preview.isError ? describeBillingError(preview.error, "preview") : null}
              previewing={preview.isPending}
              onBack={() => go("choose")}
              onContinue={() => go("consent")}
              onPreviewAgain={previewAgain}
              focusOnMount={moved.current}
            />
          )}
          {step === "consent" && quote && (
            <ConsentStep
              catalog={catalog.data}
              quote={quote}
              expiresAtMs={expiresAtMs!}
              pending={confirm.isPending}
              problem={confirm.isError ? describeBillingError(confirm.error, "confirm") : null}
              previewing={preview.isPending}
              onBack={() => go("preview")}
              onConfirm={({ overage }) =>
                confirm.mutateAsync(acceptedOf(quote, { overage })).then((result) => {
                  setDone({ result, quote });
                  go("done");
                })
              }
              onPreviewAgain={previewAgain}
              focusOnMount={moved.current}
            />
          )}
        </div>
      )}
    </>
  );
}
