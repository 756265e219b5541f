import { PageHeader } from "../ui/page-header";
import { EmptyState } from "../ui/states";

function Placeholder({ title, text }: { title: string; text: string }) {
  return (
    <>
      <PageHeader title={title} />
      <EmptyState title="Not available yet">{text}</EmptyState>
    </>
  );
}

export const BillingPlaceholder = () => <Placeholder title="Billing" text="Invoices, the next invoice estimate and your consent records will appear here." />;
export const NoticesPlaceholder = () => <Placeholder title="Notices" text="Warnings about your caps and confirmations of plan changes will be listed here." />;
export const SettingsPlaceholder = () => <Placeholder title="Settings" text="E-mail preferences for notices will be set here." />;
