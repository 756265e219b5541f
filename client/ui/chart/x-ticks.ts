/** A label that could go under the x axis: its value, the x of its centre and its width (px). */
export interface TickCandidate {
  value: number;
  at: number;
  width: number;
}

/**
 * The x labels to draw so that no two overlap (at least `gap` px between them) and none crosses
 * the chart's edges (`bounds`, px): every k-th candidate counted back from the last one (the latest
 * bucket always keeps its label), k as small as fits, and the first one too when it fits beside
 * its neighbour. Candidates in drawing order, left to right.
 */
export function fitXTicks(candidates: readonly TickCandidate[], gap: number, bounds: readonly [number, number]): number[] {
  const inside = candidates.filter((c) => c.at - c.width / 2 >= bounds[0] && c.at + c.width / 2 <= bounds[1]);
  const n = inside.length;
  const apart = (a: TickCandidate, b: TickCandidate) => b.at - b.width / 2 - (a.at + a.width / 2) >= gap;
  for (let k = 1; k <= n; k++) {
    const picked: TickCandidate[] = [];
    for (let i = n - 1; i >= 0; i -= k) picked.unshift(inside[i]!);
    if (picked.every((c, i) => i === 0 || apart(picked[i - 1]!, c))) {
      const first = inside[0]!;
      if (picked[0] !== first && apart(first, picked[0]!)) picked.unshift(first);
      return picked.map((c) => c.value);
    }
  }
  return [];
}

let context: CanvasRenderingContext2D | null | undefined;

/** How wide `text` is drawn in this font (px); an estimate where there is no canvas to measure with. */
export function textWidth(text: string, fontSize: number, fontFamily: string): number {
  if (context === undefined) context = typeof document === "undefined" ? null : document.createElement("canvas").getContext("2d");
  if (!context) return text.length * fontSize * 0.62;
  context.font = `${fontSize}px ${fontFamily}`;
  return context.measureText(text).width;
}
