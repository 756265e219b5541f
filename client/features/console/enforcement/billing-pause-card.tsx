import { useState } from "react";
import { formatCount } from "../../../lib/format";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { ErrorState } from "../../../ui/states";
import { ConfirmDialog, Consequences } from "../../../ui/confirm-dialog";
import { useBillingStatus } from "./use-billing-status";
import { useSetBillingPaused } from "./use-set-billing-paused";

const invoices = (n: number) => (n === 1 ? "1 invoice" : `${formatCount(n)} invoices`);

/** The global billing switch: its state, the invoices it holds back, and a confirmation either way. */
export function BillingPauseCard() {
  const status = useBillingStatus();
  const setPaused = useSetBillingPaused();
  const [asking, setAsking] = useState(false);
  const [announcement, setAnnouncement] = useState("");

  if (status.isPending) return <div className="h-20 animate-pulse rounded-xl bg-slate-200/70" role="status"><span className="sr-only">Loading the billing status…</span></div>;
  if (status.isError) return <ErrorState title="We could not load the billing status" message={status.error.message} onRetry={() => status.refetch()} />;
  const { paused, queuedInvoices, provider } = status.data;

  function close(open: boolean) {
    if (open || setPaused.isPending) return;
    setPaused.reset();
    setAsking(false);
  }

  return (
    <section aria-labelledby="billing-switch" className={`rounded-xl border px-5 py-4 shadow-sm ${paused ? "border-amber-300 bg-amber-50" : "border-slate-200 bg-white"}`} data-testid="billing-pause">
      <div className="flex flex-wrap items-center justify-between gap-4">
        <div>
          <h2 id="billing-switch" className="flex items-center gap-2 text-base font-semibold text-slate-900">
            Billing <Badge tone={paused ? "warn" : "good"}>{paused ? "Paused" : "Running"}</Badge>
          </h2>
          <p className="mt-0.5 text-sm text-slate-700">
            {paused ? `New invoices are queued, not charged. ${invoices(queuedInvoices)} queued.` : `Invoices are charged as they are issued (${provider} provider). ${queuedInvoices > 0 ? `${invoices(queuedInvoices)} queued.` : "Nothing queued."}`}
          </p>
        </div>
        <Button variant={paused ? "primary" : "secondary"} onClick={() => { setAnnouncement(""); setAsking(true); }}>
          {paused ? "Resume billing…" : "Pause billing…"}
        </Button>
      </div>
      {announcement && <p role="status" className="mt-3 text-sm font-medium text-emerald-900">{announcement}</p>}

      <ConfirmDialog
        open={asking}
        onOpenChange={close}
        title={paused ? "Resume billing?" : "Pause billing?"}
        confirmLabel={paused ? (queuedInvoices > 0 ? `Resume and collect ${invoices(queuedInvoices)}` : "Resume billing") : "Pause billing"}
        pendingLabel={paused ? "Resuming…" : "Pausing…"}
        tone={paused ? "primary" : "danger"}
        pending={setPaused.isPending}
        error={setPaused.isError ? setPaused.error.message : null}
        onConfirm={() =>
          setPaused.mutate(
            { paused: !paused },
            {
              onSuccess: (r) => {
                const failed = r.subscriptions.failed;
                // Subscriptions the provider could not change are named: setting the switch again retries them.
                const partial = failed.length === 0 ? "" : ` ${failed.length === 1 ? "1 subscription" : `${formatCount(failed.length)} subscriptions`} could not be ${r.paused ? "paused" : "resumed"} at ${provider} (${failed.map((f) => f.subscriptionId).join(", ")}); ${r.paused ? "pause" : "resume"} again to retry.`;
                setAnnouncement((r.paused ? "Billing is paused. New invoices are queued until you resume." : `Billing resumed. ${r.collected === 0 ? "No queued invoice to collect." : `${invoices(r.collected)} collected.`}`) + partial);
                setPaused.reset();
                setAsking(false);
              },
            },
          )
        }
        testId="billing-confirmation"
      >
        <Consequences
          items={
            paused
              ? [`The ${invoices(queuedInvoices)} queued while paused ${queuedInvoices === 1 ? "is" : "are"} collected now.`, "New invoices are charged as they are issued again.", "Recorded in the audit log."]
              : [
                  "Every invoice issued from now on (period renewals, plan changes) is queued instead of charged, visibly, until you resume.",
                  provider === "local"
                    ? "Plan changes customers consent to still apply; only their charge waits in the queue."
                    : `Plan changes that charge now are refused until you resume; the customer is told to try again later. ${provider === "stripe" ? "Stripe's own renewals are paused on every linked subscription (kept as drafts)." : "Dodo Payments' own renewals are paused on every linked subscription."}`,
                  `${invoices(queuedInvoices)} ${queuedInvoices === 1 ? "is" : "are"} queued now.`,
                  "Recorded in the audit log.",
                ]
          }
        />
      </ConfirmDialog>
    </section>
  );
}
