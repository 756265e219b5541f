import { useId } from "react";
import { formatCompact, formatCount } from "../../../lib/format";
import { StackedBarChart } from "../../../ui/chart/stacked-bar-chart";
import { CAP_LINE_COLOR, SERIES, type SeriesKey, totalOf, type UsageCounts } from "./series";

export interface ChartPoint extends UsageCounts {
  /** Unix ms of the bucket's start. */
  startMs: number;
  /** Said in the tooltip and the table: e.g. "On the Starter plan (its caps applied)". */
  note?: string;
}

export interface UsageBarChartProps {
  /** Heading of the chart, also its accessible name. */
  title: string;
  /** A short line under the title (time zone, range). */
  subtitle: string;
  points: ChartPoint[];
  /** The cap for one bucket; null = no cap in this window (no line). */
  cap: number | null;
  /** "min" or "day", for "Cap 60/min". */
  unit: "min" | "day";
  /** Label of one bucket on the axis and in the table ("14:05", "Nov 3"). */
  formatTick: (ms: number) => string;
  /** The bucket named in full, for the tooltip and the table ("Tue 14:05", "Tuesday, Nov 3"). */
  formatBucket: (ms: number) => string;
  /** Axis ticks to show (a subset of the points' startMs). */
  ticks: number[];
  /** Plain-language summary read by screen readers (and the figure's description). */
  summary: string;
  /** Shown over an all-zero chart. */
  emptyText: string;
  testId: string;
}

/**
 * Stacked bars of calls per bucket, coloured by what happened to them, with the cap as a dashed line.
 * The SVG is hidden from assistive tech; a summary and a table carry the same numbers.
 */
const startOf = (p: ChartPoint) => p.startMs;

export function UsageBarChart(props: UsageBarChartProps) {
  const { points, cap, unit } = props;
  const titleId = useId();
  const summaryId = useId();
  const present = SERIES.filter((s) => ((s.key === "allowed" || s.key === "wouldThrottle") && points.some((p) => !p.note)) || points.some((p) => p[s.key] > 0));
  const isEmpty = points.every((p) => totalOf(p) === 0);
  const rowsWithCalls = points.filter((p) => totalOf(p) > 0);

  return (
    <figure aria-labelledby={titleId} aria-describedby={summaryId} className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid={props.testId}>
      <figcaption className="flex flex-wrap items-start justify-between gap-x-6 gap-y-3 border-b border-slate-100 px-5 py-4">
        <div>
          <h3 id={titleId} className="text-base font-semibold text-slate-900">{props.title}</h3>
          <p className="mt-0.5 text-sm text-slate-600">{props.subtitle}</p>
        </div>
        <ul className="flex flex-wrap gap-x-4 gap-y-1.5 text-xs text-slate-700" aria-label="Legend">
          {present.map((s) => (
            <li key={s.key} className="flex items-center gap-1.5">
              <span className="h-2.5 w-2.5 rounded-sm" style={{ backgroundColor: s.color }} aria-hidden />
              {s.label}
            </li>
          ))}
          {cap !== null && (
            <li className="flex items-center gap-1.5">
              <span className="w-4 border-t-2 border-dashed" style={{ borderColor: CAP_LINE_COLOR }} aria-hidden />
              Your cap ({formatCount(cap)}/{unit})
            </li>
          )}
        </ul>
      </figcaption>

      <div className="relative px-2 pb-3 pt-4 sm:px-4">
        <div aria-hidden>
          <StackedBarChart<ChartPoint, SeriesKey>
            data={points}
            series={present}
            x={startOf}
            height={224}
            xTicks={props.ticks}
            formatX={props.formatTick}
            formatY={formatCompact}
            rule={cap === null ? null : { y: cap, label: "Cap", color: CAP_LINE_COLOR }}
            tooltip={(p) => <ChartTooltip point={p} heading={props.formatBucket(p.startMs)} cap={p.note ? null : cap} unit={unit} />}
          />
        </div>
        {isEmpty && (
          <p className="pointer-events-none absolute inset-0 flex items-center justify-center text-sm text-slate-500" aria-hidden>
            <span className="rounded-md bg-white/90 px-2 py-1">{props.emptyText}</span>
          </p>
        )}
      </div>

      <div className="sr-only">
        <p id={summaryId}>{props.summary}</p>
        <table>
          <caption>{props.title}{rowsWithCalls.length < points.length ? " (periods without calls are left out)" : ""}</caption>
          <thead>
            <tr>
              <th scope="col">Period</th>
              {present.map((s) => (
                <th key={s.key} scope="col">{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rowsWithCalls.map((p) => (
              <tr key={p.startMs}>
                <th scope="row">{props.formatBucket(p.startMs)}{p.note ? ` (${p.note})` : ""}</th>
                {present.map((s) => (
                  <td key={s.key}>{formatCount(p[s.key])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

function ChartTooltip({ point, heading, cap, unit }: { point: ChartPoint; heading: string; cap: number | null; unit: string }) {
  const total = totalOf(point);
  return (
    <div className="min-w-48 rounded-lg border border-slate-200 bg-white px-3 py-2 text-xs shadow-lg">
      <p className="font-semibold text-slate-900">{heading}</p>
      {point.note && <p className="text-slate-600">{point.note}</p>}
      <dl className="mt-1.5 space-y-1">
        {SERIES.filter((s) => point[s.key] > 0).map((s) => (
          <div key={s.key} className="flex items-center justify-between gap-4">
            <dt className="flex items-center gap-1.5 text-slate-600">
              <span className="h-2 w-2 rounded-sm" style={{ backgroundColor: s.color }} />
              {s.label}
            </dt>
            <dd className="font-medium text-slate-900">{formatCount(point[s.key])}</dd>
          </div>
        ))}
        <div className="flex items-center justify-between gap-4 border-t border-slate-100 pt-1">
          <dt className="text-slate-600">Total</dt>
          <dd className="font-semibold text-slate-900">{formatCount(total)}</dd>
        </div>
      </dl>
      {cap !== null && <p className="mt-1 text-slate-500">Cap {formatCount(cap)}/{unit}{total > cap ? ` · ${(total / cap).toFixed(1)}× the cap` : ""}</p>}
    </div>
  );
}
