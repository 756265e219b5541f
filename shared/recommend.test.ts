import { describe, expect, it } from "vitest";
import { DAY_MS } from "./limits";
import type { Plan } from "./plans";
import { PLAN_LIST, PLANS } from "./testing/demo-catalog";
import { judgePlan, peaksFromDays, recommendPlan, type DailyUsage, type PlanUsage } from "./recommend";

const start = Date.parse("2026-10-28T00:00:00Z");

/** 30 days of usage from per-day [calls, peakMinute] pairs (repeated to fill 30 when shorter). */
function usageOf(pattern: Array<[number, number]>): PlanUsage {
  const days: DailyUsage[] = Array.from({ length: 30 }, (_, i) => {
    const [calls, peakMinute] = pattern[i % pattern.length]!;
    return { dayMs: start + i * DAY_MS, calls, peakMinute };
  });
  return { peaks: peaksFromDays(days), days };
}

const verdictOf = (result: ReturnType<typeof recommendPlan>, id: string) => result.verdicts.find((v) => v.planId === id)!;

describe("recommendPlan", () => {
  it("sends a Starter customer at 268 calls/min and 4,016 calls/day to Business", () => {
    const usage = usageOf([[4_016, 268]]);
    expect(usage.peaks).toEqual({ minute: 268, day: 4_016, month: 120_480 });
    const result = recommendPlan(usage, PLAN_LIST, { currentPlanId: "starter" });

    expect(result.recommendation).toMatchObject({ planId: "business", monthlyCostMinor: 19_900, currency: "USD" });
    expect(result.recommendation!.reason).toBe(
      "Business is the cheapest plan that fits your last 30 days: your peaks of 268 calls/min and 4,016 calls/day are within its caps of 300/min and 5,000/day. " +
        "Starter would have been over its caps on 30 of 30 days.",
    );
    expect(verdictOf(result, "starter")).toMatchObject({ kind: "over", label: "over on 30 of 30 days", daysOver: 30, overWindows: ["minute", "day"], monthlyCostMinor: 2_900 });
    expect(verdictOf(result, "free")).toMatchObject({ kind: "over", label: "over its monthly quota", overWindows: ["month"] });
    // Pro fits only by paying overage: 110,480 calls over → 111 started thousands × $3.00.
    expect(verdictOf(result, "pro")).toMatchObject({ kind: "fits_with_overage", billedCalls: 110_480, usageMinor: 33_300, monthlyCostMinor: 38_200 });
    expect(verdictOf(result, "business")).toMatchObject({ kind: "fits", label: "fits", monthlyCostMinor: 19_900 });
    // Metered: $990 + 120,480 × $0.50 / 1,000 = $60.24.
    expect(verdictOf(result, "enterprise")).toMatchObject({ kind: "fits", usageMinor: 6_024, monthlyCostMinor: 105_024 });
  });

  it("keeps a tiny customer on Free", () => {
    const result = recommendPlan(usageOf([[12, 2], [0, 0], [3, 1]]), PLAN_LIST, { currentPlanId: "free" });
    expect(result.recommendation).toMatchObject({ planId: "free", monthlyCostMinor: 0 });
    expect(result.recommendation!.reason).toBe("Your Free plan is the cheapest that fits your last 30 days: your 150 calls a month fit its monthly quota of 1,000.");
    expect(result.verdicts.every((v) => v.kind === "fits")).toBe(true);
  });

  it("prefers Pro with overage when the overage costs less than the next plan", () => {
    // Too bursty for Starter, 25,000 calls a month: Pro's 15 started thousands over cost $45.00.
    const usage = usageOf([[1_500, 150], [500, 40], [500, 40]]);
    expect(usage.peaks).toEqual({ minute: 150, day: 1_500, month: 25_000 });
    const result = recommendPlan(usage, PLAN_LIST, { currentPlanId: "starter" });
    expect(result.recommendation).toMatchObject({ planId: "pro", monthlyCostMinor: 9_400 });
    expect(result.recommendation!.reason).toContain(
      "The 15,000 calls a month over its quota of 10,000 add about $45.00 ($3.00 per 1,000, with overage billing on): about $94.00 a month in all, less than Business at $199.00.",
    );
    expect(result.recommendation).toMatchObject({ kind: "fits_with_overage", usageMinor: 4_500, basePriceMinor: 4_900 });
    expect(verdictOf(result, "pro")).toMatchObject({ kind: "fits_with_overage", label: "fits, with overage", overWindows: ["month"] });
    expect(verdictOf(result, "starter")).toMatchObject({ label: "over on 10 of 30 days", daysOver: 10 });
  });

  it("counts a day as over when either its calls or its busiest minute exceed the plan's caps", () => {
    // 6 days over the day cap only, 6 over the minute cap only, 18 within: over on 12 of 30 days.
    const pattern: Array<[number, number]> = [[1_200, 50], [400, 90], [400, 30], [400, 30], [400, 30]];
    const v = judgePlan(PLANS.starter, usageOf(pattern));
    expect(v).toMatchObject({ kind: "over", daysOver: 12, daysTotal: 30, label: "over on 12 of 30 days" });
  });

  it("breaks a tie in monthly cost in favour of the plan with the lower base price", () => {
    // Pro: $49 + 50 × $3.00 = $199.00, the same as Business.
    const usage = usageOf([[2_000, 250]]);
    const result = recommendPlan(usage, PLAN_LIST);
    expect(verdictOf(result, "pro").monthlyCostMinor).toBe(19_900);
    expect(verdictOf(result, "business").monthlyCostMinor).toBe(19_900);
    expect(result.recommendation?.planId).toBe("pro");
    // Whatever the catalog order.
    expect(recommendPlan(usage, [PLANS.business, PLANS.pro]).recommendation?.planId).toBe("pro");

    // Same cost and same base price: catalog order decides.
    const twinA: Plan = { ...PLANS.business, id: "business", name: "Twin A" };
    const twinB: Plan = { ...PLANS.business, id: "pro", name: "Twin B", overagePer1000Minor: undefined };
    expect(recommendPlan(usage, [twinB, twinA]).recommendation?.planId).toBe("pro");
    expect(recommendPlan(usage, [twinA, twinB]).recommendation?.planId).toBe("business");
  });

  it("recommends the cheapest fitting plan in money, metered plans included", () => {
    const huge = recommendPlan(usageOf([[20_000, 900]]), PLAN_LIST, { currentPlanId: "business" });
    expect(huge.recommendation?.planId).toBe("enterprise");
    expect(huge.recommendation!.reason).toMatch(/^Enterprise is the cheapest plan that fits your last 30 days: it has no caps/);
    expect(huge.verdicts.filter((v) => v.kind !== "over").map((v) => v.planId)).toEqual(["enterprise"]);

    // Pro fits with $1,770 of overage; Enterprise costs less ($1,290): cheaper in caps must not mean dearer in money.
    const heavy = recommendPlan(usageOf([[20_000, 500]]), PLAN_LIST);
    expect(verdictOf(heavy, "pro").monthlyCostMinor).toBe(181_900);
    expect(heavy.recommendation).toMatchObject({ planId: "enterprise", monthlyCostMinor: 129_000, usageMinor: 30_000, kind: "fits" });

    // Business fits and costs less than Enterprise.
    expect(recommendPlan(usageOf([[4_999, 300]]), PLAN_LIST).recommendation?.planId).toBe("business");
  });

  it("treats one day over a rate cap as an outlier, and two as a pattern", () => {
    // Acme: 268/min and 4,016/day every day fits Business; one burst minute of 812 calls does not move the advice.
    const days: Array<[number, number]> = Array.from({ length: 30 }, () => [4_016, 268]);
    days[12] = [4_560, 812];
    const burst = recommendPlan(usageOf(days), PLAN_LIST, { currentPlanId: "starter" });
    expect(burst.recommendation).toMatchObject({ planId: "business", monthlyCostMinor: 19_900 });
    expect(verdictOf(burst, "business")).toMatchObject({ kind: "fits", label: "fits, except one day", daysOver: 1, outlier: { windows: ["minute"], peakMinute: 812 } });
    expect(burst.recommendation!.reason).toContain("812 calls in one minute, over its 300/min cap) is treated as an outlier");
    // The figures that fit are those of the other days.
    expect(burst.recommendation!.reason).toContain("your peaks of 268 calls/min and 4,016 calls/day on the other days are within its caps");

    days[20] = [4_016, 700];
    const twice = recommendPlan(usageOf(days), PLAN_LIST, { currentPlanId: "starter" });
    expect(verdictOf(twice, "business")).toMatchObject({ kind: "over", label: "over on 2 of 30 days", overWindows: ["minute"] });
    expect(twice.recommendation?.planId).toBe("enterprise");
  });

  it("judges the current plan on its month at this rate: a Free account that will pass its quota is offered a plan that fits", () => {
    // 935 calls in 20 days: the 30-day estimate is 1,403, over Free's 1,000.
    const usage = usageOf([[47, 3]]);
    usage.peaks.month = 950;
    usage.currentPlanMonth = 1_400;
    const result = recommendPlan(usage, PLAN_LIST, { currentPlanId: "free" });
    expect(verdictOf(result, "free")).toMatchObject({ kind: "over", monthCalls: 1_400, label: "over its monthly quota" });
    expect(result.recommendation).toMatchObject({ planId: "starter", monthlyCostMinor: 2_900 });
    // For a plan the customer is not on, the month is the 30-day estimate.
    expect(recommendPlan(usage, PLAN_LIST, { currentPlanId: "starter" }).recommendation?.planId).toBe("free");
  });

  it("keeps the customer on their plan when another costs the same", () => {
    const usage = usageOf([[2_000, 250]]);
    expect(recommendPlan(usage, PLAN_LIST, { currentPlanId: "business" }).recommendation?.planId).toBe("business");
    expect(recommendPlan(usage, PLAN_LIST, { currentPlanId: "pro" }).recommendation?.planId).toBe("pro");
  });

  it("considers public plans only, and refuses to compare currencies", () => {
    const secret: Plan = { ...PLANS.free, id: "free", name: "Secret", public: false, caps: {} };
    const result = recommendPlan(usageOf([[4_016, 268]]), [secret, PLANS.starter, PLANS.business]);
    expect(result.verdicts.map((v) => v.planId)).toEqual(["starter", "business"]);
    expect(result.recommendation?.planId).toBe("business");
    expect(() => recommendPlan(usageOf([[1, 1]]), [PLANS.free, { ...PLANS.starter, currency: "EUR" }])).toThrow(RangeError);
  });

  it("returns no recommendation when nothing fits", () => {
    expect(recommendPlan(usageOf([[20_000, 900]]), [PLANS.starter, PLANS.business]).recommendation).toBeNull();
  });

  it("keeps every amount an integer of minor units", () => {
    const result = recommendPlan(usageOf([[3_333, 77], [1, 1]]), PLAN_LIST);
    for (const v of result.verdicts) {
      expect(Number.isInteger(v.monthlyCostMinor)).toBe(true);
      expect(Number.isInteger(v.usageMinor)).toBe(true);
    }
  });
});
