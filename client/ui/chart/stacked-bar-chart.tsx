import { scaleBand, scaleLinear } from "@visx/scale";
import { BarStack, Line } from "@visx/shape";
import { type ReactNode, useMemo, useState } from "react";
import { ChartFrame, ChartSurface, ChartTip, fittingXTicks, useChartBox } from "./chart-frame";

/** One stacked series: its field in the data, and its colour. */
export interface BarSeries<K extends string> {
  key: K;
  color: string;
}

/** A horizontal line across the chart (a cap, a target), labelled at its right end. */
export interface ChartRule {
  y: number;
  label: string;
  color: string;
}

export interface StackedBarChartProps<D extends Record<K, number>, K extends string> {
  data: readonly D[];
  /** Bottom to top. A single series draws plain bars; a negative value draws down from zero. */
  series: readonly BarSeries<K>[];
  /** The bucket a datum stands for (unique per datum: a start time, a day). */
  x: (d: D) => number;
  height: number;
  /**
   * Which buckets get a label under the axis (a subset of `x` of the data). When absent, as many as
   * fit at the chart's width without overlapping: every k-th bucket back from the latest, the first too when it fits.
   */
  xTicks?: readonly number[];
  formatX: (x: number) => string;
  formatY: (y: number) => string;
  /** The y axis from and to these values (e.g. −100 to 100 for a score) instead of from zero to the tallest bar. */
  yDomain?: readonly [number, number];
  /** The y values labelled and gridded; whole numbers from the scale's own ticks when absent. */
  yTicks?: readonly number[];
  /** Drawn over the bars; the y axis grows to show it. */
  rule?: ChartRule | null;
  /** The box shown while the pointer is over a bucket (or a finger taps one); none when absent. */
  tooltip?: (d: D) => ReactNode;
  /** The gap between bars, as a share of one bucket's width (0–1). */
  gap?: number;
  /** Room on the right (for the rule's label); the left fits the y labels. */
  margin?: Partial<{ top: number; right: number; bottom: number; left: number }>;
}

/**
 * Stacked bars drawn as plain SVG from d3 scales (visx): no animation, one render per data or width
 * change. The SVG says nothing to assistive tech on its own; callers wrap it in a figure with a
 * summary and a table (see usage-bar-chart.tsx). Class names for tests and styles: `chart-surface`
 * (the svg), `chart-bar` (one segment of a bar), `chart-x-tick` (a label under the axis).
 */
export function StackedBarChart<D extends Record<K, number>, K extends string>(props: StackedBarChartProps<D, K>) {
  const { data, series, x, height, rule = null, tooltip, gap = 0.18, yDomain, formatX } = props;
  const { parentRef, width, font } = useChartBox(height);
  const [hover, setHover] = useState<number | null>(null);
  const margin = { top: 10, right: rule ? 40 : 12, bottom: 26, left: 44, ...props.margin };
  const innerW = Math.max(0, width - margin.left - margin.right);
  const innerH = Math.max(0, height - margin.top - margin.bottom);

  const keys = useMemo(() => series.map((s) => s.key), [series]);
  const colorOf = useMemo(() => new Map(series.map((s) => [s.key, s.color])), [series]);
  const xScale = useMemo(() => scaleBand<number>({ domain: data.map(x), range: [0, innerW], paddingInner: gap, paddingOuter: gap / 2 }), [data, x, innerW, gap]);
  const yScale = useMemo(() => {
    if (yDomain) return scaleLinear<number>({ domain: [Math.min(yDomain[0], rule?.y ?? 0), Math.max(yDomain[1], rule?.y ?? 0)], range: [innerH, 0] });
    const top = Math.max(1, rule?.y ?? 0, ...data.map((d) => keys.reduce((s, k) => s + Math.max(0, d[k]), 0)));
    const bottom = Math.min(0, ...data.map((d) => keys.reduce((s, k) => s + Math.min(0, d[k]), 0)));
    return scaleLinear<number>({ domain: [bottom, top], range: [innerH, 0], nice: 4 });
  }, [data, keys, rule, innerH, yDomain]);
  // Whole numbers only: counts and cents are never fractional.
  const yTicks = props.yTicks ?? yScale.ticks(4).filter((t) => Number.isInteger(t));
  const marginLeft = margin.left;
  const marginRight = margin.right;
  const xTicks = useMemo(() => {
    if (props.xTicks) return props.xTicks;
    if (innerW === 0) return [];
    const centre = (v: number) => (xScale(v) ?? 0) + xScale.bandwidth() / 2;
    return fittingXTicks(data.map(x), centre, formatX, [-marginLeft, innerW + marginRight], font());
    // Not a dependency: `font` reads the page's style, the same from one render to the next.
  }, [props.xTicks, data, x, xScale, formatX, innerW, marginLeft, marginRight]);

  const step = xScale.step();
  const first = data.length > 0 ? (xScale(x(data[0]!)) ?? 0) : 0;
  const indexAt = (px: number) => Math.min(data.length - 1, Math.max(0, Math.floor((px - margin.left - first + (step * gap) / 2) / step)));
  const hovered = hover === null ? undefined : data[hover];
  const hoverX = hovered ? (xScale(x(hovered)) ?? 0) : 0;

  return (
    <ChartSurface
      box={parentRef}
      width={width}
      height={height}
      onPointerX={tooltip && data.length > 0 ? (px) => setHover(px === null ? null : indexAt(px)) : undefined}
      overlay={
        tooltip &&
        hovered && (
          <ChartTip x0={margin.left + hoverX} x1={margin.left + hoverX + xScale.bandwidth()} width={width}>
            {tooltip(hovered)}
          </ChartTip>
        )
      }
    >
      <ChartFrame margin={margin} innerW={innerW} innerH={innerH} xScale={xScale} yScale={yScale} xTicks={xTicks} yTicks={yTicks} formatX={formatX} formatY={props.formatY}>
        {hovered && <rect x={hoverX - (step * gap) / 2} y={0} width={step} height={innerH} fill="#f1f5f9" />}
        <BarStack<D, K> data={data as D[]} keys={keys as K[]} x={x} xScale={xScale} yScale={yScale} offset="diverging" color={(k) => colorOf.get(k) ?? "#94a3b8"}>
          {(stacks) =>
            stacks.flatMap((stack) =>
              stack.bars
                .filter((bar) => bar.height > 0)
                .map((bar) => <rect key={`${stack.key}-${bar.index}`} className="chart-bar" data-series={stack.key} x={bar.x} y={bar.y} width={bar.width} height={bar.height} fill={bar.color} />),
            )
          }
        </BarStack>
        {rule && (
          <>
            <Line from={{ x: 0, y: yScale(rule.y) }} to={{ x: innerW, y: yScale(rule.y) }} stroke={rule.color} strokeWidth={1.5} strokeDasharray="5 4" />
            <text x={innerW + 4} y={yScale(rule.y)} dy="0.32em" fill={rule.color} fontSize={11} fontWeight={600}>
              {rule.label}
            </text>
          </>
        )}
      </ChartFrame>
    </ChartSurface>
  );
}
