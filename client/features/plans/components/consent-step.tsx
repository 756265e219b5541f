import type { Catalog } from "../../../../shared/catalog";
import { INTERVAL_WORDS } from "../../../../shared/billing-interval";
import { formatMoney } from "../../../../shared/money";
import { Button } from "../../../ui/button";
import type { BillingProblem } from "../../billing/billing-errors";
import { billingDate } from "../../billing/billing-text";
import { ConsentForm } from "../../billing/components/consent-form";
import type { PlanChangeQuote } from "../use-preview-plan-change";
import { confirmLabels } from "./quote-summary";
import { StepHeading } from "./step-heading";

/** Step 3: the quote's own consent words, an "I agree" box, and the one button that changes the plan. */
export function ConsentStep({
  catalog,
  quote,
  expiresAtMs,
  pending,
  problem,
  previewing,
  onBack,
  onConfirm,
  onPreviewAgain,
  focusOnMount,
}: {
  catalog: Catalog;
  quote: PlanChangeQuote;
  /** The quote's expiry by this browser's clock. */
  expiresAtMs: number;
  pending: boolean;
  problem: BillingProblem | null;
  previewing: boolean;
  onBack: () => void;
  /** Called with whether the overage opt-in offered with the change was ticked too. */
  onConfirm: (choice: { overage: boolean }) => Promise<unknown>;
  onPreviewAgain: () => void;
  focusOnMount: boolean;
}) {
  const to = catalog.plan(quote.toPlanId);
  const labels = confirmLabels(quote);
  const money = (m: number) => formatMoney(m, quote.currency);
  const moves = quote.toInterval !== quote.fromInterval;
  return (
    <section aria-labelledby="consent-heading">
      <StepHeading id="consent-heading" focusOnMount={focusOnMount} description="Read what you agree to. Nothing is charged or changed until you press the button below.">
        {quote.fromPlanId === quote.toPlanId && !moves
          ? `Agree to the ${to.name} plan's current terms${quote.timing === "now" ? "" : ` from ${billingDate(quote.effectiveAtMs)}`}`
          : quote.timing === "now"
            ? `Agree to switch to ${to.name}${moves ? `, billed ${INTERVAL_WORDS[quote.toInterval].adjective}` : ""}`
            : `Agree to switch to ${to.name} on ${billingDate(quote.effectiveAtMs)}`}
      </StepHeading>

      <dl className="mb-4 flex flex-wrap gap-x-8 gap-y-2 rounded-xl bg-slate-50 px-4 py-3 text-sm ring-1 ring-inset ring-slate-200" data-testid="consent-recap">
        <div>
          <dt className="text-slate-600">{quote.needsApproval ? "Due once approved" : "Due now"}</dt>
          <dd className="font-semibold text-slate-900">{quote.amountDueNowMinor === 0 ? "Nothing" : money(quote.amountDueNowMinor)}</dd>
        </div>
        <div>
          <dt className="text-slate-600">Then {INTERVAL_WORDS[quote.toInterval].every}</dt>
          <dd className="font-semibold text-slate-900">
            {money(quote.recurringMinor)} <span className="font-normal text-slate-700">from {billingDate(quote.recurringFromMs)}</span>
          </dd>
        </div>
        {moves && quote.timing === "now" && (
          <div data-testid="consent-billing-date">
            <dt className="text-slate-600">New billing date</dt>
            <dd className="font-semibold text-slate-900">{billingDate(quote.effectiveAtMs)}</dd>
          </div>
        )}
        <div>
          <dt className="text-slate-600">{to.name} caps apply</dt>
          <dd className="font-semibold text-slate-900">{quote.timing === "now" ? (quote.needsApproval ? "once approved" : "now") : `on ${billingDate(quote.effectiveAtMs)}`}</dd>
        </div>
      </dl>

      <ConsentForm
        key={quote.id}
        consentText={quote.consentText}
        confirmLabel={labels.idle}
        pendingLabel={labels.pending}
        expiresAtMs={expiresAtMs}
        pending={pending}
        problem={problem}
        onConfirm={({ optional }) => onConfirm({ overage: optional })}
        optional={
          quote.overageConsentText
            ? {
                text: quote.overageConsentText,
                hint: `Optional. Without it, calls beyond ${(quote.newCaps.month ?? 0).toLocaleString("en-US")} in a billing ${quote.quotaWindow === "year" ? "year" : "month"} are limited: you are warned first, then they are refused once ${to.name}'s caps are enforced. You can turn it on or off later on the Billing page.`,
              }
            : undefined
        }
        onPreviewAgain={onPreviewAgain}
        previewing={previewing}
        secondary={
          <Button variant="secondary" onClick={onBack} disabled={pending} className="sm:mr-auto">
            Back
          </Button>
        }
      />
      {quote.needsApproval && (
        <p className="mt-3 text-sm text-slate-600">
          Over your billing cap, the button sends a request: your provider's team approves it first, and nothing is charged until then.
        </p>
      )}
    </section>
  );
}
