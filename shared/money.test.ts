import { describe, expect, it } from "vitest";
import { perThousandCostMinor } from "./money";

describe("perThousandCostMinor", () => {
  it.each([
    [0, 50, 0],
    [1, 50, 0], // 0.05 → 0
    [9, 50, 0], // 0.45 → 0
    [10, 50, 1], // 0.5 → 1: a half rounds up
    [24, 50, 1], // 1.2 → 1 (Stripe's example price, 0.05 a call)
    [30, 50, 2], // 1.5 → 2 (Stripe's own example)
    [1_000, 300, 300],
    [1_234_567, 50, 61_728], // 61,728.35 → 61,728
    [1_234_570, 50, 61_729], // 61,728.5 → 61,729
  ])("%i calls at %i per 1,000 → %i", (calls, per1000, minor) => {
    expect(perThousandCostMinor(calls, per1000)).toBe(minor);
  });

  it("stays exact when calls × price passes 2^53", () => {
    // 3,002,399,751,580,833 × 3 = 9,007,199,254,742,499: just under a half over a whole 1,000, but as
    // a Number it rounds to …742,500, and the float answer would round the wrong way.
    expect(perThousandCostMinor(3_002_399_751_580_833, 3)).toBe(9_007_199_254_742);
    expect(perThousandCostMinor(3_002_399_751_580_834, 3)).toBe(9_007_199_254_743);
  });

  it("refuses fractions and negatives", () => {
    expect(() => perThousandCostMinor(1.5, 50)).toThrow(RangeError);
    expect(() => perThousandCostMinor(-1, 50)).toThrow(RangeError);
  });
});
