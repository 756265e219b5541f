import { scaleLinear } from "@visx/scale";
import { Area, Line, LinePath } from "@visx/shape";
import { type ReactNode, useMemo, useState } from "react";
import { ChartFrame, ChartSurface, ChartTip, fittingXTicks, useChartBox, xLabelWidth } from "./chart-frame";
import type { ChartRule } from "./stacked-bar-chart";

export interface LineBandChartProps<D> {
  data: readonly D[];
  /** Where a datum sits along the x axis (a day's start); the data in this order, left to right. */
  x: (d: D) => number;
  /** The line's value; null leaves the datum out and the line joins its neighbours. */
  y: (d: D) => number | null;
  /** A band drawn behind the line (a confidence interval), low to high; null leaves the datum out. */
  band?: (d: D) => readonly [number, number] | null;
  /** Dashed lines across the chart (thresholds); the y axis grows to show them. */
  rules?: readonly Pick<ChartRule, "y" | "color">[];
  height: number;
  formatX: (x: number) => string;
  formatY: (y: number) => string;
  /** The box shown while the pointer is near a datum (or a finger taps one); none when absent. */
  tooltip?: (d: D) => ReactNode;
  lineColor?: string;
  bandColor?: string;
}

const MARGIN = { top: 10, bottom: 26, left: 52, right: 12 };
const NO_RULES: readonly Pick<ChartRule, "y" | "color">[] = [];

/**
 * A line with a dot per datum over a shaded band, drawn as plain SVG from d3 scales (visx), in the
 * same frame as StackedBarChart (grid, axes, labels that never overlap, tooltip). The y axis starts
 * at zero unless a value is below it. Hidden from assistive tech like the bar chart: callers give
 * the numbers in a table. Class names: `chart-surface` (the svg), `chart-line` (the line's path),
 * `chart-x-tick` (a label under the axis).
 */
export function LineBandChart<D>(props: LineBandChartProps<D>) {
  const { data, x, y, band, rules = NO_RULES, height, formatX, tooltip, lineColor = "#4f46e5", bandColor = "#c7d2fe" } = props;
  const { parentRef, width, font } = useChartBox(height);
  const [hover, setHover] = useState<number | null>(null);
  // The last day's label is centred on the right edge of the plot: the margin holds half of it.
  const last = data.at(-1);
  const right = last === undefined || width === 0 ? MARGIN.right : Math.max(MARGIN.right, Math.ceil(xLabelWidth(x(last), formatX, font()) / 2) + 2);
  const margin = { ...MARGIN, right };
  const innerW = Math.max(0, width - margin.left - margin.right);
  const innerH = Math.max(0, height - margin.top - margin.bottom);

  const xScale = useMemo(() => {
    const xs = data.map(x);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    // One datum (or none) sits in the middle.
    return scaleLinear<number>({ domain: lo < hi ? [lo, hi] : [lo - 1, lo + 1], range: [0, innerW] });
  }, [data, x, innerW]);
  const yScale = useMemo(() => {
    const values = [0, ...rules.map((r) => r.y)];
    for (const d of data) {
      const v = y(d);
      if (v !== null) values.push(v);
      const b = band?.(d);
      if (b) values.push(b[0], b[1]);
    }
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return scaleLinear<number>({ domain: [lo, hi > lo ? hi : lo + 1], range: [innerH, 0], nice: 4 });
  }, [data, y, band, rules, innerH]);
  const yTicks = yScale.ticks(4);
  const xTicks = useMemo(
    () => (innerW === 0 ? [] : fittingXTicks(data.map(x), (v) => xScale(v), formatX, [-margin.left, innerW + margin.right], font())),
    // Not a dependency: `font` reads the page's style, the same from one render to the next.
    [data, x, xScale, formatX, innerW, margin.left, margin.right],
  );

  const withValue = data.filter((d) => y(d) !== null);
  const withBand = band ? data.filter((d) => band(d) !== null) : [];
  const at = (d: D) => xScale(x(d));
  const nearest = (px: number) => {
    let best = 0;
    for (let i = 1; i < data.length; i++) if (Math.abs(at(data[i]!) - px) < Math.abs(at(data[best]!) - px)) best = i;
    return best;
  };
  const hovered = hover === null ? undefined : data[hover];
  const hoverX = hovered ? at(hovered) : 0;
  const hoverY = hovered ? y(hovered) : null;

  return (
    <ChartSurface
      box={parentRef}
      width={width}
      height={height}
      onPointerX={tooltip && data.length > 0 ? (px) => setHover(px === null ? null : nearest(px - margin.left)) : undefined}
      overlay={
        tooltip &&
        hovered && (
          <ChartTip x0={margin.left + hoverX} x1={margin.left + hoverX} width={width}>
            {tooltip(hovered)}
          </ChartTip>
        )
      }
    >
      <ChartFrame margin={margin} innerW={innerW} innerH={innerH} xScale={xScale} yScale={yScale} xTicks={xTicks} yTicks={yTicks} formatX={formatX} formatY={props.formatY}>
        {hovered && <Line from={{ x: hoverX, y: 0 }} to={{ x: hoverX, y: innerH }} stroke="#cbd5e1" />}
        {band && withBand.length > 0 && (
          <Area<D> data={withBand} x={at} y0={(d) => yScale(band(d)![0])} y1={(d) => yScale(band(d)![1])} fill={bandColor} fillOpacity={0.6} className="chart-band" />
        )}
        {rules.map((r, i) => (
          <Line key={i} from={{ x: 0, y: yScale(r.y) }} to={{ x: innerW, y: yScale(r.y) }} stroke={r.color} strokeDasharray="5 4" />
        ))}
        <LinePath<D> data={withValue} x={at} y={(d) => yScale(y(d)!)} stroke={lineColor} strokeWidth={2} className="chart-line" />
        {withValue.map((d) => (
          <circle key={x(d)} cx={at(d)} cy={yScale(y(d)!)} r={2} fill="#fff" stroke={lineColor} strokeWidth={2} />
        ))}
        {hovered && hoverY !== null && <circle cx={hoverX} cy={yScale(hoverY)} r={4} fill={lineColor} stroke="#fff" strokeWidth={2} />}
      </ChartFrame>
    </ChartSurface>
  );
}
