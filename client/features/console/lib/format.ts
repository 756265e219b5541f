import { minorUnitDigits } from "../../../../shared/money";
import { formatDate, formatDateTime } from "../../../lib/format";

// The console names its moments as the portal does, through the client's one formatter (UTC, 24-hour).
export { formatDateTime as formatDateTimeUtc, formatDate as formatDateUtc };

/** Notice kinds in words an operator scans quickly. */
const NOTICE_KIND: Record<string, string> = {
  approaching: "Approaching cap",
  reached: "Cap reached",
  sustained: "Sustained overuse",
  enforcement_scheduled: "Enforcement scheduled",
  plan_changed: "Plan changed",
  change_scheduled: "Change scheduled",
  approval_requested: "Approval requested",
  approval_decided: "Approval decided",
  anomaly: "Bill anomaly",
  refund: "Refund",
  terms: "Terms (grandfathered)",
  support_reply: "Support reply",
  payment_failed: "Payment failed",
};

export function noticeKindLabel(kind: string): string {
  return NOTICE_KIND[kind] ?? kind.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

/** "4 h 12 min", "35 min", "2 days 3 h": a duration for clocks and response times. */
export function formatDuration(ms: number): string {
  const min = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const days = Math.floor(h / 24);
  return h % 24 ? `${days} days ${h % 24} h` : `${days} days`;
}

export function formatPercent(ratio: number | null, digits = 0): string {
  if (ratio === null) return "–";
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** Plan-change statuses in words. */
export function changeStatusLabel(status: string): string {
  const labels: Record<string, string> = {
    applied: "Applied",
    scheduled: "Scheduled",
    cancelled: "Cancelled",
    pending_approval: "Waiting for approval",
    denied: "Denied",
    needs_consent: "Needs consent again",
    applying: "Being applied",
    payment_required: "Waiting for payment",
    payment_pending: "Payment pending",
    failed: "Failed",
  };
  return labels[status] ?? status.replace(/_/g, " ");
}

/**
 * "$1.6K", "$10K": short money for chart axes only, where full amounts would not fit. Every amount a
 * person reads as a figure goes through formatMoney.
 */
export function formatMoneyCompact(amountMinor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return new Intl.NumberFormat("en-US", { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(amountMinor / 10 ** digits);
}

/** A notice nobody has e-mailed or seen yet is waiting, not failed (without SMTP its e-mail is kept in the outbox). */
export const NOT_REACHED_HINT = "Not e-mailed or seen in the portal yet; without SMTP the e-mail is kept in the outbox";
