import { describe, expect, it } from "vitest";
import { bootstrapSumInterval, MIN_OBSERVATIONS, normalQuantile, studentQuantile, tInterval, unitsNeeded, verdictOf, wilsonInterval, zFor } from "./stats";

const close = (a: number, b: number, digits = 4) => expect(a).toBeCloseTo(b, digits);

describe("quantiles", () => {
  it("match the normal and t tables", () => {
    close(zFor(0.95), 1.959964, 5);
    close(zFor(0.99), 2.575829, 5);
    close(normalQuantile(0.01), -2.326348, 5);
    close(studentQuantile(0.975, 1), 12.7062, 3);
    close(studentQuantile(0.975, 2), 4.3027, 4);
    close(studentQuantile(0.975, 4), 2.7764, 4);
    close(studentQuantile(0.975, 9), 2.2622, 4);
    close(studentQuantile(0.975, 29), 2.0452, 4);
    close(studentQuantile(0.025, 9), -2.2622, 4);
  });
});

describe("wilsonInterval", () => {
  it("is null without observations", () => {
    expect(wilsonInterval(0, 0, 0.95)).toBeNull();
  });
  it("0 of 10: [0, 0.2775]", () => {
    const i = wilsonInterval(0, 10, 0.95)!;
    expect(i.low).toBe(0);
    close(i.high, 0.27753);
  });
  it("10 of 10: [0.7225, 1]", () => {
    const i = wilsonInterval(10, 10, 0.95)!;
    close(i.low, 0.72247);
    expect(i.high).toBe(1);
  });
  it("5 of 10: [0.2366, 0.7634]", () => {
    const i = wilsonInterval(5, 10, 0.95)!;
    close(i.low, 0.23659);
    close(i.high, 0.76341);
  });
  it("1 of 2: [0.0945, 0.9055]", () => {
    const i = wilsonInterval(1, 2, 0.95)!;
    close(i.low, 0.09453);
    close(i.high, 0.90547);
  });
  it("refuses more successes than trials", () => {
    expect(() => wilsonInterval(3, 2, 0.95)).toThrow(RangeError);
  });
});

describe("tInterval", () => {
  it("of 1..5: 3 ± 2.7764 × 0.7071", () => {
    const i = tInterval([1, 2, 3, 4, 5], 0.95)!;
    close(i.low, 1.03676);
    close(i.high, 4.96324);
  });
  it("is null for fewer than two values and clamps to the range", () => {
    expect(tInterval([7], 0.95)).toBeNull();
    const i = tInterval([100, 100, -100], 0.95, { min: -100, max: 100 })!;
    expect(i.low).toBe(-100);
    expect(i.high).toBe(100);
  });
  it("collapses to the mean when every value is the same", () => {
    expect(tInterval([4, 4, 4], 0.95)).toEqual({ low: 4, high: 4 });
  });
});

describe("bootstrapSumInterval", () => {
  it("is the same interval for the same sample (seeded) and brackets the sum", () => {
    const values = [0, 0, 120_00, 49_00, 49_00, 900_00, 0, 19_00, 19_00, 250_00];
    const a = bootstrapSumInterval(values, 0.95)!;
    const b = bootstrapSumInterval(values, 0.95)!;
    expect(a).toEqual(b);
    const sum = values.reduce((s, v) => s + v, 0);
    expect(a.low).toBeLessThanOrEqual(sum);
    expect(a.high).toBeGreaterThanOrEqual(sum);
    expect(a.low).toBeLessThan(a.high);
  });
  it("is null for fewer than two units and a point for all-equal units", () => {
    expect(bootstrapSumInterval([5], 0.95)).toBeNull();
    expect(bootstrapSumInterval([5, 5, 5], 0.95)).toEqual({ low: 15, high: 15 });
  });
});

describe("verdictOf", () => {
  it("decides only when the interval clears the threshold", () => {
    expect(verdictOf({ low: 0.2, high: 0.4 }, 50, "gt", 0.15)).toBe("met");
    expect(verdictOf({ low: 0.01, high: 0.1 }, 50, "gt", 0.15)).toBe("not_met");
    expect(verdictOf({ low: 0.1, high: 0.2 }, 50, "gt", 0.15)).toBe("undecided");
    expect(verdictOf({ low: 0.001, high: 0.009 }, 50, "lt", 0.01)).toBe("met");
    expect(verdictOf({ low: 0.06, high: 0.2 }, 50, "lt", 0.05)).toBe("not_met");
    // Touching the threshold is straddling it.
    expect(verdictOf({ low: 0.15, high: 0.3 }, 50, "gt", 0.15)).toBe("undecided");
  });
  it("is undecided on tiny samples, whatever the interval", () => {
    // 3 of 3 upgraded: Wilson says [0.44, 1], above 15%; three accounts decide nothing.
    const i = wilsonInterval(3, 3, 0.95)!;
    expect(i.low).toBeGreaterThan(0.15);
    expect(verdictOf(i, 3, "gt", 0.15)).toBe("undecided");
    expect(verdictOf(null, 0, "gt", 0.15)).toBe("undecided");
  });
});

describe("unitsNeeded", () => {
  it("is 0 once decided, and the gap to the minimum for a tiny sample that would then decide", () => {
    const at = (m: number) => wilsonInterval(m, m, 0.95);
    expect(unitsNeeded(3, at, "gt", 0.15)).toBe(MIN_OBSERVATIONS - 3);
    expect(unitsNeeded(40, at, "gt", 0.15)).toBe(0);
  });
  it("projects a rate near its threshold: 20% against > 15% needs about 200 accounts (the normal approximation says 246; Wilson leans towards ½)", () => {
    const p = 0.2;
    const needed = unitsNeeded(20, (m) => wilsonInterval(p * m, m, 0.95), "gt", 0.15)!;
    const total = 20 + needed;
    // The first sample size whose Wilson lower bound clears 15%.
    expect(wilsonInterval(p * total, total, 0.95)!.low).toBeGreaterThan(0.15);
    expect(wilsonInterval(p * (total - 1), total - 1, 0.95)!.low).toBeLessThanOrEqual(0.15);
    expect(total).toBeGreaterThan(180);
    expect(total).toBeLessThan(246);
  });
  it("is null when the estimate sits on the threshold", () => {
    expect(unitsNeeded(20, (m) => wilsonInterval(0.15 * m, m, 0.95), "gt", 0.15)).toBeNull();
  });
});
