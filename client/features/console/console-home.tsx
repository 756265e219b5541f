import { useQuery } from "@tanstack/react-query";
import { formatCount } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { Badge } from "../../ui/badge";
import { PageHeader } from "../../ui/page-header";
import { EmptyState, ErrorState, LoadingBlock } from "../../ui/states";

const MODE_TONE = { off: "neutral", shadow: "warn", enforce: "bad" } as const;

export function ConsoleHome() {
  const trpc = useTRPC();
  const accounts = useQuery(trpc.operator.accounts.queryOptions());
  return (
    <>
      <PageHeader title="Accounts" description="Every customer account, its plan, its enforcement mode and today's calls." />
      {accounts.isPending && <LoadingBlock rows={2} />}
      {accounts.isError && <ErrorState message={accounts.error.message} onRetry={() => accounts.refetch()} />}
      {accounts.data && accounts.data.length === 0 && (
        <EmptyState title="No accounts yet">Create one with <code className="rounded bg-slate-100 px-1">npm run headroom -- accounts create</code>.</EmptyState>
      )}
      {accounts.data && accounts.data.length > 0 && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="w-full min-w-[640px] text-left text-sm">
            <thead className="border-b border-slate-200 text-slate-600">
              <tr>
                <th scope="col" className="px-4 py-3 font-medium">Account</th>
                <th scope="col" className="px-4 py-3 font-medium">Plan</th>
                <th scope="col" className="px-4 py-3 font-medium">Enforcement</th>
                <th scope="col" className="px-4 py-3 text-right font-medium">Calls today</th>
                <th scope="col" className="px-4 py-3 text-right font-medium">Would be throttled today</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {accounts.data.map((a) => (
                <tr key={a.id}>
                  <td className="px-4 py-3">
                    <p className="font-medium text-slate-900">{a.name}</p>
                    <p className="text-xs text-slate-500">{a.id} · {a.email}</p>
                  </td>
                  <td className="px-4 py-3">{a.planName}</td>
                  <td className="px-4 py-3"><Badge tone={MODE_TONE[a.enforcement]}>{a.enforcement}</Badge></td>
                  <td className="px-4 py-3 text-right tabular-nums">{formatCount(a.today.allowed + a.today.wouldThrottle)}</td>
                  <td className="px-4 py-3 text-right tabular-nums">{formatCount(a.today.wouldThrottle)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
