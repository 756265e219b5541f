import { useState } from "react";
import { Navigate, useSearchParams } from "react-router";
import { paths } from "../../app/paths";
import { useCatalog } from "../../lib/use-catalog";
import { PageHeader } from "../../ui/page-header";
import { ErrorState, LoadingBlock } from "../../ui/states";
import { CancelChangeDialog } from "./components/cancel-change-dialog";
import { ConsentRecords } from "./components/consent-records";
import { CurrentPlan } from "./components/current-plan";
import { InvoiceList } from "./components/invoice-list";
import { NextInvoice } from "./components/next-invoice";
import { OverageDialog } from "./components/overage-dialog";
import { PaymentPortal } from "./components/payment-portal";
import { PendingChanges } from "./components/pending-changes";
import { useBillingOverview, type PlanChangeData } from "./use-billing-overview";

export function BillingPage() {
  const overview = useBillingOverview();
  const catalog = useCatalog();
  const [params] = useSearchParams();
  const [cancelling, setCancelling] = useState<PlanChangeData | null>(null);
  const [overageOpen, setOverageOpen] = useState(false);
  // Announced to screen readers and shown briefly; the sections themselves update silently.
  const [announcement, setAnnouncement] = useState("");
  // Links in notices and e-mails sent before the Support page existed still land on the form.
  const contact = params.get("contact") === "1";

  if (contact) return <Navigate to={paths.support} replace />;
  const header = <PageHeader title="Billing" description="Your plan, what you will be charged next, past invoices and the record of every consent you gave." />;
  if (overview.isPending || catalog.isPending) return <>{header}<LoadingBlock rows={3} /></>;
  if (overview.isError) return <>{header}<ErrorState message={overview.error.message} onRetry={() => overview.refetch()} /></>;
  if (!catalog.data) return <>{header}<ErrorState message={catalog.error.message} onRetry={() => catalog.refetch()} /></>;
  const data = overview.data;

  return (
    <>
      {header}
      <p role="status" aria-live="polite" className={announcement ? "mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-2 text-sm text-emerald-900" : "sr-only"} data-testid="billing-announcement">
        {announcement}
      </p>
      <div className="space-y-6">
        <PendingChanges catalog={catalog.data} changes={data.changes} onCancel={setCancelling} />
        <div className="grid gap-6 lg:grid-cols-2">
          <CurrentPlan data={data} onOverage={() => setOverageOpen(true)} />
          <NextInvoice next={data.nextInvoice} metered={data.plan.usage.some((m) => m.billing === "metered")} />
        </div>
        {data.paymentPortal && <PaymentPortal />}
        <InvoiceList invoices={data.invoices} />
        <ConsentRecords catalog={catalog.data} changes={data.changes} />
      </div>

      <CancelChangeDialog catalog={catalog.data} target={cancelling} onClose={() => setCancelling(null)} onCancelled={setAnnouncement} />
      {overageOpen && (
        <OverageDialog
          optIn={!data.overage.optedIn}
          onClose={() => setOverageOpen(false)}
          onDone={(text) => {
            setOverageOpen(false);
            setAnnouncement(text);
          }}
        />
      )}
    </>
  );
}
