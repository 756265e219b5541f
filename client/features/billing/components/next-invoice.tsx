import { formatMoney } from "../../../../shared/money";
import { billingDate, signedMoney } from "../billing-text";
import type { BillingOverviewData } from "../use-billing-overview";

/** The estimate of the next invoice: the plan for the period ahead and the usage of this period so far. */
export function NextInvoice({ next, metered }: { next: BillingOverviewData["nextInvoice"]; metered: boolean }) {
  const hasUsage = next.lines.some((l) => l.kind === "metered" || l.kind === "overage");
  return (
    <section aria-labelledby="next-invoice-title" className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="next-invoice">
      <header className="flex flex-wrap items-baseline justify-between gap-2 border-b border-slate-100 px-5 py-4">
        <h2 id="next-invoice-title" className="text-base font-semibold text-slate-900">Next invoice</h2>
        <p className="text-sm text-slate-600">on {billingDate(next.dateMs)} · estimate</p>
      </header>
      <div className="px-5 py-3">
        {next.lines.length === 0 ? (
          <p className="py-2 text-sm text-slate-700">Nothing to pay: your plan has no charge for the next period.</p>
        ) : (
          <table className="w-full text-sm">
            <caption className="sr-only">Next invoice, estimated</caption>
            <thead className="sr-only">
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Amount</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {next.lines.map((l, i) => (
                <tr key={i}>
                  <td className="py-2.5 pr-4 text-slate-800">{l.description}</td>
                  <td className="whitespace-nowrap py-2.5 text-right font-medium text-slate-900">{signedMoney(l.amountMinor, next.currency)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr className="border-t-2 border-slate-200">
                <th scope="row" className="py-2.5 pr-4 text-left font-semibold text-slate-900">Estimated total</th>
                <td className="whitespace-nowrap py-2.5 text-right text-base font-semibold text-slate-900" data-testid="next-invoice-total">{formatMoney(next.totalMinor, next.currency)}</td>
              </tr>
            </tfoot>
          </table>
        )}
        {(hasUsage || metered) && <p className="mt-1 pb-1 text-xs text-slate-600">Usage is counted up to now; the final amount depends on your calls until the period ends. Before tax.</p>}
      </div>
    </section>
  );
}
