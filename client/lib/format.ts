/**
 * Display helpers: the one place the client turns numbers and moments into words.
 *
 * Every date and time in the portal and the console is shown in **UTC, on a 24-hour clock**
 * ("28 Nov 2026, 14:05 UTC"), named as such. Caps count UTC days and reset on UTC boundaries, and
 * the notices, e-mails and 429 bodies the server writes (shared/messages.ts) say UTC: one time zone
 * everywhere, so the time in a notice, on a meter and on a chart is the same figure. The words are
 * British English month abbreviations, as the server's, whatever the browser's locale.
 */
import { DAY_MS, MINUTE_MS, startOfUtcDay } from "../../shared/limits";

const integer = new Intl.NumberFormat("en-US");

const UTC = { timeZone: "UTC" } as const;
const CLOCK = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" } as const;
const dateFmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", ...UTC });
const dayShortFmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", ...UTC });
const dayLongFmt = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "short", ...UTC });
const timeFmt = new Intl.DateTimeFormat("en-GB", { ...CLOCK, ...UTC });
const weekdayTimeFmt = new Intl.DateTimeFormat("en-GB", { weekday: "short", ...CLOCK, ...UTC });
const shortDateTimeFmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", ...CLOCK, ...UTC });

/** A moment still to come is rounded up to the minute, so it is never shown earlier than it happens. */
const shown = (ms: number, upcoming: boolean) => (upcoming ? Math.ceil(ms / MINUTE_MS) * MINUTE_MS : ms);

export function formatCount(n: number): string {
  return integer.format(n);
}

/** "28 Nov 2026, 14:05 UTC". `upcoming`: a moment still to come (an expiry, a reset), rounded up to the minute. */
export function formatDateTime(ms: number, { upcoming = false }: { upcoming?: boolean } = {}): string {
  const at = shown(ms, upcoming);
  return `${dateFmt.format(at)}, ${timeFmt.format(at)} UTC`;
}

/** "28 Nov 2026" (the UTC day). */
export function formatDate(ms: number): string {
  return dateFmt.format(ms);
}

/** "14:05 UTC". */
export function formatTime(ms: number, { upcoming = false }: { upcoming?: boolean } = {}): string {
  return `${timeFmt.format(shown(ms, upcoming))} UTC`;
}

/** "14:05": an axis tick under a chart whose title already says UTC. */
export function formatClock(ms: number): string {
  return timeFmt.format(ms);
}

/** "Sat 14:05 UTC": a minute in the last hour or so. */
export function formatWeekdayTime(ms: number): string {
  return `${weekdayTimeFmt.format(ms)} UTC`;
}

/** "28 Nov": an axis tick for a UTC day. */
export function formatDayShort(ms: number): string {
  return dayShortFmt.format(ms);
}

/** "Saturday 28 Nov": a UTC day in a tooltip or a summary. */
export function formatDayLong(ms: number): string {
  return dayLongFmt.format(ms);
}

/** "28 Nov, 14:05 UTC": a recent moment in a narrow column. */
export function formatShortDateTime(ms: number): string {
  return `${shortDateTimeFmt.format(ms)} UTC`;
}

/** "2026-11-28": the UTC day for date inputs and file names (machine-readable, not for reading). */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The `dateTime` attribute of a `<time>` element (ISO 8601, UTC). */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString();
}

/** The start of the first of the last `days` UTC days, today included: "7 days" is today and the 6 before. */
export function lastDaysStartMs(nowMs: number, days: number): number {
  return startOfUtcDay(nowMs) - (days - 1) * DAY_MS;
}

/** "in 34 s", "in 3 h 12 min", "in 5 days". */
export function formatRelative(targetMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((targetMs - nowMs) / 1000));
  if (s < 60) return `in ${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `in ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `in ${h} h ${min % 60} min`;
  return `in ${Math.round(h / 24)} days`;
}

/** "just now", "5 min ago", "3 h ago", "4 days ago"; a date beyond 30 days. */
export function formatAgo(pastMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - pastMs) / 1000));
  if (s < 60) return "just now";
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  const days = Math.floor(h / 24);
  if (days <= 30) return `${days} days ago`;
  return formatDate(pastMs);
}

const compactFmt = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
/** "1.2k", "45k", "3.1M": short axis labels. */
export function formatCompact(n: number): string {
  return compactFmt.format(n);
}
