import { useId } from "react";
import { Link, useSearchParams } from "react-router";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { PageHeader } from "../../../ui/page-header";
import { EmptyState } from "../../../ui/states";
import { useAccounts } from "../accounts/use-accounts";
import { QueryState } from "../components/query-state";
import { TableFrame, Td, Th, THead } from "../components/table";
import { When } from "../components/when";
import { withParams } from "../lib/search-params";
import { MessagePreview } from "./message-preview";
import { outboxStatusLabel, STATUS_TONE } from "./outbox-status";
import { useOutbox } from "./use-outbox";
import type { OutboxMessage } from "../console-data";

const PAGE = 50;

/** E-mails and webhooks as they were sent (or kept, without SMTP): open one to read it as rendered. */
export function OutboxPage() {
  const [params, setParams] = useSearchParams();
  const accountId = params.get("account") ?? undefined;
  const selected = params.get("id");
  const limit = Math.min(200, Math.max(PAGE, Number(params.get("limit")) || PAGE));
  const outbox = useOutbox({ accountId, limit });
  const accounts = useAccounts();
  const accountSelectId = useId();

  const set = (changes: Record<string, string | null>) => setParams((p) => withParams(p, changes), { replace: false });
  const linkTo = (id: string) => `?${withParams(params, { id }).toString()}`;

  return (
    <>
      <PageHeader title="Outbox" description="Every e-mail and webhook Headroom sent, or kept here when no SMTP server is configured, exactly as rendered." />
      <div className="mb-4 flex flex-wrap items-center gap-2">
        <label htmlFor={accountSelectId} className="text-sm font-medium text-slate-700">Account</label>
        <select id={accountSelectId} value={accountId ?? ""} onChange={(e) => set({ account: e.target.value || null, id: null, limit: null })} className="rounded-lg border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900">
          <option value="">All accounts</option>
          {accounts.data?.map((a) => (
            <option key={a.id} value={a.id}>{a.name}</option>
          ))}
        </select>
      </div>
      <QueryState query={outbox} what="the outbox" rows={3}>
        {(messages) => {
          if (messages.length === 0) return <EmptyState title="No messages">{accountId ? "Nothing was sent to this account yet." : "Notices, receipts and sign-in links appear here as they are sent."}</EmptyState>;
          const current = selected ? messages.find((m) => m.id === selected) : undefined;
          return (
            <div className={`grid gap-6 ${current ? "xl:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]" : ""}`}>
              <div className="min-w-0">
                {current ? (
                  <CompactList messages={messages} currentId={current.id} linkTo={linkTo} />
                ) : (
                  <TableFrame label="Messages" minWidth={900} testId="outbox-table">
                    <THead>
                      <tr>
                        <Th>Created</Th>
                        <Th>Recipient</Th>
                        <Th>Subject</Th>
                        <Th>Status</Th>
                        <Th numeric>Attempts</Th>
                        <Th>Last error</Th>
                        <Th>Sent</Th>
                      </tr>
                    </THead>
                    <tbody className="divide-y divide-slate-100">
                      {messages.map((m) => (
                        <tr key={m.id} className="hover:bg-slate-50" data-testid="outbox-row">
                          <Td className="whitespace-nowrap"><When ms={m.createdAtMs} /></Td>
                          <Td className="break-all">{m.recipient}</Td>
                          <Td>
                            <Link to={linkTo(m.id)} className="font-medium text-slate-900 underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900">
                              {m.subject}
                            </Link>
                            {m.channel !== "email" && <span className="ml-2"><Badge tone="neutral">{m.channel}</Badge></span>}
                          </Td>
                          <Td><Badge tone={STATUS_TONE[m.status] ?? "neutral"}>{outboxStatusLabel(m.status)}</Badge></Td>
                          <Td numeric>{m.attempts}</Td>
                          <Td className="max-w-56 break-words text-xs text-rose-800">{m.lastError ?? <span className="text-slate-600">–</span>}</Td>
                          <Td className="whitespace-nowrap">{m.sentAtMs === null ? <span className="text-slate-600">–</span> : <When ms={m.sentAtMs} />}</Td>
                        </tr>
                      ))}
                    </tbody>
                  </TableFrame>
                )}
                {messages.length >= limit && limit < 200 && (
                  <div className="mt-3 flex justify-center">
                    <Button variant="secondary" onClick={() => set({ limit: String(Math.min(200, limit + PAGE)) })}>Show {PAGE} more</Button>
                  </div>
                )}
              </div>
              {selected && !current && (
                <p className="text-sm text-slate-600">The message you linked to is not among the latest {messages.length}. <button type="button" className="font-medium text-brand-700 underline" onClick={() => set({ id: null })}>Close</button></p>
              )}
              {current && (
                <div className="min-w-0 xl:sticky xl:top-4 xl:self-start">
                  <MessagePreview message={current} onClose={() => set({ id: null })} />
                </div>
              )}
            </div>
          );
        }}
      </QueryState>
    </>
  );
}

/** The list beside an open message: subject, recipient and time in one cell, so the preview gets the room. */
function CompactList({ messages, currentId, linkTo }: { messages: OutboxMessage[]; currentId: string; linkTo: (id: string) => string }) {
  return (
    <ul aria-label="Messages" className="max-h-[calc(100dvh-12rem)] divide-y divide-slate-100 overflow-y-auto rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="outbox-table">
      {messages.map((m) => {
        const isCurrent = m.id === currentId;
        return (
          <li key={m.id} className={isCurrent ? "bg-brand-50" : "hover:bg-slate-50"} data-testid="outbox-row">
            <Link to={linkTo(m.id)} aria-current={isCurrent ? "true" : undefined} className="block px-4 py-2.5">
              <span className="flex items-start justify-between gap-3">
                <span className="font-medium text-slate-900">{m.subject}</span>
                <Badge tone={STATUS_TONE[m.status] ?? "neutral"}>{outboxStatusLabel(m.status)}</Badge>
              </span>
              <span className="mt-0.5 block truncate text-xs text-slate-600">
                {m.channel !== "email" ? `${m.channel} · ` : ""}
                {m.recipient} · <When ms={m.createdAtMs} />
              </span>
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
