import { formatDateTime, isoInstant } from "../../../lib/format";
import { EmptyState, ErrorState, LoadingBlock } from "../../../ui/states";
import { useSupportRequests } from "../use-support-requests";

const TOPIC: Record<string, string> = { plan: "Which plan fits", bill: "A charge or an invoice", limits: "Limits and throttling", other: "Something else" };

/** The account's questions, newest first, each with its reply; line breaks are kept as written. */
export function SupportRequests() {
  const requests = useSupportRequests();
  return (
    <section aria-labelledby="requests-title" data-testid="support-requests">
      <h2 id="requests-title" className="mb-3 text-base font-semibold text-slate-900">Your questions and our replies</h2>
      {requests.isPending && <LoadingBlock rows={1} label="Loading your questions…" />}
      {requests.isError && <ErrorState title="We could not load your questions" message={requests.error.message} onRetry={() => requests.refetch()} />}
      {requests.data && requests.data.length === 0 && <EmptyState title="No questions yet">What you ask, and the billing team's answers, are listed here.</EmptyState>}
      {requests.data && requests.data.length > 0 && (
        <ul className="space-y-3 text-sm">
          {requests.data.map((r) => (
            <li key={r.id} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="support-request">
              <p className="text-xs text-slate-600">
                <span className="font-medium text-slate-700">{TOPIC[r.topic] ?? r.topic}</span> · sent <time dateTime={isoInstant(r.createdAtMs)}>{formatDateTime(r.createdAtMs)}</time>
              </p>
              <p className="mt-2 whitespace-pre-wrap break-words text-slate-900" data-testid="support-message">{r.message}</p>
              {r.reply ? (
                <div className="mt-3 border-l-2 border-brand-500 pl-3" data-testid="support-reply">
                  <p className="text-xs text-slate-600">
                    <span className="font-medium text-slate-700">Reply</span>
                    {r.repliedAtMs !== null && (
                      <>
                        {" "}· <time dateTime={isoInstant(r.repliedAtMs)}>{formatDateTime(r.repliedAtMs)}</time>
                      </>
                    )}
                  </p>
                  <p className="mt-1 whitespace-pre-wrap break-words text-slate-900">{r.reply}</p>
                </div>
              ) : (
                <p className="mt-3 text-xs text-slate-600">Waiting for an answer (usually within four hours).</p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
