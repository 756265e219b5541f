import { useId } from "react";
import { Link, useSearchParams } from "react-router";
import { formatCount } from "../../../lib/format";
import { Badge } from "../../../ui/badge";
import { PageHeader } from "../../../ui/page-header";
import { EmptyState } from "../../../ui/states";
import { ModeBadge } from "../components/mode-badge";
import { QueryState } from "../components/query-state";
import { EmptyRow, TableFrame, Td, Th, THead } from "../components/table";
import { When } from "../components/when";
import { consolePaths } from "../console-paths";
import { useAccounts } from "./use-accounts";

/** Every account, to reach one that is not over a cap (a refund, grandfathering, its audit trail). */
export function AccountsPage() {
  const accounts = useAccounts();
  const [params, setParams] = useSearchParams();
  const search = params.get("q") ?? "";
  const searchId = useId();
  const needle = search.trim().toLowerCase();

  return (
    <>
      <PageHeader title="Accounts" description="Every customer account: its plan, its enforcement mode and today's calls (UTC)." />
      <div className="mb-4 flex items-center gap-2">
        <label htmlFor={searchId} className="text-sm font-medium text-slate-700">Find</label>
        <input
          id={searchId}
          type="search"
          value={search}
          onChange={(e) => setParams(e.target.value ? { q: e.target.value } : {}, { replace: true })}
          placeholder="Name, e-mail or id"
          className="w-72 max-w-full rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-900 placeholder:text-slate-500"
        />
      </div>
      <QueryState query={accounts} what="the accounts">
        {(data) => {
          if (data.length === 0) {
            return (
              <EmptyState title="No accounts yet">
                Create one with <code className="rounded bg-slate-100 px-1">npm run headroom -- accounts create</code>.
              </EmptyState>
            );
          }
          const shown = needle ? data.filter((a) => `${a.name} ${a.email} ${a.id}`.toLowerCase().includes(needle)) : data;
          return (
            <TableFrame label="Accounts" minWidth={760} testId="accounts-table">
              <THead>
                <tr>
                  <Th>Account</Th>
                  <Th>Plan</Th>
                  <Th>Mode</Th>
                  <Th>Terms</Th>
                  <Th numeric>Calls today</Th>
                  <Th numeric>Would throttle today</Th>
                  <Th numeric>Refused today</Th>
                </tr>
              </THead>
              <tbody className="divide-y divide-slate-100">
                {shown.length === 0 && <EmptyRow colSpan={7}>No account matches “{search}”.</EmptyRow>}
                {shown.map((a) => (
                  <tr key={a.id} className="hover:bg-slate-50">
                    <Td>
                      <Link to={consolePaths.account(a.id)} className="font-medium text-slate-900 underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900">
                        {a.name}
                      </Link>
                      <p className="text-xs text-slate-600">{a.id} · {a.email}</p>
                    </Td>
                    <Td>{a.planName}</Td>
                    <Td><ModeBadge mode={a.enforcement} /></Td>
                    <Td>
                      {a.grandfatheredUntilMs !== null && a.grandfatheredUntilMs > Date.now() ? (
                        <Badge tone="brand">
                          Grandfathered until&nbsp;<When ms={a.grandfatheredUntilMs} dateOnly />
                        </Badge>
                      ) : (
                        <span className="text-slate-600">Standard</span>
                      )}
                    </Td>
                    <Td numeric>{formatCount(a.today.allowed + a.today.wouldThrottle)}</Td>
                    <Td numeric>{formatCount(a.today.wouldThrottle)}</Td>
                    <Td numeric>{formatCount(a.today.throttled + a.today.ceiling)}</Td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          );
        }}
      </QueryState>
    </>
  );
}
