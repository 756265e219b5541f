import { formatAgo, isoInstant } from "../../../lib/format";
import { formatDateTimeUtc, formatDateUtc } from "../lib/format";

/**
 * A moment, in UTC as the notices and e-mails state it (operators in several time zones read the
 * same figures); `relative` adds "3 h ago" for recent events.
 */
export function When({ ms, relative, dateOnly, nowMs }: { ms: number; relative?: boolean; dateOnly?: boolean; nowMs?: number }) {
  const absolute = dateOnly ? formatDateUtc(ms) : formatDateTimeUtc(ms);
  return (
    <time dateTime={isoInstant(ms)} title={formatDateTimeUtc(ms)} className="whitespace-nowrap">
      {relative ? formatAgo(ms, nowMs ?? Date.now()) : absolute}
    </time>
  );
}
