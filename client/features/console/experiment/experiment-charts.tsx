import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { METRIC_IDS, METRICS, type MetricId } from "../../../../shared/experiment/metrics";
import { formatMetricValue, formatTarget } from "../../../../shared/experiment/report";
import { formatDayShort } from "../../../lib/format";
import { formatDateUtc } from "../lib/format";
import type { ExperimentData } from "./experiment-text";

const axis = { tickLine: false, tick: { fill: "#475569", fontSize: 11 } } as const;

/**
 * One small chart per metric the criteria use: the value at the end of each day, its confidence
 * band, and each criterion's threshold as a line (green for success, red for failure). Each chart
 * carries a table with the same numbers for screen readers.
 */
export function SeriesCharts({ data }: { data: ExperimentData }) {
  const card = data.scorecard;
  const used = METRIC_IDS.filter((m) => card.criteria.some((c) => c.metric === m));
  return (
    <div className="grid gap-4 md:grid-cols-2" data-testid="series">
      {used.map((m) => (
        <MetricChart key={m} metric={m} data={data} />
      ))}
    </div>
  );
}

function MetricChart({ metric, data }: { metric: MetricId; data: ExperimentData }) {
  const card = data.scorecard;
  const info = METRICS[metric];
  const scale = info.unit === "ratio" ? 100 : info.unit === "money_per_month" ? 0.01 : 1;
  const points = card.series.map((d) => {
    const v = d.metrics[metric];
    return { day: d.dayMs, value: v.value === null ? null : v.value * scale, band: v.low === null || v.high === null ? null : [v.low * scale, v.high * scale] };
  });
  const targets = card.criteria.filter((c) => c.metric === metric);
  const fmt = (v: number | null) => (v === null ? "–" : formatMetricValue(metric, v / scale, card.currency));
  const titleId = `chart-${metric}`;
  return (
    <figure aria-labelledby={titleId} className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid={`series-${metric}`}>
      <figcaption className="border-b border-slate-100 px-4 py-2.5">
        <h3 id={titleId} className="text-sm font-semibold text-slate-900">{info.label}</h3>
        <p className="text-xs text-slate-600">
          Targets: {targets.map((t) => `${t.kind} ${formatTarget(t, card.currency)}`).join(" · ")}
        </p>
      </figcaption>
      <div className="px-1 pb-2 pt-3" aria-hidden>
        <ComposedChart responsive data={points} accessibilityLayer={false} margin={{ top: 6, right: 12, bottom: 0, left: 0 }} style={{ width: "100%", height: 180 }}>
          <CartesianGrid vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="day" tickFormatter={formatDayShort} axisLine={{ stroke: "#cbd5e1" }} minTickGap={16} {...axis} />
          <YAxis width={56} axisLine={false} tickFormatter={(v: number) => (info.unit === "ratio" ? `${v}%` : info.unit === "money_per_month" ? `$${Intl.NumberFormat("en-US", { notation: "compact" }).format(v)}` : Intl.NumberFormat("en-US", { notation: "compact" }).format(v))} {...axis} />
          <Tooltip
            isAnimationActive={false}
            content={({ active, label }) => {
              const p = active ? points.find((x) => x.day === Number(label)) : undefined;
              return p ? (
                <div className="rounded-lg border border-slate-200 bg-white px-3 py-2 text-xs shadow-lg">
                  <p className="font-semibold text-slate-900">{formatDateUtc(p.day)}</p>
                  <p>Value: {fmt(p.value)}</p>
                  <p>Interval: {p.band ? `${fmt(p.band[0]!)} – ${fmt(p.band[1]!)}` : "–"}</p>
                </div>
              ) : null;
            }}
          />
          <Area dataKey="band" stroke="none" fill="#c7d2fe" fillOpacity={0.6} isAnimationActive={false} connectNulls />
          <Line dataKey="value" stroke="#4f46e5" strokeWidth={2} dot={{ r: 2 }} isAnimationActive={false} connectNulls />
          {targets.map((t, i) => (
            <ReferenceLine key={i} y={t.threshold * scale} stroke={t.kind === "success" ? "#059669" : "#e11d48"} strokeDasharray="5 4" ifOverflow="extendDomain" />
          ))}
        </ComposedChart>
      </div>
      <div className="sr-only">
        <table>
          <caption>{info.label} by day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Value</th>
              <th scope="col">Interval</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.day}>
                <th scope="row">{formatDateUtc(p.day)}</th>
                <td>{fmt(p.value)}</td>
                <td>{p.band ? `${fmt(p.band[0]!)} – ${fmt(p.band[1]!)}` : "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
