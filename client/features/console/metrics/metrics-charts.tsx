import { useId, type ReactNode } from "react";
import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import { formatCompact, formatCount, formatDayShort } from "../../../lib/format";
import { StackedBarChart } from "../../../ui/chart/stacked-bar-chart";
import type { MetricsData } from "../console-data";
import { formatDateUtc } from "../lib/format";

interface Series<K extends string = string> {
  key: K;
  label: string;
  color: string;
}

/**
 * A chart as a figure: a title, a legend, the SVG (hidden from assistive tech) and a table with the
 * same numbers for screen readers, as the portal's usage charts do.
 */
function ChartFigure({
  title,
  subtitle,
  series,
  table,
  children,
  testId,
}: {
  title: string;
  subtitle: string;
  series: Series[];
  table: { head: string[]; rows: Array<{ key: string | number; cells: string[] }> };
  children: ReactNode;
  testId: string;
}) {
  const titleId = useId();
  return (
    <figure aria-labelledby={titleId} className="relative rounded-xl border border-slate-200 bg-white shadow-sm" data-testid={testId}>
      <figcaption className="flex flex-wrap items-start justify-between gap-x-6 gap-y-2 border-b border-slate-100 px-5 py-3">
        <div>
          <h3 id={titleId} className="text-base font-semibold text-slate-900">{title}</h3>
          <p className="mt-0.5 text-sm text-slate-600">{subtitle}</p>
        </div>
        <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700" aria-label="Legend">
          {series.map((s) => (
            <li key={s.key} className="flex items-center gap-1.5">
              <span className="h-2.5 w-2.5 rounded-sm" style={{ backgroundColor: s.color }} aria-hidden />
              {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
      <div className="px-2 pb-3 pt-4 sm:px-4" aria-hidden>{children}</div>
      <div className="sr-only">
      <table>
        <caption>{title}</caption>
        <thead>
          <tr>{table.head.map((h) => <th key={h} scope="col">{h}</th>)}</tr>
        </thead>
        <tbody>
          {table.rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.cells[0]}</th>
              {r.cells.slice(1).map((c, i) => <td key={i}>{c}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}

function TooltipBox({ heading, lines }: { heading: string; lines: Array<{ label: string; value: string; color?: string }> }) {
  return (
    <div className="min-w-44 rounded-lg border border-slate-200 bg-white px-3 py-2 text-xs shadow-lg">
      <p className="font-semibold text-slate-900">{heading}</p>
      <dl className="mt-1 space-y-0.5">
        {lines.map((l) => (
          <div key={l.label} className="flex items-center justify-between gap-4">
            <dt className="flex items-center gap-1.5 text-slate-600">
              {l.color && <span className="h-2 w-2 rounded-sm" style={{ backgroundColor: l.color }} />}
              {l.label}
            </dt>
            <dd className="font-medium text-slate-900">{l.value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

type CallKey = "within" | "wouldThrottle" | "throttled";

const CALL_SERIES: Series<CallKey>[] = [
  { key: "within", label: "Served within cap", color: "#6366f1" },
  { key: "wouldThrottle", label: "Would throttle (served)", color: "#f59e0b" },
  { key: "throttled", label: "Throttled (refused)", color: "#e11d48" },
];

type CallPoint = Record<CallKey, number> & { dayMs: number };

const dayOf = (p: CallPoint) => p.dayMs;

/**
 * Stacked bars of calls per UTC day, for the series given; each chart has its own scale. Day labels
 * never overlap: the chart keeps as many as fit at its width.
 */
function CallBars({ points, series, height }: { points: CallPoint[]; series: Series<CallKey>[]; height: number }) {
  return (
    <StackedBarChart<CallPoint, CallKey>
      data={points}
      series={series}
      x={dayOf}
      height={height}
      formatX={formatDayShort}
      formatY={formatCompact}
      gap={0.15}
      tooltip={(p) => <TooltipBox heading={formatDateUtc(p.dayMs)} lines={CALL_SERIES.map((s) => ({ label: s.label, value: formatCount(p[s.key]), color: s.color }))} />}
    />
  );
}

/**
 * API calls per UTC day: served within the cap, served over it (shadow), refused. Calls over a cap
 * are a sliver of all calls (one Enterprise account can make most of them), so they get a panel
 * of their own, on their own scale, where they can be read.
 */
export function CallsChart({ days }: { days: MetricsData["callsPerDay"] }) {
  const points: CallPoint[] = days.map((d) => ({ dayMs: d.dayMs, within: d.served - d.wouldThrottle, wouldThrottle: d.wouldThrottle, throttled: d.throttled }));
  const overCap = CALL_SERIES.filter((s) => s.key !== "within");
  const anyOverCap = points.some((p) => p.wouldThrottle > 0 || p.throttled > 0);
  return (
    <ChartFigure
      title="API calls per day"
      subtitle="All accounts · UTC days"
      series={CALL_SERIES}
      testId="chart-calls"
      table={{ head: ["Day", ...CALL_SERIES.map((s) => s.label)], rows: points.map((p) => ({ key: p.dayMs, cells: [formatDateUtc(p.dayMs), formatCount(p.within), formatCount(p.wouldThrottle), formatCount(p.throttled)] })) }}
    >
      {points.length === 0 ? (
        <p className="flex h-56 items-center justify-center text-sm text-slate-600">No calls in this range.</p>
      ) : (
        <>
          <CallBars points={points} series={CALL_SERIES} height={240} />
          <div className="mt-4 border-t border-slate-100 pt-3" data-testid="chart-calls-over-cap">
            <p className="px-2 text-sm font-medium text-slate-800">Calls over a cap, on their own scale</p>
            {anyOverCap ? (
              <CallBars points={points} series={overCap} height={160} />
            ) : (
              <p className="flex h-20 items-center justify-center text-sm text-slate-600">No call went over a cap in this range.</p>
            )}
          </div>
        </>
      )}
    </ChartFigure>
  );
}

const MONEY_SERIES: Series[] = [
  { key: "mrr", label: "MRR now", color: "#6366f1" },
  { key: "revenue", label: "Invoiced in range", color: "#0f766e" },
];

/**
 * Monthly recurring revenue now and revenue invoiced in the range, one panel per plan (the
 * catalog's plans in its order, then any plan revenue was invoiced on that the catalog no longer
 * holds, by its id). Each panel has its own scale: an Enterprise account's bill would otherwise
 * flatten every other plan's bars to nothing.
 */
export function RevenueChart({ metrics, catalog }: { metrics: MetricsData; catalog: Catalog }) {
  const { currency } = metrics;
  const gone = Object.keys({ ...metrics.mrrMinorByPlan, ...metrics.revenueMinorByPlan }).filter((id) => !catalog.has(id));
  const points = [...catalog.plans.map((p) => p.id), ...gone].map((id) => ({ id, plan: catalog.nameOf(id), mrr: metrics.mrrMinorByPlan[id] ?? 0, revenue: metrics.revenueMinorByPlan[id] ?? 0 }));
  return (
    <ChartFigure
      title="MRR and revenue by plan"
      subtitle={`MRR ${formatMoney(metrics.mrrMinor, currency)} · invoiced ${formatMoney(metrics.revenueMinor, currency)} · each plan on its own scale`}
      series={MONEY_SERIES}
      testId="chart-revenue"
      table={{ head: ["Plan", ...MONEY_SERIES.map((s) => s.label)], rows: points.map((p) => ({ key: p.plan, cells: [p.plan, formatMoney(p.mrr, currency), formatMoney(p.revenue, currency)] })) }}
    >
      <ul className="grid grid-cols-[repeat(auto-fill,minmax(9.5rem,1fr))] gap-3 px-2">
        {points.map((p) => {
          const top = Math.max(p.mrr, p.revenue);
          return (
            <li key={p.id} className="rounded-lg bg-slate-50 px-3 py-2.5 ring-1 ring-inset ring-slate-200" data-testid="revenue-panel" data-plan={p.id}>
              <p className="text-sm font-semibold text-slate-900">{p.plan}</p>
              <dl className="mt-1.5 space-y-1.5">
                {MONEY_SERIES.map((s) => {
                  const value = p[s.key as "mrr"];
                  return (
                    <div key={s.key}>
                      <dt className="flex items-baseline justify-between gap-2 text-xs text-slate-600">
                        {s.label}
                        <span className="font-medium tabular-nums text-slate-900">{formatMoney(value, currency)}</span>
                      </dt>
                      <dd className="mt-0.5 h-2.5 rounded-sm bg-white ring-1 ring-inset ring-slate-200">
                        {value > 0 && <div className="h-full min-w-1 rounded-sm" data-testid="revenue-bar" style={{ width: `${(value / top) * 100}%`, backgroundColor: s.color }} />}
                      </dd>
                    </div>
                  );
                })}
              </dl>
            </li>
          );
        })}
      </ul>
    </ChartFigure>
  );
}

/** A week's bar: `nps` is drawn (0 without answers), `score` is what the week scored, if anything. */
type NpsPoint = { weekStartMs: number; nps: number; score: number | null; answers: number };

const NPS_SERIES: Series<"nps">[] = [{ key: "nps", label: "NPS (−100 to 100)", color: "#0f766e" }];
const weekOf = (p: NpsPoint) => p.weekStartMs;

/** Net Promoter Score per week (−100 to 100); weeks without answers have no bar. */
export function NpsChart({ satisfaction }: { satisfaction: MetricsData["satisfaction"] }) {
  // A week without answers has no score and draws no bar.
  const points: NpsPoint[] = satisfaction.weeks.map((w) => ({ weekStartMs: w.weekStartMs, nps: w.nps ?? 0, score: w.nps, answers: w.answers }));
  return (
    <ChartFigure
      title="Satisfaction (NPS) per week"
      subtitle={satisfaction.overall === null ? "No answers in this range" : `Overall ${satisfaction.overall} from ${formatCount(satisfaction.answers)} ${satisfaction.answers === 1 ? "answer" : "answers"} · weeks start on UTC days`}
      series={NPS_SERIES}
      testId="chart-nps"
      table={{ head: ["Week from", "NPS", "Answers"], rows: points.map((p) => ({ key: p.weekStartMs, cells: [formatDateUtc(p.weekStartMs), p.score === null ? "no answers" : String(p.score), formatCount(p.answers)] })) }}
    >
      <div className="relative">
        <StackedBarChart<NpsPoint, "nps">
          data={points}
          series={NPS_SERIES}
          x={weekOf}
          height={200}
          formatX={formatDayShort}
          formatY={String}
          yDomain={[-100, 100]}
          yTicks={[-100, -50, 0, 50, 100]}
          gap={0.3}
          tooltip={(p) => <TooltipBox heading={`Week from ${formatDateUtc(p.weekStartMs)}`} lines={[{ label: "NPS", value: p.score === null ? "no answers" : String(p.score) }, { label: "Answers", value: formatCount(p.answers) }]} />}
        />
        {satisfaction.answers === 0 && (
          <p className="pointer-events-none absolute inset-0 flex items-center justify-center text-sm text-slate-600">
            <span className="rounded-md bg-white/90 px-2 py-1">No answers yet: customers are asked after a plan change</span>
          </p>
        )}
      </div>
    </ChartFigure>
  );
}
