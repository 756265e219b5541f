import { useSession } from "../session/use-session";
import { Card } from "../../ui/card";
import { PageHeader } from "../../ui/page-header";
import { ErrorState, LoadingBlock } from "../../ui/states";
import { EmailPreferences } from "./components/email-preferences";
import { usePreferences } from "./use-preferences";

export function SettingsPage() {
  const session = useSession();
  const preferences = usePreferences();
  const account = session.data?.account ?? null;

  return (
    <>
      <PageHeader title="Settings" description="Your account and which notices we e-mail you." />

      <Card title="Account" description="Managed by your API provider. Ask them if something here is wrong.">
        {account ? (
          <dl className="grid gap-4 text-sm sm:grid-cols-3">
            <Field label="Name" value={account.name} />
            <Field label="E-mail" value={account.email} />
            <Field label="Account ID" value={account.id} mono />
          </dl>
        ) : (
          <LoadingBlock rows={1} label="Loading your account…" />
        )}
      </Card>

      <Card
        className="mt-6"
        title="E-mail notices"
        description={account ? <>Sent to {account.email}. Changes are saved as you make them.</> : "Changes are saved as you make them."}
      >
        {preferences.isPending && <LoadingBlock rows={2} label="Loading your e-mail preferences…" />}
        {preferences.isError && (
          <ErrorState title="We could not load your e-mail preferences" message={preferences.error.message} onRetry={() => preferences.refetch()} />
        )}
        {preferences.data && <EmailPreferences preferences={preferences.data} />}
        <p className="mt-4 flex gap-2 rounded-lg bg-slate-50 px-3 py-2.5 text-sm text-slate-700">
          <svg viewBox="0 0 24 24" className="mt-0.5 h-4 w-4 shrink-0 text-slate-500" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
            <path d="M12 16v-4m0-4h.01M22 12a10 10 0 1 1-20 0 10 10 0 0 1 20 0Z" />
          </svg>
          <span>
            In-app notices are always shown, whatever you choose here: every notice is listed on the Notices page, and the most pressing one appears as a banner at the
            top of the portal until you dismiss it.
          </span>
        </p>
      </Card>
    </>
  );
}

function Field({ label, value, mono = false }: { label: string; value: string; mono?: boolean }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className={`mt-1 break-words text-slate-900 ${mono ? "font-mono text-[13px]" : ""}`}>{value}</dd>
    </div>
  );
}
