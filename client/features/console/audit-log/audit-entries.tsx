import { Link } from "react-router";
import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import { formatCount } from "../../../lib/format";
import { EmptyNote, TableFrame, Td, Th, THead } from "../components/table";
import { When } from "../components/when";
import { consolePaths } from "../console-paths";
import type { AuditEntry } from "../console-data";
import { formatDateTimeUtc } from "../lib/format";
import { actorInWords, describeAuditEntry } from "./audit-words";

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

/** The recorded details as they are stored, folded away: ids for looking things up. */
function Details({ catalog, details }: { catalog: Catalog; details: Record<string, unknown> }) {
  const entries = Object.entries(details).filter(([k]) => k !== "currency");
  if (entries.length === 0) return null;
  return (
    <details className="mt-1 text-xs">
      <summary className="cursor-pointer text-slate-600">Recorded details</summary>
      <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5">
        {entries.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-600">{k}</dt>
            <dd className="break-words text-slate-900">{detailValue(catalog, k, v, details)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

function Actor({ actor }: { actor: string }) {
  const { who, role } = actorInWords(actor);
  return (
    <span className="text-sm" title={actor} data-testid="audit-actor">
      <span className="font-medium text-slate-900">{who}</span>
      {role && <span className="block text-xs text-slate-600">{role}</span>}
    </span>
  );
}

/** The audit log as a table, newest first; `accountNames` turns account ids into links with names, the catalog plan ids into names. */
export function AuditEntries({ entries, catalog, accountNames, showAccount = true, label = "Audit log" }: { entries: AuditEntry[]; catalog: Catalog; accountNames?: Map<string, string>; showAccount?: boolean; label?: string }) {
  if (entries.length === 0) return <EmptyNote testId="audit-log">Nothing recorded{showAccount ? " for these filters" : " for this account yet"}.</EmptyNote>;
  return (
    <TableFrame label={label} minWidth={showAccount ? 760 : 600} testId="audit-log">
      <THead>
        <tr>
          <Th>When (UTC)</Th>
          <Th>Action</Th>
          {showAccount && <Th>Account</Th>}
          <Th>By</Th>
        </tr>
      </THead>
      <tbody className="divide-y divide-slate-100">
        {entries.map((e) => (
          <AuditRow key={e.id} entry={e} catalog={catalog} accountNames={accountNames} showAccount={showAccount} />
        ))}
      </tbody>
    </TableFrame>
  );
}

function AuditRow({ entry: e, catalog, accountNames, showAccount }: { entry: AuditEntry; catalog: Catalog; accountNames?: Map<string, string>; showAccount: boolean }) {
  const words = describeAuditEntry(e, { planName: (id) => catalog.nameOf(id), accountName: (id) => accountNames?.get(id) });
  return (
    <tr data-testid="audit-entry" data-action={e.action}>
      <Td className="whitespace-nowrap"><When ms={e.atMs} /></Td>
      <Td>
        <p className="font-medium text-slate-900" data-testid="audit-sentence">{words.sentence}</p>
        {words.facts.length > 0 && (
          <ul className="mt-0.5 text-sm text-slate-800">
            {words.facts.map((f) => <li key={f}>{f}</li>)}
          </ul>
        )}
        <p className="mt-0.5 text-xs text-slate-600">
          {ACTION_LABEL[e.action] ?? "Action"} · <span className="font-mono">{e.action}</span>
        </p>
        <Details catalog={catalog} details={e.details} />
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
      <Td><Actor actor={e.actor} /></Td>
    </tr>
  );
}
