import { describe, expect, it } from "vitest";
import { addUtcMonths, billingPeriodAt, limitStatus, percentForBar, windowResetAt } from "./limits";

const utc = (s: string) => Date.parse(s);

describe("limitStatus", () => {
  it("classifies fine, approaching and over", () => {
    const base = { window: "minute" as const, limit: 60, resetAtMs: 0 };
    expect(limitStatus({ ...base, used: 10 }).state).toBe("fine");
    expect(limitStatus({ ...base, used: 48 }).state).toBe("approaching");
    expect(limitStatus({ ...base, used: 60 }).state).toBe("over");
    const over = limitStatus({ ...base, used: 268 });
    expect(over.remaining).toBe(0);
    expect(over.ratio).toBeCloseTo(268 / 60);
    expect(percentForBar(over)).toBe(100);
  });

  it("treats an absent limit as unlimited", () => {
    const s = limitStatus({ window: "month", limit: undefined, used: 5_000_000, resetAtMs: 1 });
    expect(s).toMatchObject({ state: "unlimited", limit: null, remaining: null, ratio: null });
  });
});

describe("windows", () => {
  const period = { startMs: utc("2026-11-10T00:00:00Z"), endMs: utc("2026-12-10T00:00:00Z") };
  it("resets minute at the next minute, day at UTC midnight, month at the period end", () => {
    const now = utc("2026-11-25T14:02:31.500Z");
    expect(windowResetAt("minute", now, period)).toBe(utc("2026-11-25T14:03:00Z"));
    expect(windowResetAt("day", now, period)).toBe(utc("2026-11-26T00:00:00Z"));
    expect(windowResetAt("month", now, period)).toBe(period.endMs);
  });

  it("adds months clamping to the last day", () => {
    expect(addUtcMonths(utc("2026-01-31T12:00:00Z"), 1)).toBe(utc("2026-02-28T12:00:00Z"));
    expect(addUtcMonths(utc("2028-01-31T00:00:00Z"), 1)).toBe(utc("2028-02-29T00:00:00Z"));
    expect(addUtcMonths(utc("2026-11-30T00:00:00Z"), 3)).toBe(utc("2027-02-28T00:00:00Z"));
  });

  it("finds the billing period containing a moment", () => {
    const anchor = utc("2026-01-15T09:00:00Z");
    expect(billingPeriodAt(anchor, utc("2026-11-25T00:00:00Z"))).toEqual({
      startMs: utc("2026-11-15T09:00:00Z"),
      endMs: utc("2026-12-15T09:00:00Z"),
    });
    expect(billingPeriodAt(anchor, utc("2026-11-15T08:59:59Z")).startMs).toBe(utc("2026-10-15T09:00:00Z"));
    expect(billingPeriodAt(anchor, utc("2026-11-15T09:00:00Z")).startMs).toBe(utc("2026-11-15T09:00:00Z"));
  });
});
