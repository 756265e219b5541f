/** Display helpers. Numbers and dates are formatted in the customer's locale and time zone. */
const integer = new Intl.NumberFormat("en-US");

export function formatCount(n: number): string {
  return integer.format(n);
}

export function formatDateTime(ms: number, opts: Intl.DateTimeFormatOptions = {}): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", ...opts }).format(ms);
}

export function formatDate(ms: number): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(ms);
}

export function formatUtc(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/:\d\d\.\d{3}Z$/, " UTC");
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

/** "1.2k", "45k", "3.1M": short axis labels. */
export function formatCompact(n: number): string {
  return new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(n);
}
