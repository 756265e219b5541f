import { describe, expect, it } from "vitest";
import { decide, type DecideInput } from "./decide";

const HOUR = 3_600_000;
const now = Date.parse("2026-11-25T14:00:00Z");
const base: DecideInput = {
  mode: "enforce",
  cost: 1,
  nowMs: now,
  ceiling: { limit: 1000, used: 0 },
  windows: [
    { window: "minute", limit: 60, used: 0 },
    { window: "day", limit: 1000, used: 0 },
    { window: "month", limit: undefined, used: 123_456 },
  ],
  noticeDeliveredAtMs: {},
  graceMs: 72 * HOUR,
};
const over = (used: number) => [{ window: "minute" as const, limit: 60, used }, base.windows[1]!, base.windows[2]!];

describe("decide", () => {
  it("allows within every cap; an absent cap never binds", () => {
    expect(decide({ ...base, windows: over(59) })).toEqual({ decision: "allow", violated: [], refusing: [] });
  });

  it("counts a call over a cap as would_throttle in shadow mode", () => {
    expect(decide({ ...base, mode: "shadow", windows: over(60) })).toMatchObject({ decision: "would_throttle", violated: ["minute"] });
  });

  it("only meters in off mode", () => {
    expect(decide({ ...base, mode: "off", windows: over(500) }).decision).toBe("allow");
  });

  it("in enforce mode refuses only after a delivered notice plus the grace period", () => {
    const input = { ...base, windows: over(60) };
    expect(decide(input).decision).toBe("would_throttle"); // never told: never refused
    const toldAt = now - 72 * HOUR + 1;
    expect(decide({ ...input, noticeDeliveredAtMs: { minute: toldAt } }).decision).toBe("would_throttle");
    expect(decide({ ...input, noticeDeliveredAtMs: { minute: toldAt - 1 } })).toMatchObject({ decision: "throttle", refusing: ["minute"] });
    // A notice about another cap does not count for this one.
    expect(decide({ ...input, noticeDeliveredAtMs: { day: now - 100 * HOUR } }).decision).toBe("would_throttle");
  });

  it("refuses a cost that does not fit whole, consuming from no window", () => {
    const input = { ...base, cost: 5, windows: over(56), noticeDeliveredAtMs: { minute: now - 100 * HOUR } };
    expect(decide(input).decision).toBe("throttle");
    expect(decide({ ...input, cost: 4 }).decision).toBe("allow");
    expect(decide({ ...input, cost: 61, windows: over(0) }).decision).toBe("throttle");
  });

  it("applies the safety ceiling in every mode, before the caps", () => {
    for (const mode of ["off", "shadow", "enforce"] as const) {
      expect(decide({ ...base, mode, ceiling: { limit: 1000, used: 1000 } }).decision).toBe("ceiling");
    }
    expect(decide({ ...base, ceiling: { limit: 1000, used: 999 } }).decision).toBe("allow");
  });
});
