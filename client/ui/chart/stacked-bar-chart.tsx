import { AxisBottom, AxisLeft } from "@visx/axis";
import { GridRows } from "@visx/grid";
import { Group } from "@visx/group";
import { useParentSize } from "@visx/responsive";
import { scaleBand, scaleLinear } from "@visx/scale";
import { BarStack, Line } from "@visx/shape";
import { type ReactNode, useMemo, useState } from "react";

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
  /** Bottom to top. A single series draws plain bars. */
  series: readonly BarSeries<K>[];
  /** The bucket a datum stands for (unique per datum: a start time, a day). */
  x: (d: D) => number;
  height: number;
  /** Which buckets get a label under the axis (a subset of `x` of the data; all when absent). */
  xTicks?: readonly number[];
  formatX: (x: number) => string;
  formatY: (y: number) => string;
  /** Drawn over the bars; the y axis grows to show it. */
  rule?: ChartRule | null;
  /** The box shown while the pointer is over a bucket (or a finger taps one); none when absent. */
  tooltip?: (d: D) => ReactNode;
  /** The gap between bars, as a share of one bucket's width (0–1). */
  gap?: number;
  /** Room on the right (for the rule's label); the left fits the y labels. */
  margin?: Partial<{ top: number; right: number; bottom: number; left: number }>;
}

const AXIS_TEXT = { fill: "#475569", fontSize: 12 } as const;

/**
 * Stacked bars drawn as plain SVG from d3 scales (visx): no animation, one render per data or width
 * change. The SVG says nothing to assistive tech on its own; callers wrap it in a figure with a
 * summary and a table (see usage-bar-chart.tsx). Class names for tests and styles: `chart-surface`
 * (the svg), `chart-bar` (one segment of a bar), `chart-x-tick` (a label under the axis).
 */
export function StackedBarChart<D extends Record<K, number>, K extends string>(props: StackedBarChartProps<D, K>) {
  const { data, series, x, height, rule = null, tooltip, gap = 0.18 } = props;
  const { parentRef, width } = useParentSize({ debounceTime: 30, initialSize: { width: 0, height } });
  const [hover, setHover] = useState<number | null>(null);
  const margin = { top: 10, right: rule ? 40 : 12, bottom: 26, left: 44, ...props.margin };
  const innerW = Math.max(0, width - margin.left - margin.right);
  const innerH = Math.max(0, height - margin.top - margin.bottom);

  const keys = useMemo(() => series.map((s) => s.key), [series]);
  const colorOf = useMemo(() => new Map(series.map((s) => [s.key, s.color])), [series]);
  const xScale = useMemo(() => scaleBand<number>({ domain: data.map(x), range: [0, innerW], paddingInner: gap, paddingOuter: gap / 2 }), [data, x, innerW, gap]);
  const yScale = useMemo(() => {
    const top = Math.max(1, rule?.y ?? 0, ...data.map((d) => keys.reduce((s, k) => s + d[k], 0)));
    return scaleLinear<number>({ domain: [0, top], range: [innerH, 0], nice: 4 });
  }, [data, keys, rule, innerH]);
  // Whole numbers only: counts and cents are never fractional.
  const yTicks = yScale.ticks(4).filter((t) => Number.isInteger(t));

  const step = xScale.step();
  const first = data.length > 0 ? (xScale(x(data[0]!)) ?? 0) : 0;
  const indexAt = (px: number) => Math.min(data.length - 1, Math.max(0, Math.floor((px - margin.left - first + (step * gap) / 2) / step)));
  const hovered = hover === null ? undefined : data[hover];
  const hoverX = hovered ? (xScale(x(hovered)) ?? 0) : 0;

  return (
    <div ref={parentRef} className="relative" style={{ height }}>
      {width > 0 && (
        <svg
          width={width}
          height={height}
          className="chart-surface block touch-pan-y"
          onPointerMove={tooltip && data.length > 0 ? (e) => setHover(indexAt(e.clientX - e.currentTarget.getBoundingClientRect().left)) : undefined}
          onPointerLeave={tooltip ? () => setHover(null) : undefined}
        >
          <Group left={margin.left} top={margin.top}>
            <GridRows scale={yScale} width={innerW} tickValues={yTicks} stroke="#e2e8f0" />
            {hovered && <rect x={hoverX - (step * gap) / 2} y={0} width={step} height={innerH} fill="#f1f5f9" />}
            <BarStack<D, K> data={data as D[]} keys={keys as K[]} x={x} xScale={xScale} yScale={yScale} color={(k) => colorOf.get(k) ?? "#94a3b8"}>
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
            <AxisLeft scale={yScale} tickValues={yTicks} tickFormat={(v) => props.formatY(Number(v))} hideAxisLine hideTicks tickLabelProps={{ ...AXIS_TEXT, textAnchor: "end", dx: -4, dy: "0.32em" }} />
            <AxisBottom
              top={innerH}
              scale={xScale}
              tickValues={props.xTicks ? [...props.xTicks] : undefined}
              tickFormat={(v) => props.formatX(Number(v))}
              stroke="#cbd5e1"
              hideTicks
              tickClassName="chart-x-tick"
              tickLabelProps={{ ...AXIS_TEXT, textAnchor: "middle", dy: 4 }}
            />
          </Group>
        </svg>
      )}
      {tooltip && hovered && (
        <div
          className="pointer-events-none absolute top-2 z-10"
          style={hoverX + margin.left < width / 2 ? { left: margin.left + hoverX + xScale.bandwidth() + 8 } : { right: width - margin.left - hoverX + 8 }}
        >
          {tooltip(hovered)}
        </div>
      )}
    </div>
  );
}
