import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { formatDateTime } from "../../../lib/format";
import { useTRPC } from "../../../lib/trpc";
import { Button } from "../../../ui/button";

const TOPICS = [
  { value: "plan", label: "Which plan fits" },
  { value: "bill", label: "A charge or an invoice" },
  { value: "limits", label: "Limits and throttling" },
  { value: "other", label: "Something else" },
] as const;

/**
 * "Contact us about billing" (notices link here with ?contact=1): the request goes to the
 * provider's operators, who answer within four hours by e-mail and here.
 */
export function ContactPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const fieldId = useId();
  const topicId = useId();
  const [topic, setTopic] = useState<(typeof TOPICS)[number]["value"]>("plan");
  const [message, setMessage] = useState("");
  const requests = useQuery(trpc.support.list.queryOptions());
  const send = useMutation(
    trpc.support.create.mutationOptions({
      onSuccess: () => {
        setMessage("");
        void queryClient.invalidateQueries({ queryKey: trpc.support.list.queryKey() });
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send.mutate({ topic, message });
  };
  return (
    <section aria-labelledby="contact-title" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-testid="contact-panel">
      <h2 id="contact-title" className="text-base font-semibold text-slate-900">Contact us about billing</h2>
      <p className="mt-1 text-sm text-slate-600">Questions about your plan, a charge or your limits go to your provider's billing team. They answer within four hours, by e-mail and here.</p>
      <form onSubmit={submit} className="mt-4 space-y-3">
        <div>
          <label htmlFor={topicId} className="block text-sm font-medium text-slate-800">Topic</label>
          <select id={topicId} value={topic} onChange={(e) => setTopic(e.target.value as typeof topic)} className="mt-1.5 w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm sm:w-72">
            {TOPICS.map((t) => (
              <option key={t.value} value={t.value}>{t.label}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={fieldId} className="block text-sm font-medium text-slate-800">Your question</label>
          <textarea id={fieldId} rows={4} value={message} onChange={(e) => setMessage(e.target.value)} className="mt-1.5 w-full rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900" />
        </div>
        {send.isError && <p role="alert" className="text-sm text-rose-700">{send.error.message}</p>}
        {send.isSuccess && <p role="status" className="text-sm text-emerald-800">Sent. We will answer by e-mail and here.</p>}
        <div className="flex justify-end">
          <Button type="submit" disabled={send.isPending || message.trim().length < 10}>{send.isPending ? "Sending…" : "Send to billing"}</Button>
        </div>
      </form>
      {requests.data && requests.data.length > 0 && (
        <div className="mt-5 border-t border-slate-100 pt-4">
          <h3 className="text-sm font-semibold text-slate-900">Your requests</h3>
          <ul className="mt-2 space-y-3 text-sm">
            {requests.data.map((r) => (
              <li key={r.id} className="rounded-lg bg-slate-50 p-3">
                <p className="text-slate-800">{r.message}</p>
                <p className="mt-1 text-xs text-slate-500">Sent {formatDateTime(r.createdAtMs)}</p>
                {r.reply ? (
                  <p className="mt-2 border-l-2 border-brand-500 pl-3 text-slate-800"><span className="font-medium">Reply:</span> {r.reply}</p>
                ) : (
                  <p className="mt-2 text-xs text-slate-600">Waiting for an answer.</p>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
