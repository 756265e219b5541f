import { formatMoney } from "../money";
import { METRICS, type MetricId } from "./metrics";
import type { CriterionResult, Scorecard } from "./scorecard";
import type { Verdict } from "./stats";

/**
 * The scorecard in words and rows: the same figures for the console, its CSV export and the
 * command line, so the three never disagree.
 */

/** A metric's value as people read it: money a month, a percentage, NPS points, calls. */
export function formatMetricValue(metric: MetricId, value: number | null, currency: string): string {
  if (value === null) return "–";
  switch (METRICS[metric].unit) {
    case "money_per_month":
      return `${formatMoney(Math.round(value), currency)}/month`;
    case "ratio":
      return `${(value * 100).toFixed(value < 0.1 && value > 0 ? 1 : 0)}%`;
    case "nps":
      return String(Math.round(value));
    case "calls":
      return new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }).format(value);
  }
}

export function formatTarget(c: Pick<CriterionResult, "metric" | "comparison" | "threshold" | "afterDays">, currency: string): string {
  return `${c.comparison === "gt" ? ">" : "<"} ${formatMetricValue(c.metric, c.threshold, currency)}${c.afterDays === null ? "" : ` after ${c.afterDays} days`}`;
}

export function formatInterval(metric: MetricId, interval: { low: number; high: number } | null, currency: string): string {
  return interval ? `${formatMetricValue(metric, interval.low, currency)} – ${formatMetricValue(metric, interval.high, currency)}` : "–";
}

export const VERDICT_WORDS: Record<Verdict, string> = { met: "Met", not_met: "Not met", undecided: "Not yet decidable" };

/** Why a criterion is undecided, and what would decide it. */
export function undecidedReason(c: CriterionResult): string {
  const unit = METRICS[c.metric].sampleUnit;
  const more = (n: number) => `${n} more ${n === 1 ? unit.one : unit.many}`;
  switch (c.reason) {
    case "decided":
      return "";
    case "waiting_for_day":
      return `judged from day ${c.afterDays}`;
    case "too_few":
    case "straddles":
      if (c.needed === null) return c.n === 0 ? `no ${unit.many} yet` : `the estimate sits on the threshold: more ${unit.many} would not decide it`;
      return `${c.reason === "too_few" ? `${c.n} ${c.n === 1 ? unit.one : unit.many} so far; ` : "the interval spans the threshold; "}about ${more(c.needed)} needed if the rate holds`;
  }
}

export const REPORT_HEADER = ["kind", "metric", "target", "value", "value_text", "interval_low", "interval_high", "interval", "confidence", "verdict", "observations", "still_needed", "note", "definition"];

/** One row per criterion, then one per guardrail: the CSV export. */
export function scorecardRows(card: Scorecard, confidence: number): Array<Array<string | number | null>> {
  const pct = `${Math.round(confidence * 100)}%`;
  const criteria = card.criteria.map((c) => [
    c.kind,
    METRICS[c.metric].label,
    formatTarget(c, card.currency),
    c.value,
    formatMetricValue(c.metric, c.value, card.currency),
    c.interval?.low ?? null,
    c.interval?.high ?? null,
    METRICS[c.metric].intervalName,
    pct,
    VERDICT_WORDS[c.verdict],
    c.n,
    c.verdict === "undecided" ? c.needed : 0,
    undecidedReason(c),
    METRICS[c.metric].definition,
  ]);
  const rails = card.guardrails.map((g) => ["guardrail", g.label, g.rule, null, g.detail, null, null, null, null, g.broken ? "Broken" : "Holding", null, null, g.accountIds.join(" "), null]);
  return [...criteria, ...rails];
}

/** The scorecard as lines of text, for the command line. */
export function scorecardLines(name: string, card: Scorecard): string[] {
  const lines = [
    `${name}: ${card.started ? `day ${card.day}` : "not started"}${card.currentPhase ? `, phase “${card.currentPhase}”` : ""}`,
    `Overall: ${card.overall.verdict}${card.overall.reachedDay ? ` (since day ${card.overall.reachedDay})` : ""}. Rule: ${card.overall.rule}`,
    `Sample: ${card.sample.apiUsers} API users (minimum ${card.sample.min}, target ${card.sample.target})`,
    "",
  ];
  for (const c of card.criteria) {
    const reason = undecidedReason(c);
    lines.push(`${c.kind.padEnd(8)} ${METRICS[c.metric].label.padEnd(19)} ${formatTarget(c, card.currency).padEnd(26)} now ${formatMetricValue(c.metric, c.value, card.currency).padEnd(16)} CI ${formatInterval(c.metric, c.interval, card.currency).padEnd(34)} ${VERDICT_WORDS[c.verdict]}${reason ? ` (${reason})` : ""}`);
  }
  lines.push("");
  for (const g of card.guardrails) lines.push(`guardrail ${g.label}: ${g.broken ? "BROKEN" : "holding"} (${g.detail})`);
  if (card.rollbackAdvised) lines.push("", "Rollback plan advised: a failure criterion is met or a guardrail broke (see the console's Experiment page).");
  return lines;
}
