import { describe, expect, it } from "vitest";
import { DAY_MS } from "./limits";
import { peaksFromDays, recommendPlan, type DailyUsage, type MeterUsage } from "./recommend";
import { twoMeterCatalog } from "./testing/two-meter-catalog";

const start = Date.parse("2026-10-28T00:00:00Z");

/** 30 days of one meter's traffic, the same every day. */
function steady(calls: number, peakMinute: number): MeterUsage {
  const days: DailyUsage[] = Array.from({ length: 30 }, (_, i) => ({ dayMs: start + i * DAY_MS, calls, peakMinute }));
  return { peaks: peaksFromDays(days), days };
}

describe("recommendPlan with two meters (API calls and MCP tool calls)", () => {
  it("passes over a plan whose caps hold the API calls but not the MCP tool calls, and adds each meter's overage to the cost", () => {
    // Acme's API calls (Business fits them), and 1,500 MCP tool calls a day: over Business's 1,000/day.
    const usage = { ...steady(4_016, 268), others: { mcp: { ...steady(1_500, 40), unit: "MCP tool calls" } } };
    const { verdicts, recommendation } = recommendPlan(usage, twoMeterCatalog.plans, { currentPlanId: "starter" });
    const verdict = (id: string) => verdicts.find((v) => v.planId === id)!;

    expect(verdict("business")).toMatchObject({ kind: "over", label: "over on 30 of 30 days for MCP tool calls", monthlyCostMinor: 19_900 });
    expect(verdict("business").meters!.mcp).toMatchObject({ kind: "over", daysOver: 30, overWindows: ["day"], unit: "MCP tool calls" });
    // Pro: $49 + API overage (111 started thousands × $3.00) + MCP overage (43 started thousands × $5.00).
    expect(verdict("pro")).toMatchObject({ kind: "fits_with_overage", usageMinor: 33_300 + 21_500, monthlyCostMinor: 4_900 + 33_300 + 21_500 });
    // Enterprise: $990 + every API call at $0.50 per 1,000 + every MCP tool call at $1.00 per 1,000.
    expect(verdict("enterprise")).toMatchObject({ kind: "fits", usageMinor: 6_024 + 4_500, monthlyCostMinor: 99_000 + 6_024 + 4_500 });

    expect(recommendation).toMatchObject({ planId: "pro", monthlyCostMinor: 59_700, basePriceMinor: 4_900, usageMinor: 54_800, kind: "fits_with_overage" });
    expect(recommendation!.reason).toContain("The 43,000 MCP tool calls a month over its quota of 2,000 add about $215.00 ($5.00 per 1,000, with overage billing on).");
    expect(recommendation!.reason).toContain("about $597.00 a month in all, less than Enterprise at $1,095.24.");
  });

  it("names the meter a cheaper plan was over on", () => {
    // API calls that Starter holds, MCP tool calls that it does not (10/min) but Pro does.
    const usage = { ...steady(300, 20), others: { mcp: { ...steady(60, 30), unit: "MCP tool calls" } } };
    const { recommendation } = recommendPlan(usage, twoMeterCatalog.plans, { currentPlanId: "free" });
    expect(recommendation).toMatchObject({ planId: "pro", monthlyCostMinor: 4_900, kind: "fits" });
    expect(recommendation!.reason).toContain("For MCP tool calls, your peak of 30 MCP tool calls/min is within its cap of 100/min, and your 1,800 MCP tool calls a month fit its monthly quota of 2,000.");
    expect(recommendation!.reason).toContain("Starter would have been over its caps for MCP tool calls.");
  });
});
