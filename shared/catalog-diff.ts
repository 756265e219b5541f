import type { CatalogData } from "./catalog";
import { formatMoney } from "./money";
import { WINDOW_LABELS, WINDOWS } from "./plans";

/** One difference between two catalogs, in words an operator reads before loading a new file. */
export interface CatalogChange {
  /** added, removed, or changed. */
  kind: "added" | "removed" | "changed";
  /** `plan "pro"`, `meter "calls"`, or `catalog`. */
  subject: string;
  /** What changed, e.g. `price per month: $49.00 → $59.00`. */
  text: string;
}

type PlanData = CatalogData["plans"][number];
type LimitsData = PlanData["limits"][string];

const count = new Intl.NumberFormat("en-US");
const capText = (v: number | undefined) => (v === undefined ? "unlimited" : count.format(v));

function priceText(minor: number | undefined, currency: string): string {
  return minor === undefined ? "none" : minor === 0 ? "free" : formatMoney(minor, currency);
}

/** How a plan's month caps apply on its yearly price (`yearlyQuota`), in words. */
const YEARLY_QUOTA_WORDS: Record<PlanData["yearlyQuota"], string> = {
  monthly: "an allowance each billing month",
  yearly: "twelve months' allowance for the billing year",
};

/** "$29.00 a month", "$29.00 a month or $290.00 a year", "$290.00 a year". */
function pricesText(price: PlanData["price"], currency: string): string {
  const year = price.year === undefined ? null : `${priceText(price.year, currency)} a year`;
  return price.month === undefined && year ? year : [`${priceText(price.month, currency)} a month`, year].filter(Boolean).join(" or ");
}

function planSummary(p: PlanData, catalog: CatalogData): string {
  const limits = catalog.meters.map((m) => {
    const l = p.limits[m.id] ?? {};
    const caps = WINDOWS.filter((w) => l[w] !== undefined).map((w) => `${capText(l[w])} ${WINDOW_LABELS[w].per}`);
    const billing = l.meteredPer1000Minor !== undefined ? `every 1,000 billed at ${formatMoney(l.meteredPer1000Minor, catalog.currency)}` : l.overagePer1000Minor !== undefined ? `${formatMoney(l.overagePer1000Minor, catalog.currency)} per 1,000 over the quota` : null;
    return `${m.unit}: ${[caps.length ? caps.join(", ") : "no caps", billing].filter(Boolean).join("; ")}`;
  });
  // A month cap on a yearly price counted over the whole year is a term of its own (the default, an allowance each month, goes without saying).
  const quota = p.price.year !== undefined && p.yearlyQuota === "yearly" ? `; month caps on the yearly price: ${YEARLY_QUOTA_WORDS.yearly}` : "";
  return `${p.name}, ${pricesText(p.price, catalog.currency)}${p.public ? "" : " (not offered)"}; ${limits.join("; ")}${quota}`;
}

function limitChanges(before: LimitsData | undefined, after: LimitsData | undefined, unit: string, currencies: [string, string]): string[] {
  const b = before ?? {};
  const a = after ?? {};
  const out: string[] = [];
  for (const w of WINDOWS) {
    if (b[w] !== a[w]) out.push(`${unit} ${WINDOW_LABELS[w].per}: ${capText(b[w])} → ${capText(a[w])}`);
  }
  if (b.overagePer1000Minor !== a.overagePer1000Minor) out.push(`${unit} overage per 1,000: ${priceText(b.overagePer1000Minor, currencies[0])} → ${priceText(a.overagePer1000Minor, currencies[1])}`);
  if (b.meteredPer1000Minor !== a.meteredPer1000Minor) out.push(`${unit} metered per 1,000: ${priceText(b.meteredPer1000Minor, currencies[0])} → ${priceText(a.meteredPer1000Minor, currencies[1])}`);
  return out;
}

/**
 * What loading `after` in place of `before` changes: currency, meters, plans added and removed, and
 * for each plan kept every field that differs. Empty when the two say the same thing.
 */
export function diffCatalogs(before: CatalogData, after: CatalogData): CatalogChange[] {
  const out: CatalogChange[] = [];
  const cur: [string, string] = [before.currency, after.currency];
  if (before.currency !== after.currency) out.push({ kind: "changed", subject: "catalog", text: `currency: ${before.currency} → ${after.currency}` });

  const metersBefore = new Map(before.meters.map((m) => [m.id, m]));
  const metersAfter = new Map(after.meters.map((m) => [m.id, m]));
  for (const m of after.meters) {
    const was = metersBefore.get(m.id);
    if (!was) out.push({ kind: "added", subject: `meter "${m.id}"`, text: m.unit });
    else if (was.unit !== m.unit) out.push({ kind: "changed", subject: `meter "${m.id}"`, text: `unit: ${was.unit} → ${m.unit}` });
  }
  for (const m of before.meters) if (!metersAfter.has(m.id)) out.push({ kind: "removed", subject: `meter "${m.id}"`, text: m.unit });

  const plansBefore = new Map(before.plans.map((p) => [p.id, p]));
  const plansAfter = new Map(after.plans.map((p) => [p.id, p]));
  for (const p of after.plans) {
    const was = plansBefore.get(p.id);
    const subject = `plan "${p.id}"`;
    if (!was) {
      out.push({ kind: "added", subject, text: planSummary(p, after) });
      continue;
    }
    const texts: string[] = [];
    if (was.name !== p.name) texts.push(`name: ${was.name} → ${p.name}`);
    if (was.summary !== p.summary) texts.push(`summary: "${was.summary}" → "${p.summary}"`);
    if (was.price.month !== p.price.month || before.currency !== after.currency) texts.push(`price per month: ${priceText(was.price.month, before.currency)} → ${priceText(p.price.month, after.currency)}`);
    // The yearly price and how month caps apply on it are terms too: a change gives the plan a new version.
    if (was.price.year !== p.price.year || (before.currency !== after.currency && (was.price.year !== undefined || p.price.year !== undefined))) texts.push(`price per year: ${priceText(was.price.year, before.currency)} → ${priceText(p.price.year, after.currency)}`);
    if (was.yearlyQuota !== p.yearlyQuota) texts.push(`month caps on the yearly price: ${YEARLY_QUOTA_WORDS[was.yearlyQuota]} → ${YEARLY_QUOTA_WORDS[p.yearlyQuota]}`);
    if (was.public !== p.public) texts.push(p.public ? "now offered to customers" : "no longer offered to customers (accounts on it keep it)");
    if (was.enforcement !== p.enforcement) texts.push(`default enforcement: ${was.enforcement} → ${p.enforcement}`);
    if (was.thresholds.join(",") !== p.thresholds.join(",")) texts.push(`warnings at: ${was.thresholds.map((t) => `${Math.round(t * 100)}%`).join(", ")} → ${p.thresholds.map((t) => `${Math.round(t * 100)}%`).join(", ")}`);
    for (const m of after.meters) texts.push(...limitChanges(was.limits[m.id], p.limits[m.id], m.unit, cur));
    for (const text of texts) out.push({ kind: "changed", subject, text });
  }
  for (const p of before.plans) if (!plansAfter.has(p.id)) out.push({ kind: "removed", subject: `plan "${p.id}"`, text: planSummary(p, before) });
  return out;
}

/** The diff as lines for a terminal: `+ plan "team": …`, `- plan "old": …`, `~ plan "pro": price per month: $49.00 → $59.00`. */
export function catalogDiffLines(changes: readonly CatalogChange[]): string[] {
  const mark = { added: "+", removed: "-", changed: "~" } as const;
  return changes.map((c) => `${mark[c.kind]} ${c.subject}: ${c.text}`);
}
