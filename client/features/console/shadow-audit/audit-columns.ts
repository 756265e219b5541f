import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import type { AuditRowData } from "../console-data";
import { formatDateTimeUtc, noticeKindLabel } from "../lib/format";
import type { CsvCell } from "../lib/csv";
import type { SortDir } from "../components/table";

export const SORT_COLUMNS = ["account", "plan", "mode", "peakMinute", "peakDay", "periodUsage", "wouldThrottle", "daysOver", "recommended", "notices", "lastPlanChange"] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export const isSortColumn = (c: string | null): c is SortColumn => (SORT_COLUMNS as readonly string[]).includes(c ?? "");

/** Text columns start A→Z; figures start with the largest, which is what an operator looks for. */
export const defaultDir = (c: SortColumn): SortDir => (c === "account" || c === "plan" || c === "mode" ? "asc" : "desc");

const MODE_ORDER: Record<string, number> = { off: 0, shadow: 1, enforce: 2 };

function sortValue(catalog: Catalog, r: AuditRowData, c: SortColumn): string | number {
  switch (c) {
    case "account":
      return r.name.toLowerCase();
    case "plan":
      return catalog.find(r.planId)?.priceMinor ?? -1;
    case "mode":
      return MODE_ORDER[r.mode] ?? -1;
    case "peakMinute":
      return r.peakMinute;
    case "peakDay":
      return r.peakDay;
    case "periodUsage":
      return r.periodUsage;
    case "wouldThrottle":
      return r.wouldThrottle + r.throttled;
    case "daysOver":
      return r.daysOver;
    case "recommended":
      return r.recommended?.costDiffMinor ?? Number.NEGATIVE_INFINITY;
    case "notices":
      return r.notices[0]?.createdAtMs ?? 0;
    case "lastPlanChange":
      return r.lastPlanChange?.atMs ?? 0;
  }
}

/** Rows in the chosen order (plans by price, from the catalog); ties keep the account name order so the table does not jump. */
export function sortRows(catalog: Catalog, rows: AuditRowData[], sort: { column: SortColumn; dir: SortDir }): AuditRowData[] {
  const sign = sort.dir === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortValue(catalog, a, sort.column);
    const y = sortValue(catalog, b, sort.column);
    if (x < y) return -sign;
    if (x > y) return sign;
    return a.name.localeCompare(b.name);
  });
}

/** "+$170.00/month", "−$20.00/month", "same cost": estimated monthly cost at the account's rate, recommended minus current. */
export function costDifference(diffMinor: number, currency: string): string {
  if (diffMinor === 0) return "same cost";
  return `${diffMinor > 0 ? "+" : "−"}${formatMoney(Math.abs(diffMinor), currency)}/month`;
}


/** The cap of a window on a plan, or null when that window is not capped (or the catalog does not hold the plan). */
export function capOf(catalog: Catalog, planId: string, window: "minute" | "day" | "month"): number | null {
  return catalog.find(planId)?.caps[window] ?? null;
}

export const CSV_HEADER = [
  "account_id",
  "account",
  "email",
  "plan",
  "mode",
  "peak_per_minute",
  "minute_cap",
  "peak_per_day",
  "day_cap",
  "period_usage",
  "month_cap",
  "would_throttle",
  "throttled",
  "days_over",
  "recommended_plan",
  "recommended_estimated_monthly_cost",
  "estimated_cost_difference",
  "notices",
  "last_plan_change",
];

/** One CSV row with the figures as numbers (spreadsheets sum them) and the rest as shown. */
export function csvRow(catalog: Catalog, r: AuditRowData): CsvCell[] {
  return [
    r.accountId,
    r.name,
    r.email,
    catalog.nameOf(r.planId),
    r.mode,
    r.peakMinute,
    capOf(catalog, r.planId, "minute"),
    r.peakDay,
    capOf(catalog, r.planId, "day"),
    r.periodUsage,
    capOf(catalog, r.planId, "month"),
    r.wouldThrottle,
    r.throttled,
    r.daysOver,
    r.recommended?.name ?? null,
    r.recommended ? formatMoney(r.recommended.monthlyCostMinor, r.recommended.currency) : null,
    // Words rather than a signed amount: a leading "+" or "−" would read as a formula in a spreadsheet.
    r.recommended ? (r.recommended.costDiffMinor === 0 ? "same cost" : `${formatMoney(Math.abs(r.recommended.costDiffMinor), r.recommended.currency)} a month ${r.recommended.costDiffMinor > 0 ? "more" : "less"}`) : null,
    r.notices.map((n) => `${noticeKindLabel(n.kind)} ${formatDateTimeUtc(n.createdAtMs)} (${n.deliveredAtMs === null ? "not seen yet" : `reached ${formatDateTimeUtc(n.deliveredAtMs)}`})`).join("; ") || null,
    r.lastPlanChange ? `${catalog.nameOf(r.lastPlanChange.toPlanId)} ${r.lastPlanChange.status} ${formatDateTimeUtc(r.lastPlanChange.atMs)}` : null,
  ];
}
