import { lazy, Suspense, useId } from "react";
import type { Catalog } from "../../../../shared/catalog";
import { METRICS } from "../../../../shared/experiment/metrics";
import { formatMoney } from "../../../../shared/money";
import { formatCount } from "../../../lib/format";
import { PageHeader } from "../../../ui/page-header";
import { LoadingBlock } from "../../../ui/states";
import { QueryState } from "../components/query-state";
import { Section } from "../components/section";
import { Segmented } from "../components/segmented";
import { StatTile } from "../components/stat-tile";
import { WithCatalog } from "../components/with-catalog";
import type { MetricsData } from "../console-data";
import { formatDateUtc, formatDuration, formatPercent, noticeKindLabel } from "../lib/format";
import { rangeLabel, useDaysRange } from "../lib/range";
import { useMetrics } from "./use-metrics";

// The charts load after the figures are on screen.
const Charts = {
  Calls: lazy(async () => ({ default: (await import("./metrics-charts")).CallsChart })),
  Revenue: lazy(async () => ({ default: (await import("./metrics-charts")).RevenueChart })),
  Nps: lazy(async () => ({ default: (await import("./metrics-charts")).NpsChart })),
};

const RANGES = [7, 30, 90] as const;

/** The lifecycle's success measures: revenue, calls, the notice → upgrade funnel, billing errors, support, satisfaction. */
export function MetricsPage() {
  const range = useDaysRange(RANGES, 30);
  const metrics = useMetrics(range.fromMs);
  return (
    <>
      <PageHeader
        title="Metrics"
        description="How the lifecycle is doing: meter → notify → upgrade or reduce traffic. Days are UTC days."
        actions={<Segmented legend="Range" options={RANGES.map((d) => ({ value: d, label: rangeLabel(d) }))} value={range.days} onChange={range.setDays} testId="metrics-range" />}
      />
      <WithCatalog what="the metrics" rows={4}>
        {(catalog) => (
          <QueryState query={metrics} what="the metrics" rows={4}>
            {(m) => <MetricsView m={m} catalog={catalog} updating={metrics.isPlaceholderData} />}
          </QueryState>
        )}
      </WithCatalog>
    </>
  );
}

function MetricsView({ m, catalog, updating }: { m: MetricsData; catalog: Catalog; updating: boolean }) {
  const money = (v: number) => formatMoney(v, m.currency);
  const days = m.callsPerDay.length;
  const served = m.callsPerDay.reduce((s, d) => s + d.served, 0);
  const perDay = days ? Math.round(served / days) : 0;
  const npsTone = m.satisfaction.overall === null ? "neutral" : m.satisfaction.overall >= 30 ? "good" : m.satisfaction.overall >= 0 ? "warn" : "bad";

  return (
    <div className={updating ? "opacity-60 transition-opacity" : undefined} aria-busy={updating}>
      <p className="mb-4 text-sm text-slate-600">
        {formatDateUtc(m.range.fromMs)} – {formatDateUtc(m.range.toMs)}
        {updating && <span role="status"> · updating…</span>}
      </p>
      <dl className="grid grid-cols-1 gap-4 sm:grid-cols-3 xl:grid-cols-6" data-testid="headline">
        <StatTile label="Revenue" value={money(m.revenueMinor)} detail={<>invoiced in range · MRR {money(m.mrrMinor)}</>} testId="tile-revenue" />
        <StatTile label="Calls per day" value={formatCount(perDay)} detail={<>served, average of {days} {days === 1 ? "day" : "days"}</>} testId="tile-calls" />
        <StatTile
          label="Upgrade rate"
          value={formatPercent(m.funnel.upgradeRate)}
          detail={<>{formatCount(m.funnel.upgraded)} of {formatCount(m.funnel.notified)} notified accounts</>}
          tone={m.funnel.upgradeRate === null ? "neutral" : m.funnel.upgradeRate > 0 ? "good" : "warn"}
          testId="tile-upgrade-rate"
        />
        <StatTile
          label="Billing error rate"
          value={formatPercent(m.billingErrors.rate, 1)}
          detail={<>{formatCount(m.billingErrors.failed)} of {formatCount(m.billingErrors.total)} charges failed or corrected</>}
          tone={m.billingErrors.rate === null ? "neutral" : m.billingErrors.rate > 0.01 ? "bad" : "good"}
          testId="tile-billing-errors"
        />
        <StatTile
          label="Churn"
          value={formatPercent(m.churn.rate)}
          detail={<>{formatCount(m.churn.churned)} of {formatCount(m.churn.active)} accounts active at the start</>}
          tone={m.churn.rate === null ? "neutral" : m.churn.rate > 0.1 ? "bad" : "good"}
          testId="tile-churn"
        />
        <StatTile
          label="Satisfaction (NPS)"
          value={m.satisfaction.overall === null ? "–" : String(m.satisfaction.overall)}
          detail={m.satisfaction.answers === 0 ? "no answers yet" : <>{formatCount(m.satisfaction.answers)} {m.satisfaction.answers === 1 ? "answer" : "answers"} after plan changes</>}
          tone={npsTone}
          testId="tile-nps"
        />
      </dl>

      <details className="mt-3 text-sm text-slate-700" data-testid="metric-definitions">
        <summary className="cursor-pointer font-medium text-slate-800">How these numbers are computed</summary>
        <dl className="mt-2 grid gap-x-6 gap-y-2 sm:grid-cols-2">
          {(["api_revenue", "calls_per_day", "upgrade_rate", "billing_error_rate", "nps", "churn"] as const).map((id) => (
            <div key={id}>
              <dt className="font-medium text-slate-900">{METRICS[id].label}</dt>
              <dd>{METRICS[id].definition}</dd>
            </div>
          ))}
        </dl>
        <p className="mt-2 text-slate-600">The Metrics page counts over its range and every account; an experiment's scorecard over the experiment's window and cohort, with the same definitions.</p>
      </details>

      <Section title="Traffic" description={`${formatCount(m.wouldThrottleCalls)} calls over a cap were served (shadow); ${formatCount(m.throttledCalls)} were refused (throttled).`}>
        <Suspense fallback={<LoadingBlock rows={1} label="Loading the chart…" />}>
          <Charts.Calls days={m.callsPerDay} />
        </Suspense>
      </Section>

      <div className="grid gap-x-6 lg:grid-cols-2">
        <Section title="Lifecycle funnel" description="Accounts first told about a cap in the range, and what they did within 14 days.">
          <Funnel funnel={m.funnel} />
          <dl className="mt-4 grid grid-cols-2 gap-4">
            <StatTile label="Downgrades" value={formatCount(m.downgrades)} detail="to a cheaper paid plan" testId="tile-downgrades" />
            <StatTile label="Opt-outs" value={formatCount(m.optOuts)} detail="from a paid plan to a free one" testId="tile-opt-outs" />
          </dl>
        </Section>
        <Section title="Revenue">
          <Suspense fallback={<LoadingBlock rows={1} label="Loading the chart…" />}>
            <Charts.Revenue metrics={m} catalog={catalog} />
          </Suspense>
        </Section>
      </div>

      <div className="grid gap-x-6 lg:grid-cols-2">
        <Section title="Notices" description="Notices raised in the range, by kind, and how their messages went out.">
          <HBars
            label="Notices by kind"
            items={Object.entries(m.noticesByKind)
              .sort((a, b) => b[1] - a[1])
              .map(([k, n]) => ({ key: k, label: noticeKindLabel(k), value: n }))}
            empty="No notices in this range."
            testId="notices-by-kind"
          />
          <p className="mt-3 text-sm text-slate-700">
            Deliveries:{" "}
            {Object.keys(m.deliveries).length === 0
              ? "none"
              : Object.entries(m.deliveries)
                  .map(([status, n]) => `${formatCount(n)} ${status}`)
                  .join(" · ")}
            {m.deliveries.stored ? <span className="text-slate-600"> (“stored”: kept in the outbox, no SMTP configured)</span> : null}
          </p>
        </Section>
        <Section title="Support and satisfaction">
          <dl className="grid grid-cols-3 gap-4">
            <StatTile label="Requests" value={formatCount(m.support.requests)} detail={`${formatCount(m.support.answered)} answered`} testId="tile-support" />
            <StatTile label="Median response" value={m.support.medianResponseMinutes === null ? "–" : formatDuration(m.support.medianResponseMinutes * 60_000)} detail="target: 4 h" testId="tile-median-response" />
            <StatTile label="Over 4 h" value={formatCount(m.support.overdue)} tone={m.support.overdue > 0 ? "bad" : "neutral"} detail="answered late or still open" />
          </dl>
          <div className="mt-4">
            <Suspense fallback={<LoadingBlock rows={1} label="Loading the chart…" />}>
              <Charts.Nps satisfaction={m.satisfaction} />
            </Suspense>
          </div>
        </Section>
      </div>
    </div>
  );
}

/** The funnel as bars, each with its count and its share of the notified accounts. */
function Funnel({ funnel }: { funnel: MetricsData["funnel"] }) {
  const steps = [
    { key: "notified", label: "Notified about a cap", value: funnel.notified, color: "bg-slate-500" },
    { key: "opened", label: "Opened the plan wizard", value: funnel.openedWizard, color: "bg-brand-500" },
    { key: "upgraded", label: "Upgraded", value: funnel.upgraded, color: "bg-emerald-600" },
    { key: "reduced", label: "Reduced traffic under the cap", value: funnel.reducedTraffic, color: "bg-teal-600" },
  ];
  const max = Math.max(1, funnel.notified);
  return (
    <div className="rounded-xl border border-slate-200 bg-white px-5 py-4 shadow-sm" data-testid="funnel">
      <ol className="space-y-3">
        {steps.map((s) => (
          <li key={s.key} data-testid={`funnel-${s.key}`}>
            <div className="flex items-baseline justify-between gap-3 text-sm">
              <span className="text-slate-800">{s.label}</span>
              <span className="tabular-nums">
                <span className="font-semibold text-slate-900" data-testid="count">{formatCount(s.value)}</span>
                {s.key !== "notified" && funnel.notified > 0 && <span className="ml-1.5 text-xs text-slate-600">{formatPercent(s.value / funnel.notified)}</span>}
              </span>
            </div>
            <div className="mt-1 h-3 rounded bg-slate-100" aria-hidden>
              <div className={`h-full rounded ${s.color}`} style={{ width: `${(s.value / max) * 100}%` }} />
            </div>
          </li>
        ))}
      </ol>
      <p className="mt-4 border-t border-slate-100 pt-3 text-sm text-slate-700">
        Upgrade rate <span className="font-semibold text-slate-900" data-testid="upgrade-rate">{formatPercent(funnel.upgradeRate)}</span>
        {funnel.notified === 0 && " (no account was notified in this range)"}
      </p>
    </div>
  );
}

function HBars({ label, items, empty, testId }: { label: string; items: Array<{ key: string; label: string; value: number }>; empty: string; testId: string }) {
  const id = useId();
  const max = Math.max(1, ...items.map((i) => i.value));
  if (items.length === 0) return <p className="rounded-xl border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600">{empty}</p>;
  return (
    <div className="rounded-xl border border-slate-200 bg-white px-5 py-4 shadow-sm" data-testid={testId}>
      <p id={id} className="sr-only">{label}</p>
      <ul aria-labelledby={id} className="space-y-2">
        {items.map((i) => (
          <li key={i.key} className="grid grid-cols-[10rem_1fr_3rem] items-center gap-3 text-sm">
            <span className="truncate text-slate-800" title={i.label}>{i.label}</span>
            <span className="h-2.5 rounded bg-slate-100" aria-hidden>
              <span className="block h-full rounded bg-brand-500" style={{ width: `${(i.value / max) * 100}%` }} />
            </span>
            <span className="text-right font-semibold tabular-nums text-slate-900">{formatCount(i.value)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
