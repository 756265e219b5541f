import type { ReactNode } from "react";
import { Link } from "react-router";
import type { Catalog } from "../../../../shared/catalog";
import { INTERVAL_WORDS } from "../../../../shared/billing-interval";
import { formatMoney } from "../../../../shared/money";
import { paths } from "../../../app/paths";
import { billingDate, capsLines } from "../../billing/billing-text";
import type { ConfirmResult } from "../../billing/use-confirm-quote";
import type { PlanChangeQuote } from "../use-preview-plan-change";
import { SatisfactionQuestion } from "./satisfaction-question";
import { StepHeading } from "./step-heading";

const linkPrimary = "inline-flex items-center justify-center rounded-lg bg-brand-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-brand-700";
const linkSecondary = "inline-flex items-center justify-center rounded-lg bg-white px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50";

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="flex flex-col gap-0.5 px-4 py-3 sm:flex-row sm:justify-between sm:gap-6 sm:px-5" data-testid={testId}>
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="text-sm font-medium text-slate-900 sm:text-right">{children}</dd>
    </div>
  );
}

/** Step 4: what happened — applied, scheduled or waiting for approval — with the amounts and where to go next. */
export function ReceiptStep({ catalog, result, quote, focusOnMount }: { catalog: Catalog; result: ConfirmResult; quote: PlanChangeQuote; focusOnMount: boolean }) {
  const to = catalog.plan(result.toPlanId);
  const from = catalog.nameOf(result.fromPlanId);
  const money = (m: number) => formatMoney(m, result.currency);
  const caps = capsLines(catalog, to, quote.quotaWindow, quote.newCaps).join("; ");
  const words = INTERVAL_WORDS[result.toInterval];
  const moved = result.toInterval !== result.fromInterval;
  // Only with a remote provider (Stripe Checkout); read defensively, the local provider has none.
  const checkoutUrl = (result as { checkoutUrl?: string | null }).checkoutUrl ?? null;

  let tone: "good" | "info" | "wait" = "good";
  let title: string;
  let lead: ReactNode;
  let facts: ReactNode;
  if (result.status === "applied") {
    title = `You are now on ${to.name}`;
    lead = "Your plan has changed and your new caps apply now. A receipt is on the Billing page.";
    facts = (
      <>
        <Fact label="Charged today" testId="receipt-charged">{result.amountDueNowMinor === 0 ? "Nothing" : money(result.amountDueNowMinor)}</Fact>
        <Fact label="Next charge" testId="receipt-next">{money(result.recurringMinor)} on {billingDate(result.recurringFromMs)}{moved || result.toInterval === "year" ? `, then ${words.every}` : ""}</Fact>
        {moved && <Fact label="Billing" testId="receipt-interval">{`${words.label}, from ${billingDate(result.effectiveAtMs)} (your new billing date)`}</Fact>}
        <Fact label="Your caps, from now" testId="receipt-caps">{caps}</Fact>
      </>
    );
  } else if (result.status === "scheduled") {
    tone = "info";
    title = `Your switch to ${to.name} is scheduled for ${billingDate(result.effectiveAtMs)}`;
    lead = (
      <>
        Nothing is charged now. Until {billingDate(result.effectiveAtMs)} you stay on {from} and keep its caps. Changed your mind? You can cancel it on the{" "}
        <Link to={paths.billing} className="font-medium text-brand-700 underline">Billing page</Link> until then.
      </>
    );
    facts = (
      <>
        <Fact label="Charged now" testId="receipt-charged">Nothing</Fact>
        <Fact label={`${to.name} from`} testId="receipt-effective">{billingDate(result.effectiveAtMs)}</Fact>
        <Fact label={`Then ${words.every}`} testId="receipt-next">{money(result.recurringMinor)} from {billingDate(result.recurringFromMs)}</Fact>
        <Fact label={`${to.name} caps, from ${billingDate(result.effectiveAtMs)}`} testId="receipt-caps">{caps}</Fact>
      </>
    );
  } else if (result.status === "pending_approval") {
    tone = "wait";
    title = "Waiting for approval";
    lead = `Your switch to ${to.name} is waiting for approval: nothing is charged until then; we will e-mail you. Your plan and caps stay as they are meanwhile.`;
    facts = (
      <>
        <Fact label="Charged now" testId="receipt-charged">Nothing</Fact>
        <Fact label="Once approved" testId="receipt-next">
          {result.amountDueNowMinor > 0 ? `${money(result.amountDueNowMinor)} then, ` : ""}
          {money(result.recurringMinor)} {words.a} from {billingDate(result.recurringFromMs)}
        </Fact>
        <Fact label={`${to.name} caps, once approved`} testId="receipt-caps">{caps}</Fact>
      </>
    );
  } else if ((result.status as string) === "payment_required" && checkoutUrl) {
    // A remote billing provider (Stripe Checkout) takes the payment before the plan changes.
    tone = "wait";
    title = "Complete the payment to switch";
    lead = (
      <>
        Your switch to {to.name} happens once the payment of {money(result.amountDueNowMinor)} is complete.{" "}
        <a href={checkoutUrl} className="font-medium text-brand-700 underline">Go to the payment page</a>. Until then nothing changes.
      </>
    );
    facts = null;
  } else {
    tone = "info";
    title = `This change is ${result.status.replace(/_/g, " ")}`;
    lead = result.replayed ? "This price preview had already been used. Its change and its consent are on the Billing page." : "Its state and your consent are on the Billing page.";
    facts = null;
  }

  const icon = {
    good: { box: "bg-emerald-100 text-emerald-700", path: "m5 12 5 5L20 7" },
    info: { box: "bg-brand-100 text-brand-700", path: "M8 2v4m8-4v4M3 10h18M5 4h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2Z" },
    wait: { box: "bg-amber-100 text-amber-800", path: "M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z" },
  }[tone];

  return (
    <section aria-labelledby="receipt-heading" className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="receipt" data-status={result.status}>
      <div className="flex items-start gap-4 p-5">
        <span className={`flex h-10 w-10 shrink-0 items-center justify-center rounded-full ${icon.box}`} aria-hidden>
          <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round">
            <path d={icon.path} />
          </svg>
        </span>
        <div className="min-w-0">
          <StepHeading id="receipt-heading" focusOnMount={focusOnMount}>{title}</StepHeading>
          <p className="-mt-2 text-sm text-slate-700" data-testid="receipt-lead">{lead}</p>
          {result.replayed && <p className="mt-2 text-sm text-slate-600">This change had already been confirmed; nothing was charged twice.</p>}
        </div>
      </div>
      {facts && <dl className="divide-y divide-slate-100 border-t border-slate-100">{facts}</dl>}
      {(result.status === "applied" || result.status === "scheduled") && !result.replayed && <SatisfactionQuestion planChangeId={result.planChangeId} />}
      <div className="flex flex-col gap-2 border-t border-slate-100 p-5 sm:flex-row">
        <Link to={paths.billing} className={linkPrimary}>Go to Billing</Link>
        <Link to={paths.usage} className={linkSecondary}>See your usage</Link>
      </div>
    </section>
  );
}
