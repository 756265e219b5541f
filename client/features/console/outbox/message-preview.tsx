import { useEffect, useRef, useState } from "react";
import { Badge } from "../../../ui/badge";
import { Segmented } from "../components/segmented";
import { When } from "../components/when";
import type { OutboxMessage } from "../console-data";
import { outboxStatusLabel, STATUS_TONE } from "./outbox-status";

/**
 * One message as it was sent: its envelope, the rendered HTML in a sandboxed frame (no scripts, no
 * forms, no same-origin access: `sandbox=""`) and the text part.
 */
export function MessagePreview({ message, onClose }: { message: OutboxMessage; onClose: () => void }) {
  const [part, setPart] = useState<"html" | "text">(message.html ? "html" : "text");
  const heading = useRef<HTMLHeadingElement>(null);
  // Opening a message moves the focus to it, so keyboard and screen-reader users land on what they opened.
  useEffect(() => {
    setPart(message.html ? "html" : "text");
    heading.current?.focus();
  }, [message.id, message.html]);

  return (
    <section aria-labelledby="message-subject" className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="message-preview">
      <header className="border-b border-slate-100 px-5 py-4">
        <div className="flex items-start justify-between gap-3">
          <h2 id="message-subject" ref={heading} tabIndex={-1} className="text-base font-semibold text-slate-900 focus:outline-none">
            {message.subject}
          </h2>
          <button type="button" onClick={onClose} className="-m-1.5 rounded-lg p-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900">
            <span className="sr-only">Close the message</span>
            <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden>
              <path d="M6 6l12 12M18 6 6 18" />
            </svg>
          </button>
        </div>
        <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-slate-600">To</dt>
          <dd className="break-all text-slate-900">{message.recipient}</dd>
          <dt className="text-slate-600">Status</dt>
          <dd className="flex flex-wrap items-center gap-2">
            <Badge tone={STATUS_TONE[message.status] ?? "neutral"}>{outboxStatusLabel(message.status)}</Badge>
            <span className="text-slate-700">{message.channel} · {message.attempts} {message.attempts === 1 ? "attempt" : "attempts"}</span>
          </dd>
          <dt className="text-slate-600">Created</dt>
          <dd className="text-slate-900"><When ms={message.createdAtMs} /></dd>
          <dt className="text-slate-600">Sent</dt>
          <dd className="text-slate-900">{message.sentAtMs === null ? <span className="text-slate-600">{message.status === "stored" ? "not sent: kept here, no SMTP server is configured" : "not yet"}</span> : <When ms={message.sentAtMs} />}</dd>
          {message.lastError && (
            <>
              <dt className="text-slate-600">Last error</dt>
              <dd className="break-words text-rose-800">{message.lastError}</dd>
            </>
          )}
        </dl>
      </header>
      <div className="px-5 py-4">
        {message.html && message.text && (
          <div className="mb-3">
            <Segmented
              legend="Part to show"
              options={[
                { value: "html", label: "HTML" },
                { value: "text", label: "Text" },
              ]}
              value={part}
              onChange={setPart}
            />
          </div>
        )}
        {part === "html" && message.html ? (
          <iframe
            title={`Rendered e-mail: ${message.subject}`}
            sandbox=""
            srcDoc={message.html}
            referrerPolicy="no-referrer"
            className="h-[32rem] w-full rounded-lg border border-slate-200 bg-white"
            data-testid="message-html"
          />
        ) : message.text ? (
          <pre className="max-h-[32rem] overflow-auto whitespace-pre-wrap break-words rounded-lg bg-slate-50 p-4 font-mono text-[13px] leading-relaxed text-slate-900 ring-1 ring-inset ring-slate-200" tabIndex={0} aria-label="Text part" data-testid="message-text">
            {message.text}
          </pre>
        ) : (
          <p className="text-sm text-slate-600">This message has no text or HTML part (a webhook carries its JSON payload).</p>
        )}
      </div>
    </section>
  );
}
