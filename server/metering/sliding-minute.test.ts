import { describe, expect, it } from "vitest";
import { SlidingMinute } from "./sliding-minute";

const t0 = Date.parse("2026-11-25T14:00:00Z");

describe("SlidingMinute", () => {
  it("counts the last 60 seconds and forgets older calls", () => {
    const w = new SlidingMinute();
    w.add(t0, 10);
    w.add(t0 + 30_000, 5);
    expect(w.count(t0 + 59_999)).toBe(15);
    expect(w.count(t0 + 60_000)).toBe(5);
    expect(w.count(t0 + 90_000)).toBe(0);
  });

  it("has no double burst at a minute boundary", () => {
    const w = new SlidingMinute();
    w.add(t0 + 59_000, 60); // the end of one calendar minute
    expect(w.count(t0 + 61_000)).toBe(60); // the start of the next: still counted
    expect(w.count(t0 + 119_000)).toBe(0);
  });

  it("says when enough calls have left the window", () => {
    const w = new SlidingMinute();
    w.add(t0, 30);
    w.add(t0 + 20_000, 30);
    expect(w.msUntilFreed(t0 + 40_500, 1)).toBe(19_500);
    expect(w.msUntilFreed(t0 + 40_500, 31)).toBe(39_500);
    expect(w.msUntilFreed(t0 + 40_500, 0)).toBe(0);
  });

  it("survives long idle gaps and restores past calls that are still in the window", () => {
    const w = new SlidingMinute();
    w.add(t0, 5);
    expect(w.count(t0 + 3_600_000)).toBe(0);
    w.addAt(t0 + 3_600_000 - 10_000, t0 + 3_600_000, 7);
    w.addAt(t0, t0 + 3_600_000, 100); // outside the window: ignored
    expect(w.count(t0 + 3_600_000)).toBe(7);
    expect(w.count(t0 + 3_650_000)).toBe(0);
  });
});
