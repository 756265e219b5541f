import { useState } from "react";
import { Button } from "../../ui/button";
import { PageHeader } from "../../ui/page-header";
import { ErrorState, LoadingBlock } from "../../ui/states";
import { CreateKeyDialog } from "./components/create-key-dialog";
import { KeyList } from "./components/key-list";
import { RevokeKeyDialog, type KeyToRevoke } from "./components/revoke-key-dialog";
import { useKeys } from "./use-keys";

export function KeysPage() {
  const keys = useKeys();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<KeyToRevoke | null>(null);
  // Announced to screen readers; the list itself changes silently.
  const [announcement, setAnnouncement] = useState("");

  const atMax = keys.data ? keys.data.keys.length >= keys.data.maxActiveKeys : false;
  const createButton = (
    <Button onClick={() => setCreating(true)} disabled={!keys.data || atMax}>
      <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" aria-hidden>
        <path d="M12 5v14M5 12h14" />
      </svg>
      Create key
    </Button>
  );

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let your apps call the API. Each key is shown in full once, when you create it; after that only its first characters."
        actions={createButton}
      />
      <p role="status" aria-live="polite" className="sr-only">{announcement}</p>

      {keys.isPending && <LoadingBlock rows={2} />}
      {keys.isError && <ErrorState message={keys.error.message} onRetry={() => keys.refetch()} />}
      {keys.data && (
        <section aria-labelledby="active-keys" className="rounded-xl border border-slate-200 bg-white shadow-sm">
          <header className="flex flex-wrap items-baseline justify-between gap-2 border-b border-slate-100 px-5 py-4">
            <h2 id="active-keys" className="text-base font-semibold text-slate-900">Active keys</h2>
            <p className="text-sm text-slate-600">
              {keys.data.keys.length} of {keys.data.maxActiveKeys} allowed
              {atMax && " · revoke one to create another"}
            </p>
          </header>
          {keys.data.keys.length === 0 ? (
            <div className="px-5 py-10 text-center">
              <p className="font-semibold text-slate-900">No active keys</p>
              <p className="mx-auto mt-1 max-w-sm text-sm text-slate-600">Create a key to start calling the API. You will see it in full once, so have somewhere safe to keep it.</p>
              <div className="mt-4 flex justify-center">{createButton}</div>
            </div>
          ) : (
            <KeyList keys={keys.data.keys} nowMs={Date.now()} onRevoke={setRevoking} />
          )}
        </section>
      )}

      <p className="mt-4 text-sm text-slate-600">
        Revoked keys stop working at once and are removed from this list. Keep keys out of source code and browsers: anyone with a key can make calls that count against your plan.
      </p>

      <CreateKeyDialog open={creating} onOpenChange={setCreating} onCreated={(name) => setAnnouncement(`Key “${name}” created.`)} />
      <RevokeKeyDialog target={revoking} onClose={() => setRevoking(null)} onRevoked={(name) => setAnnouncement(`Key “${name}” revoked.`)} />
    </>
  );
}
