import { describe, expect, it } from "vitest";
import { perThousandCostMinor } from "./money";

describe("perThousandCostMinor", () => {
  it.each([
    [0, 50, 0],
    [1, 50, 1], // 0.05 → 1: a started minor unit is billed
    [20, 50, 1],
    [21, 50, 2], // 1.05 → 2
    [1_000, 300, 300],
    [1_234_567, 50, 61_729], // 61,728.35 → 61,729
  ])("%i calls at %i per 1,000 → %i", (calls, per1000, minor) => {
    expect(perThousandCostMinor(calls, per1000)).toBe(minor);
  });

  it("stays exact when calls × price passes 2^53", () => {
    // 3,002,399,751,580,667 × 3 = 9,007,199,254,742,001: 1 over a whole 1,000, but as a Number it
    // rounds to …742,000, and the float answer would miss the started minor unit.
    expect(perThousandCostMinor(3_002_399_751_580_667, 3)).toBe(9_007_199_254_743);
  });

  it("refuses fractions and negatives", () => {
    expect(() => perThousandCostMinor(1.5, 50)).toThrow(RangeError);
    expect(() => perThousandCostMinor(-1, 50)).toThrow(RangeError);
  });
});
