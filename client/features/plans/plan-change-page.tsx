import { useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
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
import { WIZARD_STEPS, WizardSteps, type WizardStep } from "./components/wizard-steps";
import { usePlanComparison, type PlanComparisonData } from "./use-plan-comparison";
import { usePlanChangeQuote } from "./use-plan-change-quote";
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

const isStep = (s: string | null): s is WizardStep => WIZARD_STEPS.some((w) => w.id === s);

/** A receipt kept for this tab, so that reloading the last step shows it again. */
const receiptKey = (quoteId: string) => `headroom:receipt:${quoteId}`;
function keptReceipt(quoteId: string | null): { result: ConfirmResult; quote: PlanChangeQuote } | null {
  if (!quoteId) return null;
  try {
    const kept = sessionStorage.getItem(receiptKey(quoteId));
    return kept ? (JSON.parse(kept) as { result: ConfirmResult; quote: PlanChangeQuote }) : null;
  } catch {
    return null;
  }
}

/**
 * The plan-change wizard at /plans/change. Every step has its own address —
 * `?to=<planId>[&interval=month|year][&step=preview|consent|done&quote=<id>]` — so back, forward
 * and reload keep the step, and the quote shown stays the quote consented to: a reload reads it
 * again by its id (priced anew only once it has expired or the account changed), and previewing the
 * same choice again answers the same quote. Choose → Preview (a quote valid 15 minutes) → Consent
 * (the quote's exact words, ticked, then one button) → Done (a receipt). The steps read the plan
 * switched to from the catalog: a switch is only ever to a public plan, and the catalog the server
 * sends holds every public plan.
 */
export function PlanChangePage() {
  const [params, setParams] = useSearchParams();
  const toParam = params.get("to");
  const intervalParam = params.get("interval");
  const quoteId = params.get("quote");
  const comparison = usePlanComparison();
  const catalog = useCatalog();
  const billing = useBillingOverview();
  const preview = usePreviewPlanChange();
  const confirm = useConfirmQuote();
  // The quote just previewed here is the one the URL names: no second request for it.
  const fresh = preview.data && preview.data.id === quoteId ? preview.data : null;
  const stored = usePlanChangeQuote(fresh ? null : quoteId);

  const requested = params.get("step");
  // A price being worked out (or that could not be): the preview step, until the quote's address replaces it.
  const [asking, setAsking] = useState(false);
  // Every step after the choice needs the quote the address names.
  const step: WizardStep = asking ? "preview" : isStep(requested) && quoteId ? requested : "choose";
  const [done, setDone] = useState<{ result: ConfirmResult; quote: PlanChangeQuote } | null>(() => keptReceipt(quoteId));
  // Focus moves to a step's heading when the customer moves to it, not on first load.
  const moved = useRef(false);

  const data = comparison.data;
  // The Monthly / Yearly choice, where the catalog sells by the year: ?interval=, else the account's own.
  const yearly = data ? offersYearly(data.plans) : false;
  const interval: BillingInterval = isBillingInterval(intervalParam) ? intervalParam : (data?.interval ?? "month");
  const chosen = data ? initialChoice(data, toParam, interval) : null;
  // The current plan in the account's own interval is no choice.
  const selected = chosen && data && chosen === data.currentPlanId && !isOtherInterval(data, interval) && data.newerTerms === null ? null : chosen;

  /** Moves to another step: a new entry in the history, so the browser's back button comes back here. */
  function go(next: WizardStep, extra: Record<string, string> = {}, opts: { replace?: boolean } = {}) {
    moved.current = true;
    setAsking(false);
    // One order of the parameters: to, interval, step, quote.
    const p: Record<string, string> = {};
    if (toParam) p.to = toParam;
    if (yearly && intervalParam) p.interval = intervalParam;
    if (next !== "choose") {
      p.step = next;
      const quote = extra.quote ?? quoteId;
      if (quote) p.quote = quote;
    }
    setParams(p, { replace: opts.replace ?? false });
  }

  function select(id: PlanId, nextInterval: BillingInterval = interval) {
    if (params.get("to") === id && (!yearly || params.get("interval") === nextInterval)) return;
    setParams(yearly ? { to: id, interval: nextInterval } : { to: id }, { replace: true });
  }

  function chooseInterval(next: BillingInterval) {
    if (selected) select(selected, next);
    else setParams({ ...(toParam ? { to: toParam } : {}), interval: next }, { replace: true });
  }

  function runPreview(toPlanId: PlanId, toInterval?: BillingInterval, opts: { replace?: boolean } = {}) {
    confirm.reset();
    // Without yearly prices in the catalog the request is as before: the account's own interval.
    const plan = data?.plans.find((p) => p.id === toPlanId);
    const chosenInterval = yearly && plan ? (toInterval ?? intervalFor(plan, interval)) : undefined;
    moved.current = true;
    setAsking(true);
    preview.mutate(chosenInterval ? { toPlanId, interval: chosenInterval } : { toPlanId }, {
      // The preview gets its address with the quote's id, so back comes to the choice and a reload shows this same quote.
      onSuccess: (q) => {
        setParams({ to: q.toPlanId, ...(chosenInterval ? { interval: q.toInterval } : {}), step: "preview", quote: q.id }, { replace: opts.replace ?? false });
        setAsking(false);
      },
    });
  }

  const loaded = stored.data;
  const quote: PlanChangeQuote | undefined = fresh ?? (loaded && loaded.state !== "consented" ? loaded : undefined);
  const expiresAtMs = fresh ? localExpiresAt(fresh, preview.submittedAt) : loaded ? localExpiresAt(loaded, stored.dataUpdatedAt) : undefined;
  const previewAgain = () => {
    const target = quote ? (quote.toPlanId as PlanId) : selected;
    if (target) runPreview(target, quote?.toInterval, { replace: true });
  };

  // A quote reloaded after it expired, or after the account changed: priced again, for the same choice, and shown for a new consent.
  // Only on arrival: once a price was asked for on this page, the customer's own "Preview again" does it.
  const stale = loaded && (loaded.state === "expired" || loaded.state === "outdated") && step !== "done" && preview.isIdle;
  useEffect(() => {
    if (stale) runPreview(loaded.toPlanId as PlanId, loaded.toInterval, { replace: true });
  }, [stale, loaded?.id]);

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
    toParam && step === "choose"
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

  // The URL names a quote this tab cannot show: another account's or an unknown one, or one already consented to without its receipt here.
  const receipt = step === "done" ? (done && done.quote.id === quoteId ? done : keptReceipt(quoteId)) : null;
  const gone = quoteId !== null && step !== "choose" && !fresh && !receipt && (stored.isError || loaded?.state === "consented");
  if (gone) {
    return (
      <>
        {header}
        <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6" data-testid="wizard-gone">
          <p className="text-sm text-slate-800">
            {loaded?.state === "consented"
              ? `You already confirmed this change to ${catalog.data.nameOf(loaded.toPlanId)}. Its receipt and status are on the Billing page.`
              : "This price preview is not available any more."}
          </p>
          <div className="mt-4 flex flex-wrap gap-2">
            <Link to={paths.billing} className="inline-flex items-center justify-center rounded-lg bg-brand-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-brand-700">See Billing</Link>
            <Link to={paths.planChange} className="inline-flex items-center justify-center rounded-lg bg-white px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50">Choose a plan</Link>
          </div>
        </div>
      </>
    );
  }

  return (
    <>
      {header}
      <WizardSteps current={step === "done" && !receipt ? "consent" : step} />
      {step === "done" && receipt ? (
        <ReceiptStep catalog={catalog.data} result={receipt.result} quote={receipt.quote} focusOnMount={moved.current} />
      ) : (
        <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6" data-testid={`wizard-step-${step === "done" ? "consent" : step}`}>
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
              pending={preview.isPending || stored.isLoading}
              problem={preview.isError ? describeBillingError(preview.error, "preview") : null}
              previewing={preview.isPending}
              onBack={() => go("choose")}
              onContinue={() => quote && go("consent", { quote: quote.id })}
              onPreviewAgain={previewAgain}
              focusOnMount={moved.current}
            />
          )}
          {(step === "consent" || step === "done") && !quote && <LoadingBlock rows={3} />}
          {(step === "consent" || step === "done") && quote && (
            <ConsentStep
              catalog={catalog.data}
              quote={quote}
              expiresAtMs={expiresAtMs!}
              pending={confirm.isPending}
              problem={confirm.isError ? describeBillingError(confirm.error, "confirm") : null}
              previewing={preview.isPending}
              onBack={() => go("preview", { quote: quote.id })}
              onConfirm={({ overage }) =>
                confirm.mutateAsync(acceptedOf(quote, { overage })).then((result) => {
                  const kept = { result, quote };
                  try {
                    sessionStorage.setItem(receiptKey(quote.id), JSON.stringify(kept));
                  } catch {
                    // Storage full or off: the receipt shows now, a reload sends to Billing.
                  }
                  setDone(kept);
                  // The receipt replaces the consent in the history: back does not offer to consent again.
                  go("done", { quote: quote.id }, { replace: true });
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
