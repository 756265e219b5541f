import { useState } from "react";
import { Link } from "react-router";
import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import { WINDOW_LABELS } from "../../../../shared/plans";
import { formatCount } from "../../../lib/format";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { PageHeader } from "../../../ui/page-header";
import { EmptyState } from "../../../ui/states";
import { QueryState } from "../components/query-state";
import { When } from "../components/when";
import { WithCatalog } from "../components/with-catalog";
import { consolePaths } from "../console-paths";
import type { ApprovalData } from "../console-data";
import { DecideDialog, type Decision } from "./decide-dialog";
import { useApprovals } from "./use-approvals";

/** Plan changes whose projected monthly bill is over the billing cap wait here for an operator. */
export function ApprovalsPage() {
  const approvals = useApprovals();
  const [decision, setDecision] = useState<Decision | null>(null);
  const [announcement, setAnnouncement] = useState("");

  return (
    <>
      <PageHeader title="Approvals" description="Plan changes the customer consented to whose projected monthly bill is over the billing cap. Nothing is charged until you approve." />
      <p role="status" aria-live="polite" className={announcement ? "mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900" : "sr-only"} data-testid="approvals-announcement">
        {announcement}
      </p>
      <WithCatalog what="the approval requests">
        {(catalog) => (
          <>
            <QueryState query={approvals} what="the approval requests">
              {(data) =>
                data.length === 0 ? (
                  <EmptyState title="No approvals waiting">
                    A customer's plan change lands here when its projected monthly total is over the billing cap (set by <code className="rounded bg-slate-100 px-1">BILLING_CAP_CENTS</code>).
                  </EmptyState>
                ) : (
                  <ul className="space-y-4">
                    {data.map((r) => (
                      <ApprovalCard key={r.id} r={r} catalog={catalog} onDecide={(approve) => { setAnnouncement(""); setDecision({ request: r, approve }); }} />
                    ))}
                  </ul>
                )
              }
            </QueryState>
            <DecideDialog catalog={catalog} decision={decision} onClose={() => setDecision(null)} onDone={setAnnouncement} />
          </>
        )}
      </WithCatalog>
    </>
  );
}

function ApprovalCard({ r, catalog, onDecide }: { r: ApprovalData; catalog: Catalog; onDecide: (approve: boolean) => void }) {
  const money = (m: number) => formatMoney(m, r.currency);
  const overBy = r.projectedMonthlyMinor - r.billingCapMinor;
  // One scale for both: the projected bill as a bar, the cap as a mark on it.
  const scale = Math.max(r.projectedMonthlyMinor, r.billingCapMinor, 1) * 1.15;
  const projectedPct = (r.projectedMonthlyMinor / scale) * 100;
  const capPct = (r.billingCapMinor / scale) * 100;
  return (
    <li className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="approval" data-account={r.accountId}>
      <div className="flex flex-wrap items-start justify-between gap-4 border-b border-slate-100 px-5 py-4">
        <div>
          <h2 className="text-base font-semibold text-slate-900">
            <Link to={consolePaths.account(r.accountId)} className="underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900">{r.accountName}</Link>: {catalog.nameOf(r.fromPlanId)} → {catalog.nameOf(r.toPlanId)}
          </h2>
          <p className="mt-0.5 text-sm text-slate-600">Requested <When ms={r.createdAtMs} /> · <When ms={r.createdAtMs} relative /></p>
        </div>
        <div className="flex gap-2">
          <Button variant="secondary" onClick={() => onDecide(false)}>Deny…<span className="sr-only"> {r.accountName}</span></Button>
          <Button onClick={() => onDecide(true)}>Approve…<span className="sr-only"> {r.accountName}</span></Button>
        </div>
      </div>
      <div className="grid gap-5 px-5 py-4 lg:grid-cols-[1fr_1fr]">
        <div className="space-y-4">
          <dl className="grid grid-cols-3 gap-3 text-sm">
            <div>
              <dt className="text-xs text-slate-600">Due now</dt>
              <dd className="mt-0.5 font-semibold tabular-nums text-slate-900">{money(r.amountDueNowMinor)}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-600">Then monthly</dt>
              <dd className="mt-0.5 font-semibold tabular-nums text-slate-900">{money(r.recurringMinor)}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-600">Projected monthly</dt>
              <dd className="mt-0.5 font-semibold tabular-nums text-rose-800">{money(r.projectedMonthlyMinor)}</dd>
            </div>
          </dl>
          <div>
            <p className="text-sm text-slate-700">
              Projected <span className="font-semibold">{money(r.projectedMonthlyMinor)}</span> vs billing cap <span className="font-semibold">{money(r.billingCapMinor)}</span>:{" "}
              <Badge tone="bad">{money(overBy)} over</Badge>
            </p>
            <div className="relative mt-3 h-2.5 rounded-full bg-slate-100" aria-hidden>
              <div className={`h-full rounded-full ${overBy > 0 ? "bg-rose-500" : "bg-emerald-500"}`} style={{ width: `${projectedPct}%` }} />
              <div className="absolute -top-1 -bottom-1 w-0.5 bg-slate-900" style={{ left: `${capPct}%` }} />
              <span className="absolute top-3.5 -translate-x-1/2 text-[11px] font-medium text-slate-700" style={{ left: `${capPct}%` }}>cap</span>
            </div>
          </div>
          <figure className="pt-2">
            <figcaption className="text-xs font-semibold uppercase tracking-wide text-slate-600">What the customer agreed to</figcaption>
            <blockquote className="mt-1 border-l-4 border-slate-200 pl-3 text-sm leading-relaxed text-slate-800" data-testid="approval-consent">{r.consentText}</blockquote>
          </figure>
        </div>
        <div>
          <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">Usage now</p>
          <ul className="mt-2 space-y-2 text-sm">
            {r.usage.map((l) => (
              <li key={l.window}>
                <div className="flex justify-between gap-3">
                  <span className="text-slate-700">Calls {WINDOW_LABELS[l.window].per}</span>
                  <span className="tabular-nums text-slate-900">
                    {formatCount(l.used)}
                    {l.limit !== null ? ` / ${formatCount(l.limit)}` : " · no cap"}
                  </span>
                </div>
                {l.limit !== null && (
                  <div className="mt-1 h-1.5 rounded-full bg-slate-100" aria-hidden>
                    <div className={`h-full rounded-full ${l.state === "over" ? "bg-rose-600" : l.state === "approaching" ? "bg-amber-500" : "bg-emerald-500"}`} style={{ width: `${Math.min(100, Math.round((l.ratio ?? 0) * 100))}%` }} />
                  </div>
                )}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </li>
  );
}
