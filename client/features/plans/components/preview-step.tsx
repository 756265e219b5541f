import type { Catalog } from "../../../../shared/catalog";
import { INTERVAL_WORDS } from "../../../../shared/billing-interval";
import { formatMoney } from "../../../../shared/money";
import { Button } from "../../../ui/button";
import { LoadingBlock } from "../../../ui/states";
import type { BillingProblem } from "../../billing/billing-errors";
import { billingDate } from "../../billing/billing-text";
import { QuoteExpiry, useExpired } from "../../billing/components/quote-expiry";
import type { PlanVerdictData } from "../use-plan-comparison";
import type { PlanChangeQuote } from "../use-preview-plan-change";
import { atTheCap } from "./plan-text";
import { QuoteFigures, QuoteLines } from "./quote-summary";
import { StepHeading } from "./step-heading";

/** What the change means in a sentence or two, beyond the figures. */
function explanation(quote: PlanChangeQuote, catalog: Catalog): string {
  const from = catalog.nameOf(quote.fromPlanId);
  const to = catalog.plan(quote.toPlanId);
  const money = (m: number) => formatMoney(m, quote.currency);
  const words = INTERVAL_WORDS[quote.toInterval];
  if (quote.timing === "period_end") {
    return `Nothing is charged now. You stay on ${from}, with its caps, until ${billingDate(quote.effectiveAtMs)}; from then you are on ${to.name}${
      quote.recurringMinor > 0 ? ` at ${money(quote.recurringMinor)} ${words.a}` : ""
    }. You can cancel the switch on the Billing page until then.`;
  }
  if (quote.toInterval !== quote.fromInterval) {
    // An interval change: charged at once, the billing date moves to today (as Stripe does).
    const credit = -quote.creditMinor;
    const left = credit > quote.chargeMinor ? ` The remaining ${money(credit - quote.chargeMinor)} of credit stays on your balance and is taken off your next invoices.` : "";
    return `You switch to ${words.adjective} billing today, and your billing date moves to ${billingDate(quote.effectiveAtMs)}: ${money(quote.chargeMinor)} for the ${words.noun} ahead${
      credit > 0 ? `, less ${money(credit)} for the unused time of your ${INTERVAL_WORDS[quote.fromInterval].adjective} price` : ""
    }, so ${money(quote.amountDueNowMinor)} is due now. Then ${money(quote.recurringMinor)} on ${billingDate(quote.recurringFromMs)} and every ${words.noun} after.${left}`;
  }
  if (quote.recurringFromMs !== quote.period.endMs) {
    return `${to.name} starts today with a new billing period: you pay ${money(quote.amountDueNowMinor)} now for the ${words.noun} ahead, then ${money(quote.recurringMinor)} on ${billingDate(quote.recurringFromMs)} and every ${words.noun} after.`;
  }
  return `You pay only for the days left in this billing period, less what you already paid for them on ${from}. On ${billingDate(quote.recurringFromMs)} you are billed ${money(quote.recurringMinor)} for the ${words.noun} ahead, as usual.`;
}

/**
 * The whole price when the new plan bills calls beyond its monthly quota: what the customer's rate
 * implies, with and without overage billing (offered on the next step, its own tick).
 */
function OverageNote({ quote, catalog, verdict }: { quote: PlanChangeQuote; catalog: Catalog; verdict: PlanVerdictData | undefined }) {
  const to = catalog.plan(quote.toPlanId);
  const money = (m: number) => formatMoney(m, quote.currency);
  // Overage on a meter other than the default one (or on several): each meter named, with its quota and price.
  const overage = quote.usage.filter((m) => m.billing === "overage" && m.monthCap !== null);
  if (quote.expectedOverageMinor > 0 && overage.length > 0 && (overage.length > 1 || overage[0]!.id !== catalog.defaultMeter.id)) {
    const each = overage.map((m) => `${m.noun} beyond ${m.monthCap!.toLocaleString("en-US")} at ${money(m.per1000Minor)} per 1,000`).join("; ");
    return (
      <div className="rounded-xl border border-sky-200 bg-sky-50 p-4 text-sm text-sky-950" data-testid="overage-preview">
        <p className="font-semibold">At your rate you would pass {to.name}'s monthly quotas</p>
        <p className="mt-1">
          {quote.overageConsentText ? "With overage billing, what goes beyond a quota is served and billed" : "Your overage billing stays on: what goes beyond a quota is billed"} — {each}: about{" "}
          {money(quote.expectedOverageMinor)} a month at your rate, so about {money(quote.estimatedMonthlyMinor)} a month in all.
          {quote.overageConsentText ? " Without it, use beyond a quota is limited (you are warned first). You choose on the next step, with its own tick." : ""}
        </p>
      </div>
    );
  }
  if (quote.expectedOverageMinor <= 0 || to.caps.month === undefined || quote.overagePer1000Minor === null) return null;
  const quota = to.caps.month.toLocaleString("en-US");
  const rate = verdict ? `about ${verdict.monthCalls.toLocaleString("en-US")} calls a month` : "your current rate";
  return (
    <div className="rounded-xl border border-sky-200 bg-sky-50 p-4 text-sm text-sky-950" data-testid="overage-preview">
      <p className="font-semibold">At your rate you would pass {to.name}'s monthly quota of {quota} calls</p>
      {quote.overageConsentText ? (
        <p className="mt-1">
          Your last 30 days come to {rate}. With overage billing, calls beyond the quota are served and billed at {money(quote.overagePer1000Minor)} per 1,000: about{" "}
          {money(quote.expectedOverageMinor)} a month, so about {money(quote.estimatedMonthlyMinor)} a month in all. Without it, calls beyond the quota are limited (you are warned
          first). You choose on the next step, with its own tick.
        </p>
      ) : (
        <p className="mt-1">
          Your overage billing stays on: calls beyond the quota are billed at {money(quote.overagePer1000Minor)} per 1,000, about {money(quote.expectedOverageMinor)} a month at {rate},
          so about {money(quote.estimatedMonthlyMinor)} a month in all.
        </p>
      )}
      <p className="mt-1 text-sky-900">{to.name}'s quota counts from the switch: calls you made earlier this period do not count against it.</p>
    </div>
  );
}

/** Step 2: the quote — credit, charge, due now, the next recurring amount, the new caps and when — valid 15 minutes. */
export function PreviewStep({
  catalog,
  quote,
  expiresAtMs,
  verdict,
  pending,
  problem,
  previewing,
  onBack,
  onContinue,
  onPreviewAgain,
  focusOnMount,
}: {
  catalog: Catalog;
  quote: PlanChangeQuote | undefined;
  /** The quote's expiry by this browser's clock. */
  expiresAtMs: number | undefined;
  /** How the new plan would have done against the last 30 days. */
  verdict: PlanVerdictData | undefined;
  pending: boolean;
  problem: BillingProblem | null;
  previewing: boolean;
  onBack: () => void;
  onContinue: () => void;
  onPreviewAgain: () => void;
  focusOnMount: boolean;
}) {
  const expired = useExpired(expiresAtMs);
  const named = (planId: string, interval: "month" | "year") => `${catalog.nameOf(planId)}${quote && quote.fromInterval !== quote.toInterval ? ` (${INTERVAL_WORDS[interval].adjective})` : ""}`;
  // The same plan in the same interval: the account takes its plan's current terms.
  const newTerms = quote && quote.fromPlanId === quote.toPlanId && quote.fromInterval === quote.toInterval;
  const title = !quote ? "Preview" : newTerms ? `Preview: ${catalog.nameOf(quote.toPlanId)} on its current terms` : `Preview: ${named(quote.fromPlanId, quote.fromInterval)} → ${named(quote.toPlanId, quote.toInterval)}`;

  return (
    <section aria-labelledby="preview-heading" aria-busy={pending}>
      <StepHeading id="preview-heading" focusOnMount={focusOnMount} description="The exact price of the switch, worked out to the second. Nothing changes until you agree on the next step.">
        {title}
      </StepHeading>

      {pending && <LoadingBlock rows={2} label="Working out the price…" />}

      {!pending && problem && (
        <div role="alert" className="rounded-xl border border-rose-200 bg-rose-50 p-4 text-sm text-rose-900" data-testid="preview-error">
          <p className="font-semibold">We could not price this change</p>
          <p className="mt-1">{problem.message}</p>
          <div className="mt-3 flex flex-wrap gap-2">
            <Button variant="secondary" onClick={onBack}>Choose another plan</Button>
            {problem.action !== null && <Button variant="secondary" onClick={onPreviewAgain}>Try again</Button>}
          </div>
        </div>
      )}

      {!pending && !problem && quote && (
        <div className="space-y-5">
          {quote.needsApproval && (
            <div className="rounded-xl border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="needs-approval">
              <p className="font-semibold">This change needs approval</p>
              <p className="mt-1">
                At your current rate your monthly bill would be about {formatMoney(quote.projectedMonthlyMinor, quote.currency)}, above your account's billing cap of{" "}
                {formatMoney(quote.billingCapMinor, quote.currency)}. If you confirm, your provider's team approves it first; nothing is charged until then.
              </p>
            </div>
          )}
          <OverageNote quote={quote} catalog={catalog} verdict={verdict} />
          {verdict?.kind !== "over" && verdict?.outlier && (
            <div className="rounded-xl border border-slate-200 bg-slate-50 p-4 text-sm text-slate-800" data-testid="outlier-note">
              <p className="font-semibold">One day of your last 30 went over {catalog.plan(quote.toPlanId).name}'s caps</p>
              <p className="mt-1">
                On {billingDate(verdict.outlier.dayMs)}{" "}
                {verdict.outlier.windows.includes("minute")
                  ? `you made ${verdict.outlier.peakMinute.toLocaleString("en-US")} calls in one minute, over its ${(catalog.plan(quote.toPlanId).caps.minute ?? 0).toLocaleString("en-US")}/min cap`
                  : `you made ${verdict.outlier.calls.toLocaleString("en-US")} calls, over its ${(catalog.plan(quote.toPlanId).caps.day ?? 0).toLocaleString("en-US")}/day cap`}
                . We count one such day as an outlier, not a reason to pay for a bigger plan; on {catalog.plan(quote.toPlanId).name}, calls like those are warned about, then refused once its caps are enforced.
              </p>
            </div>
          )}
          {verdict?.kind === "over" && (
            <div className="rounded-xl border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="fit-warning">
              <p className="font-semibold">Your traffic does not fit {catalog.plan(quote.toPlanId).name}</p>
              <p className="mt-1">
                On {catalog.plan(quote.toPlanId).name}, your last 30 days would have been {verdict.label}. At a cap: {atTheCap(catalog.plan(quote.toPlanId)).toLowerCase()}.
              </p>
            </div>
          )}
          <QuoteFigures quote={quote} catalog={catalog} />
          <div className="rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-sm sm:px-5">
            <QuoteLines quote={quote} />
            <p className={`text-sm text-slate-700 ${quote.lines.length > 0 ? "mt-3 border-t border-slate-100 pt-3" : ""}`} data-testid="quote-explanation">
              {explanation(quote, catalog)}
            </p>
            {quote.endsGrandfathering && (
              <p className="mt-2 text-sm font-medium text-amber-900">Switching ends the terms you currently keep for free; the consent on the next step says until when.</p>
            )}
          </div>
          <div className="flex flex-wrap items-center justify-between gap-2">
            <QuoteExpiry expiresAtMs={expiresAtMs ?? quote.expiresAtMs} />
            {expired && (
              <Button variant="secondary" onClick={onPreviewAgain} disabled={previewing}>
                {previewing ? "Getting a new price…" : "Preview again"}
              </Button>
            )}
          </div>
        </div>
      )}

      <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-between">
        <Button variant="secondary" onClick={onBack}>Back</Button>
        <Button onClick={onContinue} disabled={!quote || pending || !!problem || expired} data-testid="continue-to-consent">
          Continue
        </Button>
      </div>
    </section>
  );
}
