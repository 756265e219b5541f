import { formatAgo, formatDate, formatDateTime, isoInstant } from "../../../lib/format";
import { Button } from "../../../ui/button";
import type { KeyToRevoke } from "./revoke-key-dialog";

export interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
}

/** Active keys: name, the prefix that identifies it, when it was made and last used. */
export function KeyList({ keys, nowMs, onRevoke }: { keys: KeyRow[]; nowMs: number; onRevoke: (key: KeyToRevoke) => void }) {
  return (
    <ul aria-label="Active API keys" className="divide-y divide-slate-100">
      {keys.map((k) => (
        <li key={k.id} className="grid grid-cols-[1fr_auto] items-end gap-x-4 gap-y-3 px-5 py-4 sm:grid-cols-[1fr_18rem_auto] sm:items-center sm:gap-x-6" data-testid="key-row">
          <div className="col-span-2 min-w-0 sm:col-span-1">
            <p className="truncate font-medium text-slate-900" title={k.name}>{k.name}</p>
            <p className="mt-0.5 font-mono text-sm text-slate-600">{k.prefix}…</p>
          </div>
          <dl className="grid grid-cols-2 gap-x-6 text-sm">
            <div>
              <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Created</dt>
              <dd className="mt-0.5 whitespace-nowrap text-slate-800">
                <time dateTime={isoInstant(k.createdAtMs)} title={formatDateTime(k.createdAtMs)}>{formatDate(k.createdAtMs)}</time>
              </dd>
            </div>
            <div>
              <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Last used</dt>
              <dd className="mt-0.5 whitespace-nowrap text-slate-800">
                {k.lastUsedAtMs === null ? (
                  <span className="text-slate-500">Never</span>
                ) : (
                  <time dateTime={isoInstant(k.lastUsedAtMs)} title={formatDateTime(k.lastUsedAtMs)}>{formatAgo(k.lastUsedAtMs, nowMs)}</time>
                )}
              </dd>
            </div>
          </dl>
          <Button variant="secondary" onClick={() => onRevoke({ id: k.id, name: k.name, prefix: k.prefix })}>
            Revoke<span className="sr-only"> {k.name}</span>
          </Button>
        </li>
      ))}
    </ul>
  );
}
