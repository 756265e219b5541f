import { describe, expect, it } from "vitest";
import { fitXTicks, type TickCandidate, textWidth } from "./x-ticks";

/** `n` labels `width` px wide, centred every `step` px from `start`; values 0..n-1. */
const row = (n: number, step: number, width: number, start = step / 2): TickCandidate[] => Array.from({ length: n }, (_, i) => ({ value: i, at: start + i * step, width }));

/** No two picked labels closer than `gap`, all inside the bounds. */
function expectApart(all: TickCandidate[], picked: number[], gap: number, bounds: [number, number]) {
  const boxes = picked.map((v) => all.find((c) => c.value === v)!).map((c) => [c.at - c.width / 2, c.at + c.width / 2] as const);
  for (let i = 1; i < boxes.length; i++) expect(boxes[i]![0] - boxes[i - 1]![1]).toBeGreaterThanOrEqual(gap);
  for (const [l, r] of boxes) {
    expect(l).toBeGreaterThanOrEqual(bounds[0]);
    expect(r).toBeLessThanOrEqual(bounds[1]);
  }
}

describe("x labels that never overlap", () => {
  it("labels every bucket when there is room", () => {
    expect(fitXTicks(row(5, 60, 30), 14, [0, 300])).toEqual([0, 1, 2, 3, 4]);
  });

  it("thins to every k-th label counted back from the last, keeping the first when it fits", () => {
    // 30 days, 10 px apart, labels 32 px wide: one label in five is the closest that keeps 14 px between them.
    const days = row(30, 10, 32, 20);
    const picked = fitXTicks(days, 14, [0, 330]);
    expect(picked.at(-1)).toBe(29);
    expect(picked).toEqual([4, 9, 14, 19, 24, 29]);
    expectApart(days, picked, 14, [0, 330]);
    // With one more day the count back from the last lands on the first.
    const more = row(31, 10, 32, 20);
    expect(fitXTicks(more, 14, [0, 340])).toEqual([0, 5, 10, 15, 20, 25, 30]);
  });

  it("adds the first label only when it has room beside the next one", () => {
    // Every other label fits; counted from the last (index 5) that is 5, 3, 1; the first (0) would touch 1.
    const six = row(6, 40, 30, 20);
    expect(fitXTicks(six, 14, [0, 240])).toEqual([1, 3, 5]);
  });

  it("leaves out labels that would cross the chart's edges", () => {
    const days = row(4, 50, 40, 10);
    // The first label starts at -10 px: it is not drawn; the others are.
    expect(fitXTicks(days, 4, [0, 200])).toEqual([1, 2, 3]);
  });

  it("draws no label when none fits and none when there are no buckets", () => {
    expect(fitXTicks(row(3, 10, 60, 5), 4, [0, 30])).toEqual([]);
    expect(fitXTicks([], 4, [0, 100])).toEqual([]);
  });

  it("estimates a label's width without a canvas (on the server)", () => {
    expect(textWidth("3 Nov", 12, "sans-serif")).toBeCloseTo(5 * 12 * 0.62);
  });
});
