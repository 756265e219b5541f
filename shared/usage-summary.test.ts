import { describe, expect, it } from "vitest";
import { DAY_MS } from "./limits";
import { PLANS } from "./testing/demo-catalog";
import { describeConsequence, summarizePeak, type SummaryDay } from "./usage-summary";

const utc = (s: string) => Date.parse(s);
// Thursday 2026-11-26, mid-afternoon UTC.
const now = utc("2026-11-26T15:00:00Z");
const today = utc("2026-11-26T00:00:00Z");
const day = (daysAgo: number, calls: number, peakMinute: number): SummaryDay => ({ dayMs: today - daysAgo * DAY_MS, calls, peakMinute });
const starter = { planName: "Starter", caps: PLANS.starter.caps, nowMs: now, locale: "en-US" };

describe("summarizePeak", () => {
  it("states the week's peak minute against the minute cap, with its weekday, for an over-cap Starter customer", () => {
    const days = [day(6, 900, 40), day(2, 4_016, 268), day(1, 3_000, 200), day(0, 100, 12)];
    const s = summarizePeak({ ...starter, days, enforcement: "shadow" });
    // 2 days before Thursday 26 Nov is Tuesday 24 Nov.
    expect(s.headline).toBe("Your peak this week: 268 calls/min on Tuesday — 4.5× your Starter cap.");
    expect(s.state).toBe("over");
    expect(s.consequence).toBe("Nothing changes yet: calls over the cap are still served.");
  });

  it("names the weekday in the given locale, from the UTC day whatever the viewer's zone", () => {
    const s = summarizePeak({ ...starter, locale: "de-DE", days: [day(2, 4_016, 268)], enforcement: "shadow" });
    expect(s.headline).toContain("268 calls/min on Dienstag");
  });

  it("says today or yesterday rather than a weekday for the last two days, and prefers the latest of equal peaks", () => {
    expect(summarizePeak({ ...starter, days: [day(3, 4_016, 268), day(0, 4_016, 268)], enforcement: "shadow" }).headline).toContain("268 calls/min today —");
    expect(summarizePeak({ ...starter, days: [day(1, 4_016, 268)], enforcement: "shadow" }).headline).toContain("268 calls/min yesterday —");
  });

  it("ignores days older than the last 7", () => {
    const s = summarizePeak({ ...starter, days: [day(7, 9_000, 900), day(3, 500, 30)], enforcement: "shadow" });
    expect(s.headline).toContain("30 calls/min");
    expect(s.state).toBe("within");
  });

  it("says plainly when the customer is within every cap, with no consequence", () => {
    const s = summarizePeak({ ...starter, days: [day(4, 640, 45)], enforcement: "enforce" });
    expect(s).toEqual({
      state: "within",
      headline: "Your peak this week: 45 calls/min on Sunday, within your Starter caps of 60 calls/min and 1,000 calls/day.",
      consequence: null,
    });
  });

  it("uses the daily cap when only the day went over", () => {
    const s = summarizePeak({ ...starter, days: [day(2, 2_500, 55)], enforcement: "enforce" });
    expect(s.headline).toBe("Your peak this week: 2,500 calls/day on Tuesday — 2.5× your Starter daily cap.");
    expect(s.consequence).toBe("Calls over the cap are refused after a notice and a 72-hour grace period.");
  });

  it("uses calls/day against the day cap when the plan has no minute cap", () => {
    const s = summarizePeak({ ...starter, caps: { day: 1_000 }, planName: "Daily", days: [day(2, 3_000, 900)], enforcement: "shadow" });
    expect(s.headline).toBe("Your peak this week: 3,000 calls/day on Tuesday — 3.0× your Daily cap.");
    const within = summarizePeak({ ...starter, caps: { day: 1_000 }, planName: "Daily", days: [day(2, 800, 900)], enforcement: "shadow" });
    expect(within.headline).toBe("Your peak this week: 800 calls/day on Tuesday, within your Daily cap of 1,000 calls/day.");
  });

  it("rounds large ratios to whole numbers", () => {
    expect(summarizePeak({ ...starter, days: [day(2, 900, 900)], enforcement: "shadow" }).headline).toContain("— 15× your Starter cap.");
  });

  it("handles plans with no minute or day cap, and a quiet week", () => {
    const free = summarizePeak({ ...starter, planName: "Free", caps: PLANS.free.caps, days: [day(2, 40, 3)], enforcement: "enforce" });
    expect(free).toMatchObject({ state: "uncapped", headline: "Your peak this week: 3 calls/min on Tuesday. Your Free plan has no per-minute or daily cap.", consequence: null });
    const quiet = summarizePeak({ ...starter, days: [day(2, 0, 0)], enforcement: "shadow" });
    expect(quiet).toEqual({ state: "quiet", headline: "No calls in the last 7 days.", consequence: null });
  });
});

describe("describeConsequence", () => {
  it("says what happens in each enforcement mode", () => {
    expect(describeConsequence("shadow")).toBe("Nothing changes yet: calls over the cap are still served.");
    expect(describeConsequence("enforce")).toBe("Calls over the cap are refused after a notice and a 72-hour grace period.");
    expect(describeConsequence("enforce", 24)).toContain("24-hour grace period");
    expect(describeConsequence("off")).toBe("Your calls are metered only: none are refused for a cap.");
  });
});
