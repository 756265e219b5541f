import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Catalog } from "./catalog";
import { DAY_MS } from "./limits";
import type { MeterTerms } from "./plans";
import { peaksFromDays, recommendPlan, type DailyUsage, type MeterUsage, type PlanUsage } from "./recommend";
import { catalogArbitrary } from "./testing/catalog-arbitrary";

/**
 * Over random valid catalogs (1–8 plans, 1–3 meters) and random traffic on each meter: the
 * recommendation is the cheapest public plan that fits every meter, at its base price plus each
 * meter's usage charge — checked against the rule written out here, not against the module's parts.
 */

const start = Date.parse("2026-10-28T00:00:00Z");

/** 30 days of one meter's traffic around a typical day, some days quiet. */
const meterHistory: fc.Arbitrary<DailyUsage[]> = fc
  .record({
    calls: fc.integer({ min: 0, max: 40_000 }),
    share: fc.double({ min: 0, max: 0.2, noNaN: true }),
    noise: fc.array(fc.double({ min: 0.5, max: 1.5, noNaN: true }), { minLength: 30, maxLength: 30 }),
    quiet: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
  })
  .map(({ calls, share, noise, quiet }) =>
    noise.map((n, i) => {
      const c = quiet[i] ? 0 : Math.round(calls * n);
      return { dayMs: start + i * DAY_MS, calls: c, peakMinute: Math.min(c, Math.ceil(c * share * n)) };
    }),
  );

const usageOf = (days: DailyUsage[]): MeterUsage => ({ peaks: peaksFromDays(days), days });

/** The rule, written out: does one meter's traffic fit these terms, and what does its month cost? */
function oracle(terms: MeterTerms, u: MeterUsage): { fits: boolean; chargeMinor: number } {
  const price = terms.overagePer1000Minor;
  // Metered: every call at the price per 1,000, the month's total rounded to the nearest cent (a half up), as Stripe invoices it.
  if (terms.metered) return { fits: true, chargeMinor: Math.floor((u.peaks.month * (price ?? 0) + 500) / 1000) };
  const over = u.days.filter((d) => (terms.caps.minute !== undefined && d.peakMinute > terms.caps.minute) || (terms.caps.day !== undefined && d.calls > terms.caps.day)).length;
  const month = terms.caps.month;
  const beyond = month === undefined ? 0 : Math.max(0, u.peaks.month - month);
  const billed = price !== undefined && month !== undefined;
  return { fits: over <= 1 && (beyond === 0 || billed), chargeMinor: billed ? Math.ceil(beyond / 1000) * price : 0 };
}

const scenario = catalogArbitrary().chain((catalog) =>
  fc.record({
    catalog: fc.constant(catalog),
    histories: fc.array(meterHistory, { minLength: catalog.meters.length, maxLength: catalog.meters.length }),
    current: fc.constantFrom(...catalog.plans.map((p) => p.id)),
  }),
);

function planUsageOf(catalog: Catalog, histories: DailyUsage[][]): PlanUsage {
  const [main, ...rest] = histories.map(usageOf);
  const usage: PlanUsage = { ...main! };
  if (rest.length) usage.others = Object.fromEntries(rest.map((u, i) => [catalog.meters[i + 1]!.id, { ...u, unit: catalog.meters[i + 1]!.unit }]));
  return usage;
}

describe("recommendPlan over random catalogs with several meters", () => {
  it("recommends the cheapest plan that fits every meter, at its base price plus each meter's usage charge", () => {
    fc.assert(
      fc.property(scenario, ({ catalog, histories, current }) => {
        const usage = planUsageOf(catalog, histories);
        const { verdicts, recommendation } = recommendPlan(usage, catalog.plans, { currentPlanId: current });
        const judged = catalog.publicPlans.map((plan) => {
          const perMeter = catalog.meters.map((m, i) => oracle(plan.meters[m.id]!, usageOf(histories[i]!)));
          return { plan, fits: perMeter.every((x) => x.fits), costMinor: plan.priceMinor + perMeter.reduce((s, x) => s + x.chargeMinor, 0) };
        });
        // Every verdict agrees with the rule, plan by plan.
        for (const j of judged) {
          const v = verdicts.find((x) => x.planId === j.plan.id)!;
          expect(v.kind !== "over", `${j.plan.id} fits`).toBe(j.fits);
          expect(v.monthlyCostMinor, `${j.plan.id} cost`).toBe(j.costMinor);
        }
        const fitting = judged.filter((j) => j.fits);
        if (fitting.length === 0) {
          expect(recommendation).toBeNull();
          return;
        }
        const cheapest = Math.min(...fitting.map((j) => j.costMinor));
        const chosen = fitting.find((j) => j.plan.id === recommendation?.planId);
        expect(chosen, "the recommendation fits every meter").toBeDefined();
        expect(chosen!.costMinor).toBe(cheapest);
        expect(recommendation!.monthlyCostMinor).toBe(cheapest);
        expect(recommendation!.basePriceMinor + recommendation!.usageMinor).toBe(cheapest);
        // Ties go to the current plan when it is among the cheapest that fit.
        if (fitting.some((j) => j.plan.id === current && j.costMinor === cheapest)) expect(recommendation!.planId).toBe(current);
      }),
      { numRuns: 400 },
    );
  });

  it("gives a catalog with one meter no per-meter verdicts", () => {
    fc.assert(
      fc.property(
        catalogArbitrary({ meters: { min: 1, max: 1 } }).chain((catalog) => fc.record({ catalog: fc.constant(catalog), days: meterHistory })),
        ({ catalog, days }) => {
          const { verdicts } = recommendPlan(usageOf(days), catalog.plans);
          for (const v of verdicts) expect(v.meters).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
  });
});
