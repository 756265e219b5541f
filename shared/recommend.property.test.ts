import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "./limits";
import { PLAN_IDS, PLAN_LIST } from "./testing/demo-catalog";
import { peaksFromDays, recommendPlan, type DailyUsage, type PlanUsage } from "./recommend";

const start = Date.parse("2026-10-28T00:00:00Z");

/** A day of traffic: its calls, and a busiest minute that is at most the day's calls. */
const day = fc
  .record({ calls: fc.integer({ min: 0, max: 12_000 }), share: fc.double({ min: 0, max: 0.2, noNaN: true }) })
  .map(({ calls, share }) => ({ calls, peakMinute: Math.min(calls, Math.ceil(calls * share)) }));

/** 30 days around a customer's typical day, with the noise a real month has. */
const history = fc
  .record({ typical: day, noise: fc.array(fc.double({ min: 0.5, max: 1.5, noNaN: true }), { minLength: 30, maxLength: 30 }), quiet: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }) })
  .map(({ typical, noise, quiet }) =>
    noise.map((n, i): DailyUsage => {
      const calls = quiet[i] ? 0 : Math.round(typical.calls * n);
      return { dayMs: start + i * DAY_MS, calls, peakMinute: Math.min(calls, Math.round(typical.peakMinute * n)) };
    }),
  );

const usageOf = (days: DailyUsage[]): PlanUsage => ({ peaks: peaksFromDays(days), days });
const currentPlan = fc.constantFrom(...PLAN_IDS);

describe("recommendPlan, over random 30-day histories", () => {
  it("never recommends a plan whose estimated monthly cost is higher than another plan the traffic fits", () => {
    fc.assert(
      fc.property(history, currentPlan, (days, current) => {
        const { verdicts, recommendation } = recommendPlan(usageOf(days), PLAN_LIST, { currentPlanId: current });
        const fitting = verdicts.filter((v) => v.kind !== "over");
        if (fitting.length === 0) return recommendation === null;
        const rec = verdicts.find((v) => v.planId === recommendation!.planId)!;
        expect(rec.kind).not.toBe("over");
        expect(recommendation!.monthlyCostMinor).toBe(rec.monthlyCostMinor);
        for (const v of fitting) expect(rec.monthlyCostMinor).toBeLessThanOrEqual(v.monthlyCostMinor);
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it("does not change its plan or its cost for a single outlier minute", () => {
    fc.assert(
      fc.property(history, currentPlan, fc.nat({ max: 29 }), fc.double({ min: 0, max: 1, noNaN: true }), (days, current, index, where) => {
        const before = recommendPlan(usageOf(days), PLAN_LIST, { currentPlanId: current });
        const rec = before.recommendation;
        const target = days[index]!;
        // The history itself has no outlier against the recommended plan, and the day has calls to bunch into one minute.
        fc.pre(rec !== null && before.verdicts.find((v) => v.planId === rec.planId)!.daysOver === 0 && target.calls > target.peakMinute);
        // A burst: that day's calls bunched into one minute, anywhere up to all of them (the day's total is unchanged).
        const burst = target.peakMinute + 1 + Math.floor(where * (target.calls - target.peakMinute - 1));
        const withBurst = days.map((d, i) => (i === index ? { ...d, peakMinute: burst } : d));
        const after = recommendPlan(usageOf(withBurst), PLAN_LIST, { currentPlanId: current }).recommendation;
        expect(after?.planId).toBe(rec!.planId);
        expect(after?.monthlyCostMinor).toBe(rec!.monthlyCostMinor);
      }),
      { numRuns: 500 },
    );
  });
});
