import { formatMoney } from "../../../shared/money";
import type { Catalog } from "../../../shared/catalog";
import { WINDOWS, WINDOW_LABELS, type Caps, type Plan } from "../../../shared/plans";
import { formatCount, formatDate } from "../../lib/format";

/**
 * Billing dates are UTC days, as on invoices and in the consent words, so the page and the words
 * the customer agreed to never show two different dates.
 */
export const billingDate = formatDate;

/** "25 Oct – 24 Nov 2026": a period [start, end) as its first and last day. */
export function billingSpan(startMs: number, endMs: number): string {
  const a = formatDate(startMs);
  const b = formatDate(endMs - 1);
  const yearA = a.slice(-4);
  return yearA === b.slice(-4) ? `${a.slice(0, -5)} – ${b}` : `${a} – ${b}`;
}

/** "−$2.85" with a true minus sign for credits. */
export function signedMoney(amountMinor: number, currency: string): string {
  return amountMinor < 0 ? `−${formatMoney(-amountMinor, currency)}` : formatMoney(amountMinor, currency);
}

/** "300 per minute · 5,000 per day (UTC)"; "No caps" for a plan without any. `monthSpan` "year": the month cap is a yearly quota ("per billing year"). */
export function capsText(caps: Caps, metered = false, monthSpan?: "month" | "year"): string {
  const per = (w: (typeof WINDOWS)[number]) => (w === "month" && monthSpan === "year" ? "per billing year" : WINDOW_LABELS[w].per);
  const parts = WINDOWS.filter((w) => caps[w] !== undefined).map((w) => `${formatCount(caps[w]!)} ${per(w)}`);
  if (parts.length === 0) return metered ? "No caps: every call is metered" : "No caps";
  return parts.join(" · ");
}

/**
 * A plan's caps in words, one line per meter when the catalog has several ("MCP tool calls: 10 per
 * minute · 100 per day (UTC)"), one line as `capsText` when it has one. `defaultCaps`: the default
 * meter's caps as the server worked them out for the account (overrides, a yearly quota), when known.
 */
export function capsLines(catalog: Pick<Catalog, "meters">, plan: Pick<Plan, "caps" | "metered" | "meters">, monthSpan?: "month" | "year", defaultCaps: Caps = plan.caps): string[] {
  if (catalog.meters.length < 2) return [capsText(defaultCaps, plan.metered, monthSpan)];
  return catalog.meters.map((m, i) => {
    const t = plan.meters[m.id];
    return `${m.unit}: ${capsText(i === 0 ? defaultCaps : (t?.caps ?? {}), i === 0 ? plan.metered : (t?.metered ?? false), monthSpan)}`;
  });
}

/**
 * When a quote expires by this browser's clock. The server's expiry is in the server's clock; a
 * browser clock that is off by minutes would show a fresh quote as expired (or an expired one as
 * valid). So the quote's lifetime is counted from when this browser asked for it, and a second
 * early: the server stays the judge, and says so plainly if it disagrees.
 */
export function localExpiresAt(quote: { expiresAtMs: number; prorationAtMs: number; expiresInMs?: number }, requestedAtMs: number): number {
  // A quote answered again (a reload, the same choice previewed twice) says how long it has left.
  return requestedAtMs + (quote.expiresInMs ?? quote.expiresAtMs - quote.prorationAtMs) - 1_000;
}
