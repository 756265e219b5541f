import { Link } from "react-router";
import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import { formatCount } from "../../../lib/format";
import { EmptyNote, TableFrame, Td, Th, THead } from "../components/table";
import { When } from "../components/when";
import { consolePaths } from "../console-paths";
import type { AuditEntry } from "../console-data";
import { formatDateTimeUtc } from "../lib/format";

/** Every audited action, with a label an operator reads at a glance (the code stays visible for filtering). */
export const AUDIT_ACTIONS: Array<{ prefix: string; label: string }> = [
  { prefix: "sign_in", label: "Sign-in" },
  { prefix: "key.", label: "API keys" },
  { prefix: "plan_change.", label: "Plan changes" },
  { prefix: "approval.", label: "Approvals" },
  { prefix: "enforcement.", label: "Enforcement" },
  { prefix: "grandfathering.", label: "Grandfathering" },
  { prefix: "billing.", label: "Billing pause" },
  { prefix: "refund.", label: "Refunds" },
  { prefix: "anomaly.", label: "Anomalies" },
  { prefix: "support.", label: "Support" },
];

const ACTION_LABEL: Record<string, string> = {
  sign_in: "Signed in",
  "key.created": "API key created",
  "key.revoked": "API key revoked",
  "plan_change.confirmed": "Plan change confirmed",
  "plan_change.cancelled": "Plan change cancelled",
  "approval.decided": "Approval decided",
  "enforcement.changed": "Enforcement changed",
  "grandfathering.set": "Grandfathering set",
  "billing.paused": "Billing paused",
  "billing.resumed": "Billing resumed",
  "refund.issued": "Refund issued",
  "anomaly.acknowledged": "Anomaly acknowledged",
  "support.replied": "Support reply sent",
};

/** A detail value in words: dates for *Ms, money for *Minor (with the entry's currency), plans by name. */
function detailValue(catalog: Catalog, key: string, value: unknown, details: Record<string, unknown>): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "number") {
    if (key.endsWith("Ms")) return formatDateTimeUtc(value);
    if (key.endsWith("Minor") && Number.isInteger(value)) return formatMoney(value, typeof details.currency === "string" ? details.currency : "USD");
    return formatCount(value);
  }
  // `from` and `to` are plans or, for an enforcement change, modes: a mode is no plan and stays as it is.
  if (typeof value === "string") return key === "planId" || key === "from" || key === "to" ? catalog.nameOf(value) : value;
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map(String).join(", ");
  return JSON.stringify(value);
}

function Details({ catalog, details }: { catalog: Catalog; details: Record<string, unknown> }) {
  const entries = Object.entries(details).filter(([k]) => k !== "currency");
  if (entries.length === 0) return <span className="text-slate-600">–</span>;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
      {entries.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-600">{k}</dt>
          <dd className="break-words text-slate-900">{detailValue(catalog, k, v, details)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The audit log as a table, newest first; `accountNames` turns account ids into links with names, the catalog plan ids into names. */
export function AuditEntries({ entries, catalog, accountNames, showAccount = true, label = "Audit log" }: { entries: AuditEntry[]; catalog: Catalog; accountNames?: Map<string, string>; showAccount?: boolean; label?: string }) {
  if (entries.length === 0) return <EmptyNote testId="audit-log">Nothing recorded{showAccount ? " for these filters" : " for this account yet"}.</EmptyNote>;
  return (
    <TableFrame label={label} minWidth={showAccount ? 860 : 640} testId="audit-log">
      <THead>
        <tr>
          <Th>When (UTC)</Th>
          <Th>Action</Th>
          {showAccount && <Th>Account</Th>}
          <Th>By</Th>
          <Th>Details</Th>
        </tr>
      </THead>
      <tbody className="divide-y divide-slate-100">
        {entries.map((e) => (
          <tr key={e.id} data-testid="audit-entry" data-action={e.action}>
            <Td className="whitespace-nowrap"><When ms={e.atMs} /></Td>
            <Td>
              <span className="font-medium text-slate-900">{ACTION_LABEL[e.action] ?? e.action}</span>
              <p className="font-mono text-xs text-slate-600">{e.action}</p>
            </Td>
            {showAccount && (
              <Td>
                {e.accountId ? (
                  <Link to={consolePaths.account(e.accountId)} className="text-brand-700 underline underline-offset-2">
                    {accountNames?.get(e.accountId) ?? e.accountId}
                  </Link>
                ) : (
                  <span className="text-slate-600">–</span>
                )}
              </Td>
            )}
            <Td className="break-all text-xs text-slate-800">{e.actor}</Td>
            <Td><Details catalog={catalog} details={e.details} /></Td>
          </tr>
        ))}
      </tbody>
    </TableFrame>
  );
}
