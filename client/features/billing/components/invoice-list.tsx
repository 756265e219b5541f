import { Fragment, useState } from "react";
import { formatMoney } from "../../../../shared/money";
import { Badge, type Tone } from "../../../ui/badge";
import { billingDate, billingSpan, signedMoney } from "../billing-text";
import type { InvoiceData } from "../use-billing-overview";

const KIND: Record<string, string> = { period: "Monthly", proration: "Plan change", credit_note: "Credit note" };
const STATUS: Record<string, { label: string; tone: Tone }> = {
  paid: { label: "Paid", tone: "good" },
  open: { label: "Open", tone: "warn" },
  void: { label: "Void", tone: "neutral" },
  queued: { label: "Queued", tone: "neutral" },
};

/** Past invoices, newest first; each opens to its lines. */
export function InvoiceList({ invoices }: { invoices: InvoiceData[] }) {
  const [open, setOpen] = useState<Set<string>>(() => new Set());
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <section aria-labelledby="invoices-title" className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="invoices">
      <h2 id="invoices-title" className="border-b border-slate-100 px-5 py-4 text-base font-semibold text-slate-900">Invoices</h2>
      {invoices.length === 0 ? (
        <p className="px-5 py-6 text-sm text-slate-600">No invoices yet. Your first one is issued at the end of your first billing period, or when you upgrade.</p>
      ) : (
        <table className="w-full text-sm">
          <caption className="sr-only">Invoices, newest first</caption>
          <thead>
            <tr className="border-b border-slate-100 text-left text-xs font-medium uppercase tracking-wide text-slate-600">
              <th scope="col" className="py-2 pl-5 pr-2 font-medium">Invoice</th>
              <th scope="col" className="hidden px-2 py-2 font-medium sm:table-cell">Date</th>
              <th scope="col" className="hidden px-2 py-2 font-medium sm:table-cell">Period</th>
              <th scope="col" className="px-2 py-2 font-medium">Status</th>
              <th scope="col" className="py-2 pl-2 pr-5 text-right font-medium">Total</th>
            </tr>
          </thead>
          <tbody>
            {invoices.map((inv) => {
              const expanded = open.has(inv.id);
              const linesId = `invoice-lines-${inv.id}`;
              const status = STATUS[inv.status] ?? { label: inv.status, tone: "neutral" as Tone };
              return (
                <Fragment key={inv.id}>
                  <tr className="border-t border-slate-100 align-top" data-testid="invoice-row" data-kind={inv.kind} data-number={inv.number}>
                    <td className="py-3 pl-5 pr-2">
                      <button
                        type="button"
                        aria-expanded={expanded}
                        aria-controls={linesId}
                        onClick={() => toggle(inv.id)}
                        className="-mx-1 inline-flex items-center gap-1 rounded px-1 text-left font-medium text-brand-700 hover:underline"
                      >
                        <svg viewBox="0 0 24 24" className={`h-4 w-4 shrink-0 transition-transform ${expanded ? "rotate-90" : ""}`} fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
                          <path d="m9 6 6 6-6 6" />
                        </svg>
                        <span className="whitespace-nowrap font-mono">{inv.number}</span>
                        <span className="sr-only">, {expanded ? "hide" : "show"} lines</span>
                      </button>
                      <span className="block pl-5 text-xs text-slate-600">
                        <span className="sm:hidden">{billingDate(inv.createdAtMs)} · </span>
                        {KIND[inv.kind] ?? inv.kind}
                      </span>
                    </td>
                    <td className="hidden whitespace-nowrap px-2 py-3 text-slate-800 sm:table-cell">{billingDate(inv.createdAtMs)}</td>
                    <td className="hidden px-2 py-3 text-slate-700 sm:table-cell">{billingSpan(inv.periodStartMs, inv.periodEndMs)}</td>
                    <td className="px-2 py-3"><Badge tone={status.tone}>{status.label}</Badge></td>
                    <td className="whitespace-nowrap py-3 pl-2 pr-5 text-right font-semibold text-slate-900">{formatMoney(inv.totalMinor, inv.currency)}</td>
                  </tr>
                  <tr id={linesId} hidden={!expanded} data-testid="invoice-lines">
                    <td colSpan={5} className="bg-slate-50 px-5 pb-3 pt-1">
                      <p className="py-1 text-xs text-slate-600 sm:hidden">Period: {billingSpan(inv.periodStartMs, inv.periodEndMs)}</p>
                      <ul className="divide-y divide-slate-200/70">
                        {inv.lines.map((l, i) => (
                          <li key={i} className="flex justify-between gap-4 py-2">
                            <span className="text-slate-800">{l.description}</span>
                            <span className="whitespace-nowrap font-medium text-slate-900">{signedMoney(l.amountMinor, inv.currency)}</span>
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
