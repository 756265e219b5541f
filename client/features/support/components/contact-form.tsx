import { useId, useState, type FormEvent } from "react";
import { SUPPORT_MESSAGE_MAX_CHARS, SUPPORT_MESSAGE_MIN_CHARS, supportMessageCounter, supportMessageProblem, supportTextLength } from "../../../../shared/support-text";
import { Button } from "../../../ui/button";
import { useCreateSupportRequest } from "../use-create-support-request";
import { sendErrorText } from "../support-errors";

const TOPICS = [
  { value: "plan", label: "Which plan fits" },
  { value: "bill", label: "A charge or an invoice" },
  { value: "limits", label: "Limits and throttling" },
  { value: "other", label: "Something else" },
] as const;

/**
 * The question form: what is missing is said under the field (with a counter) before the button is
 * disabled, in the same words the server would answer with.
 */
export function ContactForm() {
  const fieldId = useId();
  const topicId = useId();
  const hintId = useId();
  const [topic, setTopic] = useState<(typeof TOPICS)[number]["value"]>("plan");
  const [message, setMessage] = useState("");
  const [touched, setTouched] = useState(false);
  const send = useCreateSupportRequest(() => {
    setMessage("");
    setTouched(false);
  });
  const length = supportTextLength(message);
  const problem = supportMessageProblem(length);
  const tooLong = length > SUPPORT_MESSAGE_MAX_CHARS;
  // Nothing typed yet is not an error: the hint says what is needed, in grey, until the field is used.
  const showProblem = problem !== null && (touched || length > 0);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem) return;
    send.mutate({ topic, message });
  };

  return (
    <section aria-labelledby="contact-title" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-testid="contact-panel">
      <h2 id="contact-title" className="text-base font-semibold text-slate-900">Ask a question</h2>
      <p className="mt-1 text-sm text-slate-600">Questions about your plan, a charge or your limits go to your provider's billing team. They answer within four hours, by e-mail and here.</p>
      <form onSubmit={submit} className="mt-4 space-y-3" noValidate>
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
          <textarea
            id={fieldId}
            rows={5}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            onBlur={() => message.length > 0 && setTouched(true)}
            aria-describedby={hintId}
            aria-invalid={showProblem || undefined}
            className={`mt-1.5 w-full rounded-lg border px-3 py-2 text-sm text-slate-900 ${showProblem ? "border-rose-400" : "border-slate-300"}`}
          />
          <div id={hintId} className="mt-1 flex flex-wrap items-start justify-between gap-x-4 gap-y-1 text-xs" data-testid="question-hint">
            <p className={showProblem ? "text-rose-700" : "text-slate-600"} aria-live="polite">
              {showProblem ? problem : `At least ${SUPPORT_MESSAGE_MIN_CHARS} characters. Line breaks are kept.`}
            </p>
            <p className={`tabular-nums ${tooLong ? "font-medium text-rose-700" : "text-slate-600"}`} data-testid="question-counter">
              <span className="sr-only">Characters used: </span>
              {supportMessageCounter(length)}
            </p>
          </div>
        </div>
        {send.isError && <p role="alert" className="text-sm text-rose-700">{sendErrorText(send.error, length)}</p>}
        {send.isSuccess && <p role="status" className="text-sm text-emerald-800">Sent. We will answer by e-mail and here.</p>}
        <div className="flex justify-end">
          <Button type="submit" disabled={send.isPending || problem !== null}>{send.isPending ? "Sending…" : "Send to billing"}</Button>
        </div>
      </form>
    </section>
  );
}
