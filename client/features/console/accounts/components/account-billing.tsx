import type { Catalog } from "../../../../../shared/catalog";
import { formatMoney } from "../../../../../shared/money";
import { formatCount } from "../../../../lib/format";
import { changeTitle } from "../../../../lib/plan-text";
import { Badge, type Tone } from "../../../../ui/badge";
import { Button } from "../../../../ui/button";
import { EmptyNote, TableFrame, Td, Th, THead } from "../../components/table";
import { When } from "../../components/when";
import type { AccountDetail, InvoiceData } from "../../console-data";
import { changeStatusLabel, formatDateUtc, NOT_REACHED_HINT, noticeKindLabel } from "../../lib/format";

const CHANGE_TONE: Record<string, Tone> = { applied: "good", scheduled: "brand", pending_approval: "warn", denied: "bad", failed: "bad", needs_consent: "warn", cancelled: "neutral" };
const INVOICE_TONE: Record<string, Tone> = { paid: "good", open: "warn", queued: "warn", void: "neutral" };
const INVOICE_KIND: Record<string, string> = { proration: "Plan change", period: "Billing period", credit_note: "Credit note (refund)" };

/** What can still be refunded of each invoice: its total less the credit notes of the same period. */
export function refundableByInvoice(invoices: InvoiceData[]): Map<string, number> {
  const refunded = new Map<string, number>();
  for (const i of invoices) {
    if (i.kind !== "credit_note") continue;
    const k = `${i.periodStartMs}:${i.periodEndMs}`;
    refunded.set(k, (refunded.get(k) ?? 0) - i.totalMinor);
  }
  const rest = new Map<string, number>();
  for (const i of invoices) {
    if (i.kind === "credit_note" || i.status !== "paid") continue;
    rest.set(i.id, Math.max(0, i.totalMinor - (refunded.get(`${i.periodStartMs}:${i.periodEndMs}`) ?? 0)));
  }
  return rest;
}

export function InvoicesTable({ invoices, onRefund }: { invoices: InvoiceData[]; onRefund: (invoice: InvoiceData, restMinor: number) => void }) {
  const rest = refundableByInvoice(invoices);
  if (invoices.length === 0) return <EmptyNote testId="account-invoices">No invoices yet.</EmptyNote>;
  return (
    <TableFrame label="Invoices" minWidth={820} testId="account-invoices">
      <THead>
        <tr>
          <Th>Invoice</Th>
          <Th>Kind</Th>
          <Th>Status</Th>
          <Th>Period (UTC)</Th>
          <Th>Issued</Th>
          <Th numeric>Total</Th>
          <Th><span className="sr-only">Actions</span></Th>
        </tr>
      </THead>
      <tbody className="divide-y divide-slate-100">
        {invoices.map((i) => {
          const left = rest.get(i.id);
          return (
            <tr key={i.id} data-testid="invoice-row" data-invoice={i.number}>
              <Td>
                <span className="font-medium text-slate-900">{i.number}</span>
                {i.lines.length > 0 && (
                  <details className="mt-0.5 text-xs text-slate-700">
                    <summary className="cursor-pointer text-slate-600">{i.lines.length === 1 ? "1 line" : `${i.lines.length} lines`}</summary>
                    <ul className="mt-1 space-y-0.5">
                      {i.lines.map((l, n) => (
                        <li key={n} className="flex justify-between gap-4">
                          <span>{l.description}</span>
                          <span className="whitespace-nowrap tabular-nums">{formatMoney(l.amountMinor, i.currency)}</span>
                        </li>
                      ))}
                    </ul>
                  </details>
                )}
              </Td>
              <Td>{INVOICE_KIND[i.kind] ?? i.kind}</Td>
              <Td><Badge tone={INVOICE_TONE[i.status] ?? "neutral"}>{i.status}</Badge></Td>
              <Td className="whitespace-nowrap">{formatDateUtc(i.periodStartMs)} – {formatDateUtc(i.periodEndMs - 1)}</Td>
              <Td><When ms={i.createdAtMs} dateOnly /></Td>
              <Td numeric className="font-medium text-slate-900">
                {formatMoney(i.totalMinor, i.currency)}
                {left !== undefined && left < i.totalMinor && <p className="text-xs font-normal text-slate-600">{formatMoney(i.totalMinor - left, i.currency)} refunded</p>}
              </Td>
              <Td className="text-right">
                {left !== undefined && left > 0 && (
                  <Button variant="secondary" className="px-2.5 py-1" onClick={() => onRefund(i, left)}>
                    Refund<span className="sr-only"> invoice {i.number}</span>
                  </Button>
                )}
              </Td>
            </tr>
          );
        })}
      </tbody>
    </TableFrame>
  );
}

export function ChangesList({ changes, catalog }: { changes: AccountDetail["billing"]["changes"]; catalog: Catalog }) {
  if (changes.length === 0) return <EmptyNote testId="account-changes">No plan or billing changes, so no consents.</EmptyNote>;
  return (
    <ul className="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="account-changes">
      {changes.map((c) => (
        <li key={c.id} className="px-4 py-3">
          <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
            {changeTitle(catalog, c)} <Badge tone={CHANGE_TONE[c.status] ?? "neutral"}>{changeStatusLabel(c.status)}</Badge>
            <span className="text-xs font-normal text-slate-600">effective <When ms={c.effectiveAtMs} /></span>
          </p>
          {c.approval && (
            <p className="mt-1 text-sm text-slate-700">
              Approval: {c.approval.status}
              {c.approval.reason && <> — “{c.approval.reason}”</>}
            </p>
          )}
          <blockquote className="mt-2 border-l-4 border-slate-200 pl-3 text-sm leading-relaxed text-slate-800">{c.consent.text}</blockquote>
          <p className="mt-1.5 text-xs text-slate-600">
            Consent by <span className="font-medium text-slate-800">{c.consent.signedInAs}</span> on <When ms={c.consent.atMs} />
            {c.consent.ip && <> from {c.consent.ip}</>} · agreed: {formatMoney(c.consent.amountDueNowMinor, c.consent.currency)} at the change, then {formatMoney(c.consent.recurringMinor, c.consent.currency)} a month
          </p>
        </li>
      ))}
    </ul>
  );
}

export function QuotesTable({ quotes, catalog, nowMs }: { quotes: AccountDetail["quotes"]; catalog: Catalog; nowMs: number }) {
  if (quotes.length === 0) return <EmptyNote testId="account-quotes">No quotes: the customer has not opened the plan-change wizard.</EmptyNote>;
  return (
    <TableFrame label="Quotes" minWidth={720} testId="account-quotes">
      <THead>
        <tr>
          <Th>Quote</Th>
          <Th numeric>Due now</Th>
          <Th numeric>Then monthly</Th>
          <Th>Created</Th>
          <Th>Valid until</Th>
        </tr>
      </THead>
      <tbody className="divide-y divide-slate-100">
        {quotes.map((q) => (
          <tr key={q.id}>
            <Td className="font-medium text-slate-900">{changeTitle(catalog, q)}</Td>
            <Td numeric>{formatMoney(q.amountDueNowMinor, q.currency)}</Td>
            <Td numeric>{formatMoney(q.recurringMinor, q.currency)}</Td>
            <Td><When ms={q.createdAtMs} /></Td>
            <Td>{q.expiresAtMs < nowMs ? <span className="text-slate-600">Expired</span> : <When ms={q.expiresAtMs} />}</Td>
          </tr>
        ))}
      </tbody>
    </TableFrame>
  );
}

export function NoticesTable({ notices }: { notices: AccountDetail["notices"] }) {
  if (notices.length === 0) return <EmptyNote testId="account-notices">No notices sent.</EmptyNote>;
  return (
    <TableFrame label="Notices" minWidth={680} testId="account-notices">
      <THead>
        <tr>
          <Th>Kind</Th>
          <Th>Title</Th>
          <Th>Created</Th>
          <Th>Reached the customer</Th>
        </tr>
      </THead>
      <tbody className="divide-y divide-slate-100">
        {notices.map((n) => (
          <tr key={n.id}>
            <Td className="whitespace-nowrap font-medium text-slate-900">{noticeKindLabel(n.kind)}</Td>
            <Td>{n.title}</Td>
            <Td><When ms={n.createdAtMs} /></Td>
            <Td>{n.deliveredAtMs === null ? <span className="text-amber-900" title={NOT_REACHED_HINT}>Not yet</span> : <When ms={n.deliveredAtMs} />}</Td>
          </tr>
        ))}
      </tbody>
    </TableFrame>
  );
}

export function NextInvoice({ next }: { next: AccountDetail["billing"]["nextInvoice"] }) {
  return (
    <p className="text-sm text-slate-700">
      Next invoice <When ms={next.dateMs} dateOnly />: <span className="font-semibold text-slate-900">{formatMoney(next.totalMinor, next.currency)}</span> so far
      {next.lines.length > 0 && <> ({next.lines.map((l) => `${l.kind === "plan" ? "plan" : l.kind} ${formatMoney(l.amountMinor, next.currency)}`).join(", ")})</>}
      {next.lines.some((l) => l.kind !== "plan") && <> · {formatCount(next.lines.filter((l) => l.kind !== "plan").reduce((s, l) => s + l.quantity, 0))} billable calls</>}
    </p>
  );
}
