import { METRIC_IDS, METRICS, type MetricId } from "../../../../shared/experiment/metrics";
import { formatMetricValue, formatTarget } from "../../../../shared/experiment/report";
import { formatDayShort } from "../../../lib/format";
import { LineBandChart } from "../../../ui/chart/line-band-chart";
import { formatDateUtc } from "../lib/format";
import type { ExperimentData } from "./experiment-text";

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
    const band: [number, number] | null = v.low === null || v.high === null ? null : [v.low * scale, v.high * scale];
    return { day: d.dayMs, value: v.value === null ? null : v.value * scale, band };
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
        <LineBandChart
          data={points}
          x={(p) => p.day}
          y={(p) => p.value}
          band={(p) => p.band}
          rules={targets.map((t) => ({ y: t.threshold * scale, color: t.kind === "success" ? "#059669" : "#e11d48" }))}
          height={180}
          formatX={formatDayShort}
          formatY={(v) => (info.unit === "ratio" ? `${v}%` : info.unit === "money_per_month" ? `$${Intl.NumberFormat("en-US", { notation: "compact" }).format(v)}` : Intl.NumberFormat("en-US", { notation: "compact" }).format(v))}
          tooltip={(p) => (
            <div className="rounded-lg border border-slate-200 bg-white px-3 py-2 text-xs shadow-lg">
              <p className="font-semibold text-slate-900">{formatDateUtc(p.day)}</p>
              <p>Value: {fmt(p.value)}</p>
              <p>Interval: {p.band ? `${fmt(p.band[0]!)} – ${fmt(p.band[1]!)}` : "–"}</p>
            </div>
          )}
        />
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
