import type { Catalog } from "../../../../shared/catalog";
import { INTERVAL_WORDS } from "../../../../shared/billing-interval";
import { formatMoney } from "../../../../shared/money";
import { billingDate, capsLines, signedMoney } from "../../billing/billing-text";
import type { PlanChangeQuote } from "../use-preview-plan-change";

/** The three figures that matter: due now, the recurring amount from when, and the caps from when. */
export function QuoteFigures({ quote, catalog }: { quote: PlanChangeQuote; catalog: Catalog }) {
  const to = catalog.plan(quote.toPlanId);
  const now = quote.timing === "now";
  // The Plans page's estimate at the customer's rate: metered calls, or calls beyond the quota with overage billing
  // (a yearly price counts at its twelfth in the monthly estimate).
  const usageMinor = quote.estimatedMonthlyMinor - (quote.toInterval === "year" ? Math.ceil(quote.recurringMinor / 12) : quote.recurringMinor);
  const moves = quote.toInterval !== quote.fromInterval && now;
  return (
    <dl className="grid gap-px overflow-hidden rounded-xl border border-slate-200 bg-slate-200 sm:grid-cols-3" data-testid="quote-figures">
      <div className="flex items-baseline justify-between gap-4 bg-white p-4 sm:block">
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">{quote.needsApproval ? "Due once approved" : "Due now"}</dt>
        <dd className="text-right sm:mt-1 sm:text-left" data-testid="due-now">
          <span className="text-2xl font-semibold tracking-tight text-slate-900">{formatMoney(quote.amountDueNowMinor, quote.currency)}</span>
          {(quote.amountDueNowMinor === 0 || quote.needsApproval) && <span className="mt-0.5 block text-sm text-slate-700">Nothing is charged now</span>}
        </dd>
      </div>
      <div className="flex items-baseline justify-between gap-4 bg-white p-4 sm:block">
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">Then</dt>
        <dd className="text-right sm:mt-1 sm:text-left" data-testid="recurring">
          <span className="text-2xl font-semibold tracking-tight text-slate-900">{formatMoney(quote.recurringMinor, quote.currency)}</span>
          <span className="text-sm text-slate-600"> {INTERVAL_WORDS[quote.toInterval].a}</span>
          <span className="mt-0.5 block text-sm text-slate-700">from {billingDate(quote.recurringFromMs)}</span>
          {moves && (
            <span className="mt-0.5 block text-sm font-medium text-slate-800" data-testid="new-billing-date">
              Billed {INTERVAL_WORDS[quote.toInterval].adjective} from today: your billing date moves to {billingDate(quote.effectiveAtMs)}
            </span>
          )}
          {usageMinor > 0 && (
            <span className="mt-0.5 block text-xs text-slate-600" data-testid="estimated-monthly">
              plus {to.metered ? "metered calls" : "overage, if you turn it on"}: about {formatMoney(usageMinor, quote.currency)} a month at your rate — about{" "}
              {formatMoney(quote.estimatedMonthlyMinor, quote.currency)} in all
            </span>
          )}
        </dd>
      </div>
      <div className="flex items-baseline justify-between gap-4 bg-white p-4 sm:block">
        <dt className="shrink-0 text-xs font-medium uppercase tracking-wide text-slate-600">New caps</dt>
        <dd className="text-right sm:mt-1 sm:text-left" data-testid="new-caps">
          {capsLines(catalog, to, undefined, quote.newCaps).map((line) => (
            <span key={line} className="block font-semibold text-slate-900">{line}</span>
          ))}
          <span className="mt-0.5 block text-sm text-slate-700">{quote.needsApproval ? "apply once approved" : now ? "apply now" : `apply on ${billingDate(quote.effectiveAtMs)}`}</span>
        </dd>
      </div>
    </dl>
  );
}

const LINE_CAPTION: Record<string, string> = {
  proration_credit: "Credit for unused time",
  proration_charge: "Charge for the remaining time",
  plan: "New billing period",
  balance: "Credit from your balance",
};

/** The invoice lines of the change (credit, charge, or a new period), totalling the amount due now. */
export function QuoteLines({ quote }: { quote: PlanChangeQuote }) {
  if (quote.lines.length === 0) return null;
  const sum = quote.lines.reduce((s, l) => s + l.amountMinor, 0);
  return (
    <table className="w-full text-sm" data-testid="quote-lines">
      <caption className="sr-only">What is charged now</caption>
      <thead className="sr-only">
        <tr>
          <th scope="col">Item</th>
          <th scope="col">Amount</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {quote.lines.map((l, i) => (
          <tr key={i} data-testid={`quote-line-${l.kind}`}>
            <td className="py-2.5 pr-4 align-top">
              <span className="block text-xs font-medium uppercase tracking-wide text-slate-600">{LINE_CAPTION[l.kind] ?? l.kind}</span>
              <span className="text-slate-900">{l.description}</span>
            </td>
            <td className={`whitespace-nowrap py-2.5 text-right align-bottom font-medium ${l.amountMinor < 0 ? "text-emerald-700" : "text-slate-900"}`}>{signedMoney(l.amountMinor, quote.currency)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr className="border-t-2 border-slate-200">
          <th scope="row" className="py-2.5 pr-4 text-left font-semibold text-slate-900">{quote.needsApproval ? "Amount due once approved" : "Amount due now"}</th>
          <td className="whitespace-nowrap py-2.5 text-right text-base font-semibold text-slate-900" data-testid="lines-total">{formatMoney(quote.amountDueNowMinor, quote.currency)}</td>
        </tr>
        {sum < 0 && (
          <tr>
            <td colSpan={2} className="pb-1 text-xs text-slate-600">
              {quote.toInterval !== quote.fromInterval
                ? `The credit is larger than the charge: nothing is due now, and the remaining ${formatMoney(-sum, quote.currency)} stays as credit on your balance for your next invoices.`
                : "The credit is larger than the charge; the difference is not paid out, and nothing is due now."}
            </td>
          </tr>
        )}
      </tfoot>
    </table>
  );
}

/** The label of the confirm button: what pressing it does, with the amount when money moves now. */
export function confirmLabels(quote: PlanChangeQuote): { idle: string; pending: string } {
  if (quote.needsApproval) return { idle: "Request approval", pending: "Requesting approval…" };
  if (quote.timing === "period_end") return { idle: "Schedule the switch", pending: "Scheduling…" };
  if (quote.amountDueNowMinor > 0) return { idle: `Pay ${formatMoney(quote.amountDueNowMinor, quote.currency)} and switch`, pending: "Paying…" };
  return { idle: "Switch now", pending: "Switching…" };
}

