import { AxisBottom, AxisLeft } from "@visx/axis";
import { GridRows } from "@visx/grid";
import { Group } from "@visx/group";
import type { PickD3Scale } from "@visx/scale";
import { Line } from "@visx/shape";
import { useParentSize } from "@visx/responsive";
import { type ReactNode, useLayoutEffect, useRef, useState } from "react";
import { fitXTicks, textWidth } from "./x-ticks";

/** Room around the plot, in px. */
export interface ChartMargin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

const AXIS_TEXT = { fill: "#475569", fontSize: 12 } as const;
/** Space kept between two x labels, in px. */
const X_LABEL_GAP = 14;

/**
 * The label box beside the hovered bucket [x0, x1] (px in the svg): right of it on the chart's left
 * half, left of it on the right half, moved in when that would cross the chart's edge (a phone).
 */
export function ChartTip({ x0, x1, width, children }: { x0: number; x1: number; width: number; children: ReactNode }) {
  const box = useRef<HTMLDivElement | null>(null);
  const [own, setOwn] = useState(0);
  // Its width once drawn, before it is painted: the content changes with the bucket.
  useLayoutEffect(() => setOwn(box.current?.offsetWidth ?? 0));
  const beside = x0 < width / 2 ? x1 + 8 : x0 - 8 - own;
  return (
    <div ref={box} className="pointer-events-none absolute top-2 z-10 w-max" style={{ left: Math.max(0, Math.min(beside, width - own)) }}>
      {children}
    </div>
  );
}

/**
 * The x labels that fit at this width, none overlapping another or crossing `bounds` (see
 * fitXTicks): `xs` are the buckets, `centre` where each one's label is centred (px, like `bounds`).
 */
export function fittingXTicks(xs: readonly number[], centre: (x: number) => number, format: (x: number) => string, bounds: readonly [number, number], fontFamily: string): number[] {
  const candidates = xs.map((x) => ({ value: x, at: centre(x), width: xLabelWidth(x, format, fontFamily) }));
  return fitXTicks(candidates, X_LABEL_GAP, bounds);
}

/** The width an x label for `x` takes, for a margin that must hold half of it. */
export function xLabelWidth(x: number, format: (x: number) => string, fontFamily: string): number {
  return textWidth(format(x), AXIS_TEXT.fontSize, fontFamily);
}

/**
 * The chart's box: a ref for the element the svg fills, its width (0 until measured), and the font
 * its text is drawn in (inherited by the svg), for measuring labels before they are drawn. The svg
 * is placed absolutely in the box, so its width never holds the box (a grid cell) wider than the
 * screen after the window narrows.
 */
export function useChartBox(height: number) {
  const box = useRef<HTMLDivElement | null>(null);
  const { parentRef, width } = useParentSize({ debounceTime: 30, initialSize: { width: 0, height }, externalRef: box });
  const font = () => (box.current ? getComputedStyle(box.current).fontFamily : "sans-serif");
  return { parentRef, width, font };
}

/**
 * A chart's box and its svg (class `chart-surface`, drawn once the box's width is known), with what
 * floats over it (`overlay`: the tooltip). `onPointerX` hears the pointer's x in the svg (px) while it
 * moves over it, and null when it leaves.
 */
export function ChartSurface({
  box,
  width,
  height,
  onPointerX,
  overlay,
  children,
}: {
  box: ReturnType<typeof useChartBox>["parentRef"];
  width: number;
  height: number;
  onPointerX?: (x: number | null) => void;
  overlay?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div ref={box} className="relative" style={{ height }}>
      {width > 0 && (
        <svg
          width={width}
          height={height}
          className="chart-surface absolute left-0 top-0 block touch-pan-y"
          onPointerMove={onPointerX ? (e) => onPointerX(e.clientX - e.currentTarget.getBoundingClientRect().left) : undefined}
          onPointerLeave={onPointerX ? () => onPointerX(null) : undefined}
        >
          {children}
        </svg>
      )}
      {overlay}
    </div>
  );
}

/**
 * The common parts of a chart, drawn in one place so every chart looks the same: grid rows at the
 * y ticks, the marks (children) over them, a line at zero when the y axis goes below it, the y labels
 * on the left and the x axis with its labels (class `chart-x-tick`) at the bottom.
 */
export function ChartFrame({
  margin,
  innerW,
  innerH,
  xScale,
  yScale,
  xTicks,
  yTicks,
  formatX,
  formatY,
  children,
}: {
  margin: ChartMargin;
  innerW: number;
  innerH: number;
  xScale: PickD3Scale<"band" | "linear", number, number>;
  yScale: PickD3Scale<"linear", number>;
  xTicks: readonly number[] | undefined;
  yTicks: readonly number[];
  formatX: (x: number) => string;
  formatY: (y: number) => string;
  children: ReactNode;
}) {
  const [low] = yScale.domain();
  return (
    <Group left={margin.left} top={margin.top}>
      <GridRows scale={yScale} width={innerW} tickValues={[...yTicks]} stroke="#e2e8f0" />
      {children}
      {low !== undefined && low < 0 && <Line from={{ x: 0, y: yScale(0) }} to={{ x: innerW, y: yScale(0) }} stroke="#64748b" />}
      <AxisLeft scale={yScale} tickValues={[...yTicks]} tickFormat={(v) => formatY(Number(v))} hideAxisLine hideTicks tickLabelProps={{ ...AXIS_TEXT, textAnchor: "end", dx: -4, dy: "0.32em" }} />
      <AxisBottom
        top={innerH}
        scale={xScale}
        tickValues={xTicks ? [...xTicks] : undefined}
        tickFormat={(v) => formatX(Number(v))}
        stroke="#cbd5e1"
        hideTicks
        tickClassName="chart-x-tick"
        tickLabelProps={{ ...AXIS_TEXT, textAnchor: "middle", dy: 4 }}
      />
    </Group>
  );
}
