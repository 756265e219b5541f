import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { formatMoney } from "../../../../shared/money";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { PageHeader } from "../../../ui/page-header";
import { EmptyState } from "../../../ui/states";
import { ConfirmDialog, Consequences } from "../../../ui/confirm-dialog";
import { QueryState } from "../components/query-state";
import { TableFrame, Td, Th, THead } from "../components/table";
import { When } from "../components/when";
import { consolePaths } from "../console-paths";
import type { AnomalyData } from "../console-data";
import { formatDateUtc } from "../lib/format";
import { useAcknowledgeAnomaly } from "./use-acknowledge-anomaly";
import { useAnomalies } from "./use-anomalies";

/** Bills over twice the previous one: an operator looks at each and acknowledges it. */
export function AnomaliesPage() {
  const [params, setParams] = useSearchParams();
  const includeAcknowledged = params.get("all") === "1";
  const anomalies = useAnomalies(includeAcknowledged);
  const acknowledge = useAcknowledgeAnomaly();
  const [target, setTarget] = useState<AnomalyData | null>(null);
  const [announcement, setAnnouncement] = useState("");

  function close(open: boolean) {
    if (open || acknowledge.isPending) return;
    acknowledge.reset();
    setTarget(null);
  }

  return (
    <>
      <PageHeader title="Anomalies" description="Invoices more than twice the account's previous one. The customer was notified when it was raised; acknowledge each once you have looked at it." />
      <div className="mb-4 flex items-center gap-2">
        <input
          id="show-acknowledged"
          type="checkbox"
          checked={includeAcknowledged}
          onChange={(e) => setParams(e.target.checked ? { all: "1" } : {}, { replace: true })}
          className="h-4 w-4 accent-brand-600"
        />
        <label htmlFor="show-acknowledged" className="text-sm text-slate-800">Show acknowledged ones too</label>
      </div>
      <p role="status" aria-live="polite" className={announcement ? "mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900" : "sr-only"}>
        {announcement}
      </p>
      <QueryState query={anomalies} what="the anomalies">
        {(data) =>
          data.length === 0 ? (
            <EmptyState title={includeAcknowledged ? "No bill anomalies" : "No anomaly to review"}>A bill more than twice the previous one appears here.</EmptyState>
          ) : (
            <TableFrame label="Bill anomalies" minWidth={860} testId="anomalies-table">
              <THead>
                <tr>
                  <Th>Account</Th>
                  <Th>Invoice</Th>
                  <Th numeric>Previous → current</Th>
                  <Th numeric>Change</Th>
                  <Th>Period (UTC)</Th>
                  <Th>Raised</Th>
                  <Th><span className="sr-only">Actions</span></Th>
                </tr>
              </THead>
              <tbody className="divide-y divide-slate-100">
                {data.map((a) => (
                  <tr key={a.id} data-testid="anomaly-row">
                    <Td>
                      <Link to={consolePaths.account(a.accountId)} className="font-medium text-slate-900 underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900">{a.accountName}</Link>
                    </Td>
                    <Td className="font-mono text-xs">{a.invoiceNumber}</Td>
                    <Td numeric className="whitespace-nowrap">
                      {formatMoney(a.previousTotalMinor, a.currency)} → <span className="font-semibold text-slate-900">{formatMoney(a.totalMinor, a.currency)}</span>
                    </Td>
                    <Td numeric><Badge tone="bad">{a.previousTotalMinor > 0 ? `${(a.totalMinor / a.previousTotalMinor).toFixed(1)}×` : "new"}</Badge></Td>
                    <Td className="whitespace-nowrap">{formatDateUtc(a.periodStartMs)} – {formatDateUtc(a.periodEndMs - 1)}</Td>
                    <Td><When ms={a.createdAtMs} dateOnly /></Td>
                    <Td className="text-right">
                      {a.acknowledgedAtMs === null ? (
                        <Button variant="secondary" className="px-2.5 py-1" onClick={() => { setAnnouncement(""); setTarget(a); }}>
                          Acknowledge…<span className="sr-only"> {a.invoiceNumber}</span>
                        </Button>
                      ) : (
                        <span className="text-xs text-slate-600">Acknowledged <When ms={a.acknowledgedAtMs} dateOnly /></span>
                      )}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          )
        }
      </QueryState>
      <ConfirmDialog
        open={target !== null}
        onOpenChange={close}
        title={target ? `Acknowledge ${target.invoiceNumber} of ${target.accountName}?` : "Acknowledge?"}
        confirmLabel="Acknowledge"
        pendingLabel="Saving…"
        pending={acknowledge.isPending}
        error={acknowledge.isError ? acknowledge.error.message : null}
        onConfirm={() => {
          if (!target) return false;
          acknowledge.mutate(
            { anomalyId: target.id },
            {
              onSuccess: () => {
                setAnnouncement(`${target.invoiceNumber} of ${target.accountName} acknowledged.`);
                acknowledge.reset();
                setTarget(null);
              },
            },
          );
        }}
      >
        {target && (
          <Consequences
            items={[
              <>The invoice stands as issued ({formatMoney(target.totalMinor, target.currency)}); acknowledging changes no amount. To give money back, refund it from the account's page.</>,
              "The anomaly leaves this list (it stays under “Show acknowledged”) and the acknowledgement is recorded in the audit log.",
            ]}
          />
        )}
      </ConfirmDialog>
    </>
  );
}
