import { DAY_MS, startOfUtcDay } from "../limits";
import {
  billingErrorRate,
  churn,
  CHURN_SILENT_DAYS,
  dailyCalls,
  METRIC_IDS,
  METRICS,
  nps,
  npsPoints,
  revenueByAccount,
  SUPPORT_RESPONSE_MS,
  supportResponse,
  upgradeRate,
  type Charge,
  type MetricId,
} from "./metrics";
import {
  bootstrapSumInterval,
  mean,
  MIN_OBSERVATIONS,
  sampleSd,
  studentQuantile,
  tInterval,
  unitsNeeded,
  verdictOf,
  wilsonInterval,
  zFor,
  type Comparison,
  type Interval,
  type Verdict,
} from "./stats";

/** One criterion: a metric, a comparison and a threshold (ratios 0–1, money in minor units a month, NPS points, calls). */
export interface Criterion {
  kind: "success" | "failure";
  metric: MetricId;
  comparison: Comparison;
  threshold: number;
  /** Judged only from this day of the experiment on ("after 30 days"); null: from the start. */
  afterDays: number | null;
}

export interface Phase {
  name: string;
  startMs: number;
  endMs: number;
}

export interface ExperimentDefinition {
  name: string;
  hypothesis: string;
  startMs: number;
  durationDays: number;
  /** The accounts it covers: a named beta cohort first, then every account. */
  cohort: { kind: "all" } | { kind: "accounts"; accountIds: string[] };
  /** API users (accounts with a call in the window) needed before it can succeed, and aimed for. */
  minSample: number;
  targetSample: number;
  /** 0.95 for 95%. */
  confidence: number;
  criteria: Criterion[];
  phases: Phase[];
}

/** What happened in the cohort over the experiment's window (and the 14 days before it, for churn). */
export interface ScorecardData {
  accountIds: string[];
  capNotices: Array<{ accountId: string; atMs: number }>;
  /** Applied plan changes: to a dearer plan (upgrade) or from a paid plan to a free one (cancel). */
  planChanges: Array<{ accountId: string; atMs: number; upgrade: boolean; cancel: boolean }>;
  /** Every invoice and credit note issued (revenue); charges are the invoices with a positive total. */
  invoices: Array<{ id: string; accountId: string; atMs: number; status: Charge["status"]; totalMinor: number; kind: string; refunded: boolean }>;
  servedDays: Array<{ accountId: string; dayMs: number; served: number }>;
  satisfaction: Array<{ atMs: number; score: number }>;
  support: Array<{ createdAtMs: number; repliedAtMs: number | null }>;
  /** Bills more than twice the previous period's (the anomaly check). */
  anomalies: Array<{ accountId: string; atMs: number; invoiceId: string }>;
  /** Charges above the billing cap with no operator approval. */
  unapprovedOverCap: Array<{ accountId: string; atMs: number; invoiceId: string }>;
  currency: string;
}

export interface MetricReading {
  metric: MetricId;
  /** The point estimate; null without observations. */
  value: number | null;
  interval: Interval | null;
  /** Observations behind it, in the metric's sample unit. */
  n: number;
  /** The count a ratio is of ("3 of 40"), for rates. */
  count: number | null;
  /** Projects the interval to m observations, as if the estimate and its spread held. */
  projectAt: (m: number) => Interval | null;
}

const monthOf = (elapsedMs: number) => (30 * DAY_MS) / Math.max(DAY_MS, elapsedMs);

/** Every metric of the cohort as of `asOfMs`, from the data up to then. */
export function readMetrics(def: ExperimentDefinition, data: ScorecardData, asOfMs: number, opts: { resamples?: number } = {}): Record<MetricId, MetricReading> {
  const c = def.confidence;
  const until = <T extends { atMs: number }>(rows: T[]) => rows.filter((r) => r.atMs < asOfMs && r.atMs >= def.startMs);
  const wilsonReading = (metric: MetricId, k: number, n: number): MetricReading => ({
    metric,
    value: n ? k / n : null,
    interval: wilsonInterval(k, n, c),
    n,
    count: k,
    projectAt: (m) => wilsonInterval((k / Math.max(1, n)) * m, m, c),
  });

  // Revenue: each account's invoiced total scaled to a month; the sum over accounts is the estimate.
  const scale = monthOf(asOfMs - def.startMs);
  const byAccount = revenueByAccount(until(data.invoices));
  const perAccount = data.accountIds.map((id) => (byAccount.get(id) ?? 0) * scale);
  const revenueInterval = bootstrapSumInterval(perAccount, c, { resamples: opts.resamples });
  const revenuePoint = Math.round(perAccount.reduce((s, v) => s + v, 0));
  const revMean = perAccount.length ? mean(perAccount) : 0;
  const revSd = sampleSd(perAccount);
  const z = zFor(c);

  const days = dailyCalls(data.servedDays.filter((d) => d.dayMs >= startOfUtcDay(def.startMs)), def.startMs, asOfMs);
  const calls = days.map((d) => d.calls);
  const callMean = calls.length ? mean(calls) : 0;
  const callSd = sampleSd(calls);

  const upgrades = until(data.planChanges).filter((p) => p.upgrade);
  const upgrade = upgradeRate(until(data.capNotices), upgrades);
  const charges = until(data.invoices).filter((i) => i.kind !== "credit_note" && i.totalMinor > 0);
  const errors = billingErrorRate(charges);

  const callDays = new Map<string, number[]>();
  for (const d of data.servedDays) {
    if (d.served <= 0) continue;
    const days = callDays.get(d.accountId);
    if (days) days.push(d.dayMs);
    else callDays.set(d.accountId, [d.dayMs]);
  }
  const startDay = startOfUtcDay(def.startMs);
  const activeAtStart = data.accountIds.filter((id) => (callDays.get(id) ?? []).some((d) => d < startDay && d >= startDay - CHURN_SILENT_DAYS * DAY_MS));
  const churned = churn({ activeAtStart, startMs: def.startMs, asOfMs, cancelled: data.planChanges.filter((p) => p.cancel), callDays });

  const answers = until(data.satisfaction).map((s) => s.score);
  const score = nps(answers);
  const points = answers.map(npsPoints);
  const npsRaw = tInterval(points, c, METRICS.nps.range);
  const pointsSd = sampleSd(points);

  return {
    api_revenue: {
      metric: "api_revenue",
      value: perAccount.length ? revenuePoint : null,
      interval: revenueInterval && { low: Math.floor(Math.min(revenueInterval.low, revenuePoint)), high: Math.ceil(Math.max(revenueInterval.high, revenuePoint)) },
      n: perAccount.length,
      count: null,
      projectAt: (m) => ({ low: m * revMean - z * revSd * Math.sqrt(m), high: m * revMean + z * revSd * Math.sqrt(m) }),
    },
    calls_per_day: {
      metric: "calls_per_day",
      value: calls.length ? callMean : null,
      interval: tInterval(calls, c, METRICS.calls_per_day.range),
      n: calls.length,
      count: null,
      projectAt: (m) => (m < 2 ? null : { low: callMean - studentQuantile(1 - (1 - c) / 2, m - 1) * (callSd / Math.sqrt(m)), high: callMean + studentQuantile(1 - (1 - c) / 2, m - 1) * (callSd / Math.sqrt(m)) }),
    },
    upgrade_rate: wilsonReading("upgrade_rate", upgrade.upgraded, upgrade.notified),
    billing_error_rate: wilsonReading("billing_error_rate", errors.errors, errors.charges),
    churn: wilsonReading("churn", churned.churned, churned.active),
    nps: {
      metric: "nps",
      value: score.score,
      // The point is NPS rounded to a whole point; the interval is widened to hold it.
      interval: npsRaw && score.score !== null ? { low: Math.min(npsRaw.low, score.score), high: Math.max(npsRaw.high, score.score) } : null,
      n: score.responses,
      count: null,
      projectAt: (m) => {
        if (m < 2 || score.score === null) return null;
        const half = studentQuantile(1 - (1 - c) / 2, m - 1) * (pointsSd / Math.sqrt(m));
        return { low: Math.max(-100, score.score - half), high: Math.min(100, score.score + half) };
      },
    },
  };
}

export interface CriterionResult extends Criterion {
  value: number | null;
  interval: Interval | null;
  n: number;
  count: number | null;
  verdict: Verdict;
  /** Why it is undecided: too few observations, an interval across the threshold, or its day not reached. */
  reason: "decided" | "waiting_for_day" | "too_few" | "straddles";
  /** More observations (in the metric's unit) that would decide it if the estimate held; null when none would. */
  needed: number | null;
}

export function judge(def: ExperimentDefinition, criterion: Criterion, reading: MetricReading, asOfMs: number, withNeeded: boolean): CriterionResult {
  const base = { ...criterion, value: reading.value, interval: reading.interval, n: reading.n, count: reading.count };
  if (criterion.afterDays !== null && asOfMs < def.startMs + criterion.afterDays * DAY_MS) return { ...base, verdict: "undecided", reason: "waiting_for_day", needed: null };
  const verdict = verdictOf(reading.interval, reading.n, criterion.comparison, criterion.threshold);
  if (verdict !== "undecided") return { ...base, verdict, reason: "decided", needed: 0 };
  const needed = withNeeded ? unitsNeeded(reading.n, reading.projectAt, criterion.comparison, criterion.threshold) : null;
  return { ...base, verdict, reason: reading.n < MIN_OBSERVATIONS ? "too_few" : "straddles", needed };
}

/** Bootstrap resamples for each past day of the series (today's figures use BOOTSTRAP_RESAMPLES). */
export const SERIES_RESAMPLES = 200;

export type Overall = "failing" | "succeeding" | "inconclusive";

export function overallRule(def: ExperimentDefinition): string {
  const pct = `${Math.round(def.confidence * 100)}%`;
  return `Failing as soon as any failure criterion is met at ${pct} confidence; succeeding when every success criterion is met at ${pct} confidence and at least ${def.minSample} API users took part; otherwise inconclusive. No criterion is decided on fewer than ${MIN_OBSERVATIONS} observations, or while its interval touches its threshold.`;
}

export function overallOf(def: ExperimentDefinition, results: CriterionResult[], apiUsers: number): Overall {
  if (results.some((r) => r.kind === "failure" && r.verdict === "met")) return "failing";
  const success = results.filter((r) => r.kind === "success");
  if (success.length > 0 && success.every((r) => r.verdict === "met") && apiUsers >= def.minSample) return "succeeding";
  return "inconclusive";
}

/** Accounts of the cohort with a call in the window so far. */
function apiUsersAt(def: ExperimentDefinition, data: ScorecardData, asOfMs: number): number {
  const from = startOfUtcDay(def.startMs);
  return new Set(data.servedDays.filter((d) => d.served > 0 && d.dayMs >= from && d.dayMs < asOfMs).map((d) => d.accountId)).size;
}

export interface Guardrail {
  id: "support_response" | "bill_doubled" | "over_cap_unapproved" | "billing_error";
  label: string;
  rule: string;
  broken: boolean;
  detail: string;
  accountIds: string[];
}

function guardrails(def: ExperimentDefinition, data: ScorecardData, asOfMs: number, errors: number): Guardrail[] {
  const inWindow = <T extends { atMs: number }>(rows: T[]) => rows.filter((r) => r.atMs >= def.startMs && r.atMs < asOfMs);
  const support = supportResponse(data.support.filter((s) => s.createdAtMs >= def.startMs && s.createdAtMs < asOfMs), asOfMs);
  const doubled = inWindow(data.anomalies);
  const overCap = inWindow(data.unapprovedOverCap);
  const erroneous = inWindow(data.invoices).filter((i) => i.kind !== "credit_note" && i.totalMinor > 0 && (i.status === "open" || i.status === "void" || i.refunded));
  const ids = (rows: Array<{ accountId: string }>) => [...new Set(rows.map((r) => r.accountId))];
  return [
    {
      id: "support_response",
      label: "Billing support answered within 4 hours",
      rule: `Every request about the plan, the bill or the limits answered within ${SUPPORT_RESPONSE_MS / 3_600_000} hours.`,
      broken: support.overdue > 0,
      detail: `${support.requests} ${support.requests === 1 ? "request" : "requests"}, ${support.answered} answered${support.medianResponseMinutes === null ? "" : `, median ${support.medianResponseMinutes} min`}, ${support.overdue} over 4 h`,
      accountIds: [],
    },
    { id: "bill_doubled", label: "No bill more than 2× the previous period", rule: "A period's bill above twice the previous one breaks it.", broken: doubled.length > 0, detail: `${doubled.length} ${doubled.length === 1 ? "bill" : "bills"} flagged`, accountIds: ids(doubled) },
    { id: "over_cap_unapproved", label: "No charge above the billing cap without approval", rule: "A charge above the approval cap that no operator approved breaks it.", broken: overCap.length > 0, detail: `${overCap.length} ${overCap.length === 1 ? "charge" : "charges"}`, accountIds: ids(overCap) },
    { id: "billing_error", label: "No billing error", rule: "Any failed or corrected charge breaks it.", broken: errors > 0, detail: `${errors} failed or corrected ${errors === 1 ? "charge" : "charges"}`, accountIds: ids(erroneous) },
  ];
}

export interface ScorecardDay {
  dayMs: number;
  /** Day of the experiment, 1 for its first day. */
  day: number;
  overall: Overall;
  metrics: Record<MetricId, { value: number | null; low: number | null; high: number | null }>;
}

/**
 * The scorecard as of `nowMs`: each criterion judged, the overall verdict and the day it was
 * reached, the guardrails, and each metric day by day (the state at the end of each day).
 */
export function computeScorecard(def: ExperimentDefinition, data: ScorecardData, nowMs: number) {
  const endMs = def.startMs + def.durationDays * DAY_MS;
  const asOfMs = Math.min(nowMs, endMs);
  const started = nowMs >= def.startMs;

  const series: ScorecardDay[] = [];
  if (started) {
    // The end of each day so far, then now.
    const cutoffs: number[] = [];
    for (let t = startOfUtcDay(def.startMs) + DAY_MS; t < asOfMs; t += DAY_MS) if (t > def.startMs) cutoffs.push(t);
    cutoffs.push(asOfMs);
    for (const t of cutoffs) {
      // Past days' bands are drawn, not judged: fewer resamples keep a large cohort's 30 days quick.
      const readings = readMetrics(def, data, t, { resamples: t === asOfMs ? undefined : SERIES_RESAMPLES });
      const results = def.criteria.map((cr) => judge(def, cr, readings[cr.metric], t, false));
      series.push({
        dayMs: startOfUtcDay(t - 1),
        day: Math.floor((startOfUtcDay(t - 1) - startOfUtcDay(def.startMs)) / DAY_MS) + 1,
        overall: overallOf(def, results, apiUsersAt(def, data, t)),
        metrics: Object.fromEntries(METRIC_IDS.map((m) => [m, { value: readings[m].value, low: readings[m].interval?.low ?? null, high: readings[m].interval?.high ?? null }])) as ScorecardDay["metrics"],
      });
    }
  }

  const readings = readMetrics(def, data, asOfMs);
  const criteria = def.criteria.map((cr) => judge(def, cr, readings[cr.metric], asOfMs, true));
  const apiUsers = started ? apiUsersAt(def, data, asOfMs) : 0;
  const overall = started ? overallOf(def, criteria, apiUsers) : "inconclusive";
  // The day the current verdict was reached: the first day of its last unbroken run.
  let reached = series.length - 1;
  while (reached > 0 && series[reached - 1]!.overall === overall) reached--;
  const errors = readings.billing_error_rate.count ?? 0;
  const rails = started ? guardrails(def, data, asOfMs, errors) : [];
  const phase = def.phases.find((p) => p.startMs <= nowMs && nowMs < p.endMs) ?? null;

  return {
    asOfMs,
    started,
    ended: nowMs >= endMs,
    day: started ? Math.min(def.durationDays, Math.floor((startOfUtcDay(asOfMs - 1) - startOfUtcDay(def.startMs)) / DAY_MS) + 1) : 0,
    currency: data.currency,
    sample: { apiUsers, min: def.minSample, target: def.targetSample },
    overall: { verdict: overall, rule: overallRule(def), reachedDay: series[reached]?.day ?? null, reachedDayMs: series[reached]?.dayMs ?? null },
    criteria,
    metrics: METRIC_IDS.map((m) => ({ metric: m, label: METRICS[m].label, unit: METRICS[m].unit, definition: METRICS[m].definition, intervalName: METRICS[m].intervalName, sampleUnit: METRICS[m].sampleUnit, value: readings[m].value, interval: readings[m].interval, n: readings[m].n, count: readings[m].count })),
    guardrails: rails,
    /** The rollback plan is shown as needed once a failure criterion is met or a guardrail breaks. */
    rollbackAdvised: criteria.some((r) => r.kind === "failure" && r.verdict === "met") || rails.some((g) => g.broken),
    currentPhase: phase?.name ?? null,
    series,
  };
}

export type Scorecard = ReturnType<typeof computeScorecard>;
