import { useId, useRef } from "react";
import { formatDateTime, isoInstant } from "../../../lib/format";
import { Badge } from "../../../ui/badge";
import { SeverityIcon } from "../../../ui/banner";
import { kindLabel, SEVERITY, type ChoiceKind } from "../notice-text";
import { useMarkNoticeRead } from "../use-mark-notice-read";
import type { NoticeItem } from "../use-notices";
import { ChoiceList, type Choice } from "./notice-choices";

function choicesOf(n: NoticeItem): Choice[] {
  const url: Record<ChoiceKind, string | null> = { upgrade: n.links.upgrade, reduce: n.links.usage, contact: n.links.contact };
  return n.message.choices.map((c) => ({ ...c, url: url[c.kind] }));
}

/** A moment in UTC, as the notice's own words and e-mail state it. */
function When({ ms }: { ms: number }) {
  return <time dateTime={isoInstant(ms)}>{formatDateTime(ms)}</time>;
}

/** Notices newest first: severity, the words and figures of the time, whether it reached the customer, and the choices. */
export function NoticeList({ notices }: { notices: NoticeItem[] }) {
  return (
    <ol aria-label="Notices, newest first" className="space-y-4">
      {notices.map((n) => (
        <NoticeEntry key={n.id} notice={n} />
      ))}
    </ol>
  );
}

function NoticeEntry({ notice: n }: { notice: NoticeItem }) {
  const titleId = useId();
  const severity = SEVERITY[n.message.severity];
  const ref = useRef<HTMLLIElement>(null);
  useMarkNoticeRead(ref, n.id, n.deliveredAtMs !== null);
  return (
    <li ref={ref}>
      <article aria-labelledby={titleId} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5" data-testid="notice" data-kind={n.kind}>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1.5 text-xs text-slate-600">
          <Badge tone={severity.tone}>
            <SeverityIcon severity={n.message.severity} className="-ml-0.5 mr-1 h-3.5 w-3.5" />
            {severity.label}
          </Badge>
          <span className="font-medium text-slate-700">{kindLabel(n.kind)}</span>
          <span className="sm:ml-auto">
            <When ms={n.createdAtMs} />
          </span>
        </div>
        <h2 id={titleId} className="mt-2 text-base font-semibold leading-snug text-slate-900">{n.message.title}</h2>
        {n.message.happened && <p className="mt-1 whitespace-pre-wrap text-sm leading-relaxed text-slate-700">{n.message.happened}</p>}
        {n.message.next && <p className="mt-1 text-sm leading-relaxed text-slate-700">{n.message.next}</p>}
        <ChoiceList choices={choicesOf(n)} />
        <p className="mt-3 flex flex-wrap items-center gap-x-3 gap-y-1 border-t border-slate-100 pt-3 text-xs text-slate-600" data-testid="notice-delivery">
          {n.deliveredAtMs !== null ? (
            <span className="inline-flex items-center gap-1.5">
              <svg viewBox="0 0 24 24" className="h-3.5 w-3.5 text-emerald-600" fill="none" stroke="currentColor" strokeWidth="2.4" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
                <path d="m5 12 5 5L20 7" />
              </svg>
              <span>
                E-mailed / shown on <When ms={n.deliveredAtMs} />
              </span>
            </span>
          ) : (
            <span className="inline-flex items-center gap-1.5">
              <svg viewBox="0 0 24 24" className="h-3.5 w-3.5 text-slate-500" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden>
                <circle cx="12" cy="12" r="9" />
                <path d="M12 7v5l3 2" />
              </svg>
              <span>
                <span className="font-medium text-slate-700">Reaching you here now</span>: not e-mailed or shown as a banner before you opened it.
              </span>
            </span>
          )}
          {n.dismissedAtMs !== null && (
            <span>
              · Banner dismissed on <When ms={n.dismissedAtMs} />
            </span>
          )}
        </p>
      </article>
    </li>
  );
}
