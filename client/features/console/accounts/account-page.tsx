import { lazy, Suspense, useState } from "react";
import { Link, useParams } from "react-router";
import type { Catalog } from "../../../../shared/catalog";
import { formatPrice } from "../../../../shared/money";
import { formatCount } from "../../../lib/format";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { ErrorState, LoadingBlock } from "../../../ui/states";
import { UsageMeter } from "../../../ui/usage-meter";
import { AuditEntries } from "../audit-log/audit-entries";
import { ModeBadge } from "../components/mode-badge";
import { Section } from "../components/section";
import { EmptyNote } from "../components/table";
import { When } from "../components/when";
import { WithCatalog } from "../components/with-catalog";
import { consolePaths } from "../console-paths";
import type { AccountDetail, InvoiceData } from "../console-data";
import { formatDateUtc } from "../lib/format";
import { newRequestId } from "../lib/request-id";
import { ChangesList, InvoicesTable, NextInvoice, NoticesTable, QuotesTable } from "./components/account-billing";
import { DodoUsage } from "./components/dodo-usage";
import { GrandfatherDialog } from "./components/grandfather-dialog";
import { RefundDialog, type RefundTarget } from "./components/refund-dialog";
import { useAccount } from "./use-account";

// The portal's own charts, loaded with the charting library only when an account is opened.
const UsageCharts = lazy(async () => ({ default: (await import("../../usage/components/usage-charts")).UsageCharts }));

/** One account: its usage as the customer sees it, its limits, notices, billing and audit trail. */
export function AccountPage() {
  const { accountId = "" } = useParams();
  const account = useAccount(accountId);

  if (account.isPending) return <LoadingBlock rows={4} label="Loading the account…" />;
  if (account.isError) {
    const notFound = account.error.data?.code === "NOT_FOUND";
    return (
      <>
        <BackLink />
        <ErrorState title={notFound ? `There is no account “${accountId}”` : "We could not load this account"} message={notFound ? undefined : account.error.message} onRetry={notFound ? undefined : () => account.refetch()} />
      </>
    );
  }
  return (
    <WithCatalog what="the account" rows={4}>
      {(catalog) => <AccountView data={account.data} catalog={catalog} />}
    </WithCatalog>
  );
}

function BackLink() {
  return (
    <p className="mb-3 text-sm">
      <Link to={consolePaths.accounts} className="font-medium text-brand-700 underline-offset-2 hover:underline">← All accounts</Link>
    </p>
  );
}

function AccountView({ data, catalog }: { data: AccountDetail; catalog: Catalog }) {
  const { account, overview, history, billing } = data;
  const [grandfathering, setGrandfathering] = useState(false);
  const [refund, setRefund] = useState<RefundTarget | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const nowMs = Date.now();
  const plan = catalog.find(account.planId);
  const grandfathered = account.grandfatheredUntilMs !== null && account.grandfatheredUntilMs > nowMs;

  return (
    <>
      <BackLink />
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{account.name}</h1>
          <p className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-slate-600">
            <span className="break-all">{account.email}</span>
            <span aria-hidden>·</span>
            <span className="font-mono text-xs">{account.id}</span>
            <span aria-hidden>·</span>
            <span>customer since <When ms={account.createdAtMs} dateOnly /></span>
          </p>
          <p className="mt-2 flex flex-wrap items-center gap-2 text-sm">
            <Badge tone="brand">{account.planName}{plan ? ` · ${formatPrice(plan.priceMinor, plan.currency)}` : ""}</Badge>
            <ModeBadge mode={account.enforcement} />
            {grandfathered && (
              <Badge tone="brand">
                Grandfathered until&nbsp;<When ms={account.grandfatheredUntilMs!} dateOnly />
              </Badge>
            )}
            {account.overageOptIn && <Badge tone="neutral">Overage billing on</Badge>}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Link to={`${consolePaths.outbox}?account=${encodeURIComponent(account.id)}`} className="rounded-lg bg-white px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
            E-mails
          </Link>
          <Button variant="secondary" onClick={() => setGrandfathering(true)}>{grandfathered ? "Change grandfathering" : "Grandfather…"}</Button>
        </div>
      </div>
      <p role="status" aria-live="polite" className={announcement ? "mb-6 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900" : "sr-only"} data-testid="account-announcement">
        {announcement}
      </p>

      <Section title="Limits now" description={`Billing period ${formatDateUtc(overview.period.startMs)} – ${formatDateUtc(overview.period.endMs - 1)} · today (UTC): ${formatCount(overview.today.allowed + overview.today.wouldThrottle)} calls served, ${formatCount(overview.today.wouldThrottle)} over a cap, ${formatCount(overview.today.throttled)} refused`}>
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {overview.limits.map((status) => (
            <UsageMeter key={status.window} status={status} nowMs={nowMs} periodStartMs={overview.period.startMs} />
          ))}
        </div>
      </Section>

      <Section title="Usage, as the customer sees it" description="The charts of the customer's usage page, with the same data.">
        {history.hasCalls ? (
          <Suspense fallback={<LoadingBlock rows={2} label="Loading charts…" />}>
            {/* The charts read the minutes, days and caps; the clock and grace period only matter to the portal's summary. */}
            <UsageCharts history={{ ...history, nowMs, graceHours: 0, demoApi: false }} catalog={catalog} />
          </Suspense>
        ) : (
          <EmptyNote>No calls yet.</EmptyNote>
        )}
      </Section>

      <Section title="Notices" description="What the customer was told, newest first.">
        <NoticesTable notices={data.notices} />
      </Section>

      <Section title="Changes and consents" description="Every plan or billing change with the exact words the customer agreed to.">
        <ChangesList changes={billing.changes} catalog={catalog} />
      </Section>

      <Section title="Quotes" description="Price previews the customer opened in the plan-change wizard.">
        <QuotesTable quotes={data.quotes} catalog={catalog} nowMs={nowMs} />
      </Section>

      <DodoUsage accountId={account.id} />

      <Section title="Invoices" description={<NextInvoice next={billing.nextInvoice} />}>
        <InvoicesTable invoices={billing.invoices} onRefund={(invoice: InvoiceData, restMinor: number) => setRefund({ invoice, restMinor, requestId: newRequestId() })} />
      </Section>

      <Section
        title="Audit trail"
        description="Operator and customer actions on this account, newest first."
        actions={<Link to={`${consolePaths.auditLog}?account=${encodeURIComponent(account.id)}`} className="text-sm font-medium text-brand-700 underline-offset-2 hover:underline">Open in the audit log</Link>}
      >
        <AuditEntries entries={data.audit} catalog={catalog} accountNames={new Map([[account.id, account.name]])} showAccount={false} label="Audit trail" />
      </Section>

      <GrandfatherDialog open={grandfathering} onOpenChange={setGrandfathering} account={account} onDone={setAnnouncement} />
      <RefundDialog target={refund} accountName={account.name} onClose={() => setRefund(null)} onRefunded={setAnnouncement} />
    </>
  );
}
