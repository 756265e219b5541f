import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import { formatDateTime, isoInstant } from "../../../lib/format";
import { changeTitle } from "../../../lib/plan-text";
import { Badge } from "../../../ui/badge";
import type { PlanChangeData } from "../use-billing-overview";
import { changeStatus } from "./change-text";

/** Every change with the consent it was made with: the exact words, who agreed, when and from where. */
export function ConsentRecords({ catalog, changes }: { catalog: Catalog; changes: PlanChangeData[] }) {
  return (
    <section aria-labelledby="consents-title" className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="consent-records">
      <header className="border-b border-slate-100 px-5 py-4">
        <h2 id="consents-title" className="text-base font-semibold text-slate-900">Changes and your consents</h2>
        <p className="mt-0.5 text-sm text-slate-600">Nothing is charged or changed without one of these records, in the exact words you agreed to.</p>
      </header>
      {changes.length === 0 ? (
        <p className="px-5 py-6 text-sm text-slate-600">No plan or billing changes yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {changes.map((c) => {
            const status = changeStatus(c);
            const money = (m: number) => formatMoney(m, c.consent.currency);
            return (
              <li key={c.id} className="px-5 py-4" data-testid="consent-record" data-status={c.status}>
                <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
                  {changeTitle(catalog, c)} <Badge tone={status.tone}>{status.label}</Badge>
                </p>
                {c.approval?.reason && <p className="mt-1 text-sm text-slate-700">Reason given: {c.approval.reason}</p>}
                <blockquote className="mt-2 border-l-4 border-slate-200 pl-3 text-sm leading-relaxed text-slate-800" data-testid="consent-words">
                  {c.consent.text}
                </blockquote>
                <p className="mt-2 text-xs text-slate-600">
                  Agreed by <span className="font-medium text-slate-800">{c.consent.signedInAs}</span> on{" "}
                  <time dateTime={isoInstant(c.consent.atMs)}>{formatDateTime(c.consent.atMs)}</time>
                  {c.consent.ip && <> from {c.consent.ip}</>} · amounts agreed: {money(c.consent.amountDueNowMinor)} at the change, then {money(c.consent.recurringMinor)} a month
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
