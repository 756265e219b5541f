import { useId, useMemo } from "react";
import { useSearchParams } from "react-router";
import { Button } from "../../../ui/button";
import { PageHeader } from "../../../ui/page-header";
import { useAccounts } from "../accounts/use-accounts";
import { QueryState } from "../components/query-state";
import { WithCatalog } from "../components/with-catalog";
import { AUDIT_ACTIONS, AuditEntries } from "./audit-entries";
import { useAuditLog } from "./use-audit-log";
import { withParams } from "../lib/search-params";
import { useDebounced } from "../lib/use-debounced";

const PAGE = 200;

/** Everything operators and customers did that changes money, limits or access, newest first. */
export function AuditLogPage() {
  const [params, setParams] = useSearchParams();
  const action = params.get("action") ?? "";
  const accountId = params.get("account") ?? "";
  const limit = Math.min(1000, Math.max(PAGE, Number(params.get("limit")) || PAGE));
  // Typing a prefix queries once the input settles, not on every keystroke.
  const deferredAction = useDebounced(action.trim());
  const log = useAuditLog({ action: deferredAction || undefined, accountId: accountId || undefined, limit });
  const accounts = useAccounts();
  const names = useMemo(() => new Map(accounts.data?.map((a) => [a.id, a.name]) ?? []), [accounts.data]);
  const actionId = useId();
  const accountSelectId = useId();
  const listId = useId();

  const set = (changes: Record<string, string | null>) => setParams((p) => withParams(p, changes), { replace: true });

  return (
    <>
      <PageHeader title="Audit log" description="Sign-ins, plan changes, enforcement flips, refunds, approvals and replies: who did what, when. Newest first; times in UTC." />
      <div className="mb-4 flex flex-wrap items-end gap-4">
        <div>
          <label htmlFor={actionId} className="block text-sm font-medium text-slate-700">Action starts with</label>
          <input
            id={actionId}
            type="search"
            list={listId}
            value={action}
            onChange={(e) => set({ action: e.target.value, limit: null })}
            placeholder="e.g. enforcement."
            className="mt-1 w-56 rounded-lg border border-slate-300 bg-white px-3 py-1.5 font-mono text-sm text-slate-900 placeholder:font-sans placeholder:text-slate-500"
          />
          <datalist id={listId}>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a.prefix} value={a.prefix}>{a.label}</option>
            ))}
          </datalist>
        </div>
        <div>
          <label htmlFor={accountSelectId} className="block text-sm font-medium text-slate-700">Account</label>
          <select id={accountSelectId} value={accountId} onChange={(e) => set({ account: e.target.value, limit: null })} className="mt-1 rounded-lg border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900">
            <option value="">All accounts</option>
            {accounts.data?.map((a) => (
              <option key={a.id} value={a.id}>{a.name}</option>
            ))}
            {accountId && !names.has(accountId) && <option value={accountId}>{accountId}</option>}
          </select>
        </div>
        <div className="flex flex-wrap gap-1.5" role="group" aria-label="Common filters">
          {AUDIT_ACTIONS.filter((a) => ["enforcement.", "refund.", "approval.", "plan_change.", "grandfathering.", "billing."].includes(a.prefix)).map((a) => (
            <button
              key={a.prefix}
              type="button"
              aria-pressed={action === a.prefix}
              onClick={() => set({ action: action === a.prefix ? null : a.prefix, limit: null })}
              className="rounded-full px-2.5 py-1 text-xs font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-100 aria-pressed:bg-slate-900 aria-pressed:text-white aria-pressed:ring-slate-900"
            >
              {a.label}
            </button>
          ))}
        </div>
        {(action || accountId) && (
          <Button variant="ghost" onClick={() => set({ action: null, account: null, limit: null })}>Clear filters</Button>
        )}
      </div>
      <WithCatalog what="the audit log" rows={3}>
        {(catalog) => (
          <QueryState query={log} what="the audit log" rows={3}>
            {(entries) => (
              <div className={log.isPlaceholderData ? "opacity-60" : undefined} aria-busy={log.isPlaceholderData}>
                <p className="mb-2 text-sm text-slate-600" role="status">
                  {entries.length === limit ? `The latest ${entries.length} entries` : `${entries.length} ${entries.length === 1 ? "entry" : "entries"}`}
                  {deferredAction && <> with an action starting “{deferredAction}”</>}
                  {accountId && <> for {names.get(accountId) ?? accountId}</>}
                </p>
                <AuditEntries entries={entries} catalog={catalog} accountNames={names} />
                {entries.length >= limit && limit < 1000 && (
                  <div className="mt-3 flex justify-center">
                    <Button variant="secondary" onClick={() => set({ limit: String(Math.min(1000, limit + PAGE)) })}>Show older entries</Button>
                  </div>
                )}
              </div>
            )}
          </QueryState>
        )}
      </WithCatalog>
    </>
  );
}
