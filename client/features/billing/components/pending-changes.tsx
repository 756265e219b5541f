import { Link } from "react-router";
import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import { paths } from "../../../app/paths";
import { changeTitle } from "../../../lib/plan-text";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { billingDate } from "../billing-text";
import type { PlanChangeData } from "../use-billing-overview";
import { changeStatus } from "./change-text";

/** Changes still ahead: scheduled switches (cancellable), requests waiting for approval, approvals that need a new consent. */
export function PendingChanges({ catalog, changes, onCancel }: { catalog: Catalog; changes: PlanChangeData[]; onCancel: (change: PlanChangeData) => void }) {
  const open = changes.filter((c) => c.status === "scheduled" || c.status === "pending_approval" || c.status === "needs_consent");
  if (open.length === 0) return null;
  return (
    <section aria-labelledby="pending-title" className="rounded-xl border border-brand-100 bg-white shadow-sm ring-1 ring-brand-100" data-testid="pending-changes">
      <h2 id="pending-title" className="border-b border-slate-100 px-5 py-4 text-base font-semibold text-slate-900">Coming up</h2>
      <ul className="divide-y divide-slate-100">
        {open.map((c) => {
          const status = changeStatus(c);
          const money = (m: number) => formatMoney(m, c.consent.currency);
          return (
            <li key={c.id} className="flex flex-col gap-3 px-5 py-4 sm:flex-row sm:items-center sm:justify-between" data-testid="pending-change" data-status={c.status}>
              <div className="min-w-0">
                <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
                  {changeTitle(catalog, c)} <Badge tone={status.tone}>{status.label}</Badge>
                </p>
                <p className="mt-1 text-sm text-slate-700">
                  {c.status === "scheduled" &&
                    `On ${billingDate(c.effectiveAtMs)} you move to ${catalog.nameOf(c.toPlanId)} at ${money(c.consent.recurringMinor)} a month. Nothing is charged now; until then you keep ${catalog.nameOf(c.fromPlanId)} and its caps.`}
                  {c.status === "pending_approval" &&
                    `Nothing is charged until your provider's team approves it; you will get an e-mail. If approved: ${c.consent.amountDueNowMinor > 0 ? `${money(c.consent.amountDueNowMinor)} then, ` : ""}${money(c.consent.recurringMinor)} a month.`}
                  {c.status === "needs_consent" &&
                    "It was approved, but its price moved since you agreed (a prorated price falls as the period runs out) or your plan changed. Nothing was charged; preview it again and confirm the current price — no second approval is needed."}
                </p>
              </div>
              {c.status === "scheduled" && c.kind === "plan_change" && (
                <Button variant="secondary" onClick={() => onCancel(c)} className="shrink-0">
                  Cancel switch<span className="sr-only"> to {catalog.nameOf(c.toPlanId)}</span>
                </Button>
              )}
              {c.status === "pending_approval" && c.kind === "plan_change" && (
                <Button variant="secondary" onClick={() => onCancel(c)} className="shrink-0">
                  Withdraw request<span className="sr-only"> to switch to {catalog.nameOf(c.toPlanId)}</span>
                </Button>
              )}
              {c.status === "needs_consent" && (
                <Link to={`${paths.planChange}?to=${encodeURIComponent(c.toPlanId)}`} className="shrink-0 rounded-lg bg-brand-600 px-3.5 py-2 text-center text-sm font-medium text-white hover:bg-brand-700">
                  Preview again
                </Link>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
