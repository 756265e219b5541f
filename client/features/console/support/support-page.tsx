import { useId, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useNow } from "../../../lib/use-now";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { PageHeader } from "../../../ui/page-header";
import { EmptyState } from "../../../ui/states";
import { ConfirmDialog, Consequences } from "../../../ui/confirm-dialog";
import { QueryState } from "../components/query-state";
import { Segmented } from "../components/segmented";
import { When } from "../components/when";
import { consolePaths } from "../console-paths";
import type { SupportRequestData } from "../console-data";
import { formatDuration } from "../lib/format";
import { useReplySupport } from "./use-reply-support";
import { actorInWords } from "../lib/actor-words";
import { useSupportQueue } from "./use-support-queue";

const TOPIC: Record<string, string> = { plan: "Plan", bill: "Bill", limits: "Limits", other: "Other" };

/** The billing-support queue with its four-hour response clock; replies go by e-mail and into the portal. */
export function SupportPage() {
  const queue = useSupportQueue();
  const nowMs = useNow(30_000);
  const [params, setParams] = useSearchParams();
  const view = params.get("view") === "answered" ? "answered" : "open";
  const [announcement, setAnnouncement] = useState("");

  return (
    <>
      <PageHeader title="Support" description="Billing questions from customers. Each is answered within 4 hours; the clock shows the time left." />
      <p role="status" aria-live="polite" className={announcement ? "mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900" : "sr-only"}>
        {announcement}
      </p>
      <QueryState query={queue} what="the support queue">
        {(data) => {
          const open = data.filter((r) => r.repliedAtMs === null);
          const answered = data.filter((r) => r.repliedAtMs !== null).reverse();
          const shown = view === "open" ? open : answered;
          return (
            <>
              <div className="mb-4">
                <Segmented
                  legend="Requests"
                  options={[
                    { value: "open", label: `Open (${open.length})` },
                    { value: "answered", label: `Answered (${answered.length})` },
                  ]}
                  value={view}
                  onChange={(v) => setParams(v === "open" ? {} : { view: v }, { replace: true })}
                />
              </div>
              {shown.length === 0 ? (
                <EmptyState title={view === "open" ? "No open requests" : "Nothing answered yet"}>
                  {view === "open" ? "Customers ask from the Support page of their portal; their questions appear here." : "Answered requests, with the reply sent, are listed here."}
                </EmptyState>
              ) : (
                <ul className="space-y-4">
                  {shown.map((r) => (
                    <SupportItem key={r.id} r={r} nowMs={nowMs} onReplied={setAnnouncement} />
                  ))}
                </ul>
              )}
            </>
          );
        }}
      </QueryState>
    </>
  );
}

function ResponseClock({ r, nowMs }: { r: SupportRequestData; nowMs: number }) {
  if (r.repliedAtMs !== null) {
    const took = r.repliedAtMs - r.createdAtMs;
    return <Badge tone={r.overdue ? "bad" : "good"}>Answered in {formatDuration(took)}{r.overdue ? " (late)" : ""}</Badge>;
  }
  const left = r.dueAtMs - nowMs;
  if (left <= 0) return <span className="rounded-full bg-rose-600 px-2.5 py-0.5 text-xs font-semibold text-white" data-testid="clock">Overdue by {formatDuration(-left)}</span>;
  return <Badge tone={left < 3_600_000 ? "warn" : "neutral"}><span data-testid="clock">{formatDuration(left)} left</span></Badge>;
}

function SupportItem({ r, nowMs, onReplied }: { r: SupportRequestData; nowMs: number; onReplied: (message: string) => void }) {
  const overdueNow = r.repliedAtMs === null && nowMs > r.dueAtMs;
  return (
    <li className={`rounded-xl border bg-white shadow-sm ${overdueNow ? "border-rose-300 ring-1 ring-rose-200" : "border-slate-200"}`} data-testid="support-request">
      <div className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-5 py-3">
        <div>
          <p className="font-semibold text-slate-900">
            <Link to={consolePaths.account(r.accountId)} className="underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900">{r.accountName}</Link>{" "}
            <Badge tone="neutral">{TOPIC[r.topic] ?? r.topic}</Badge>
          </p>
          <p className="mt-0.5 text-xs text-slate-600">
            {r.email} · asked <When ms={r.createdAtMs} /> ({<When ms={r.createdAtMs} relative nowMs={nowMs} />}) · due <When ms={r.dueAtMs} />
          </p>
        </div>
        <ResponseClock r={r} nowMs={nowMs} />
      </div>
      <div className="px-5 py-4">
        <p className="whitespace-pre-wrap text-sm leading-relaxed text-slate-900">{r.message}</p>
        {r.repliedAtMs !== null ? (
          <div className="mt-4 rounded-lg bg-slate-50 px-4 py-3 ring-1 ring-inset ring-slate-200">
            <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">
              Reply by {actorInWords(r.repliedBy ?? "operator").who}, <When ms={r.repliedAtMs} />
            </p>
            <p className="mt-1 whitespace-pre-wrap text-sm text-slate-900">{r.reply}</p>
          </div>
        ) : (
          <ReplyBox r={r} onReplied={onReplied} />
        )}
      </div>
    </li>
  );
}

function ReplyBox({ r, onReplied }: { r: SupportRequestData; onReplied: (message: string) => void }) {
  const reply = useReplySupport();
  const [text, setText] = useState("");
  const [asking, setAsking] = useState(false);
  const [touched, setTouched] = useState(false);
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  const problem = text.trim().length < 2 ? "Write a reply first." : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (!problem) setAsking(true);
  }

  function close(open: boolean) {
    if (open || reply.isPending) return;
    reply.reset();
    setAsking(false);
  }

  return (
    <form onSubmit={submit} noValidate className="mt-4">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">Reply to {r.accountName}</label>
      <textarea
        id={id}
        value={text}
        onChange={(e) => setText(e.target.value)}
        rows={3}
        maxLength={4000}
        aria-invalid={touched && problem ? true : undefined}
        aria-describedby={touched && problem ? `${hintId} ${errorId}` : hintId}
        className="mt-1.5 w-full rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900 aria-[invalid=true]:border-rose-500"
      />
      <div className="mt-2 flex flex-wrap items-center justify-between gap-2">
        <p id={hintId} className="text-xs text-slate-600">Sent by e-mail to {r.email} and shown in their portal.</p>
        <Button type="submit">Send reply…</Button>
      </div>
      {touched && problem && <p id={errorId} className="mt-1 text-sm text-rose-700">{problem}</p>}
      <ConfirmDialog
        open={asking}
        onOpenChange={close}
        title={`Send this reply to ${r.accountName}?`}
        confirmLabel="Send reply"
        pendingLabel="Sending…"
        pending={reply.isPending}
        error={reply.isError ? reply.error.message : null}
        onConfirm={() =>
          reply.mutate(
            { requestId: r.id, reply: text.trim() },
            {
              onSuccess: () => {
                onReplied(`Reply sent to ${r.accountName} (${r.email}).`);
                reply.reset();
                setAsking(false);
                setText("");
              },
            },
          )
        }
      >
        <blockquote className="mb-4 max-h-48 overflow-auto whitespace-pre-wrap border-l-4 border-slate-200 pl-3 text-sm text-slate-800">{text.trim()}</blockquote>
        <Consequences items={[`E-mailed to ${r.email} and shown in their portal as a notice.`, "A reply cannot be edited or taken back.", "The request is marked answered; recorded in the audit log."]} />
      </ConfirmDialog>
    </form>
  );
}
