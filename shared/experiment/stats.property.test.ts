import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../limits";
import { computeScorecard, type ExperimentDefinition, type ScorecardData } from "./scorecard";
import { bootstrapSumInterval, MIN_OBSERVATIONS, tInterval, verdictOf, wilsonInterval, type Interval } from "./stats";

const confidence = fc.constantFrom(0.8, 0.9, 0.95, 0.99);
const straddles = (i: Interval | null, t: number) => i === null || (i.low <= t && t <= i.high);

describe("intervals over random samples", () => {
  it("Wilson: within [0, 1], around k/n; a verdict only when the threshold lies outside", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }))), confidence, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom("gt" as const, "lt" as const), ([n, k], c, t, cmp) => {
        const i = wilsonInterval(k, n, c)!;
        expect(i.low).toBeGreaterThanOrEqual(0);
        expect(i.high).toBeLessThanOrEqual(1);
        expect(i.low).toBeLessThanOrEqual(k / n);
        expect(i.high).toBeGreaterThanOrEqual(k / n);
        if (straddles(i, t)) expect(verdictOf(i, n, cmp, t)).toBe("undecided");
        if (n < MIN_OBSERVATIONS) expect(verdictOf(i, n, cmp, t)).toBe("undecided");
      }),
    );
  });

  it("t (NPS answers): within [−100, 100], around the mean; a verdict only when the threshold lies outside", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<number>(-100, 0, 100), { minLength: 2, maxLength: 400 }), confidence, fc.integer({ min: -100, max: 100 }), fc.constantFrom("gt" as const, "lt" as const), (points, c, t, cmp) => {
        const i = tInterval(points, c, { min: -100, max: 100 })!;
        const m = points.reduce((s, v) => s + v, 0) / points.length;
        expect(i.low).toBeGreaterThanOrEqual(-100);
        expect(i.high).toBeLessThanOrEqual(100);
        expect(i.low).toBeLessThanOrEqual(m + 1e-9);
        expect(i.high).toBeGreaterThanOrEqual(m - 1e-9);
        if (straddles(i, t)) expect(verdictOf(i, points.length, cmp, t)).toBe("undecided");
      }),
    );
  });

  it("bootstrap (revenue over accounts): around the sum, never below the smallest possible sum", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500_000 }), { minLength: 2, maxLength: 60 }), confidence, (values, c) => {
        const i = bootstrapSumInterval(values, c, { resamples: 300, min: 0 })!;
        const sum = values.reduce((s, v) => s + v, 0);
        expect(i.low).toBeGreaterThanOrEqual(0);
        expect(i.low).toBeLessThanOrEqual(sum);
        expect(i.high).toBeGreaterThanOrEqual(sum);
        expect(i.high).toBeLessThanOrEqual(Math.max(...values) * values.length);
      }),
      { numRuns: 60 },
    );
  });
});

const start = Date.parse("2026-11-01T00:00:00Z");
const ids = Array.from({ length: 30 }, (_, i) => `acc_${i}`);

/** Random cohort histories: notices, upgrades, charges, calls and answers over 20 days. */
const history = fc.record({
  notices: fc.array(fc.record({ a: fc.integer({ min: 0, max: 29 }), d: fc.integer({ min: 0, max: 19 }) }), { maxLength: 60 }),
  upgrades: fc.array(fc.record({ a: fc.integer({ min: 0, max: 29 }), d: fc.integer({ min: 0, max: 19 }) }), { maxLength: 30 }),
  charges: fc.array(fc.record({ a: fc.integer({ min: 0, max: 29 }), d: fc.integer({ min: 0, max: 19 }), total: fc.integer({ min: -5_000, max: 200_000 }), status: fc.constantFrom("paid" as const, "open" as const, "void" as const, "queued" as const), refunded: fc.boolean() }), { maxLength: 80 }),
  calls: fc.array(fc.record({ a: fc.integer({ min: 0, max: 29 }), d: fc.integer({ min: -14, max: 19 }), n: fc.integer({ min: 0, max: 5_000 }) }), { maxLength: 200 }),
  answers: fc.array(fc.record({ d: fc.integer({ min: 0, max: 19 }), score: fc.integer({ min: 0, max: 10 }) }), { maxLength: 80 }),
});

describe("the scorecard over random histories", () => {
  it("every reading's interval holds its value within the metric's range, and no criterion is decided across its threshold", () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 1, max: 20 }), (h, today) => {
        const def: ExperimentDefinition = {
          name: "x",
          hypothesis: "y",
          startMs: start,
          durationDays: 30,
          cohort: { kind: "all" },
          minSample: 5,
          targetSample: 20,
          confidence: 0.95,
          criteria: [
            { kind: "success", metric: "api_revenue", comparison: "gt", threshold: 1000_00, afterDays: null },
            { kind: "success", metric: "calls_per_day", comparison: "gt", threshold: 100, afterDays: null },
            { kind: "success", metric: "upgrade_rate", comparison: "gt", threshold: 0.15, afterDays: null },
            { kind: "success", metric: "billing_error_rate", comparison: "lt", threshold: 0.01, afterDays: null },
            { kind: "success", metric: "nps", comparison: "gt", threshold: 50, afterDays: null },
            { kind: "failure", metric: "churn", comparison: "gt", threshold: 0.1, afterDays: null },
          ],
          phases: [],
        };
        const at = (d: number) => start + d * DAY_MS + 3_600_000;
        const data: ScorecardData = {
          accountIds: ids,
          capNotices: h.notices.map((n) => ({ accountId: ids[n.a]!, atMs: at(n.d) })),
          planChanges: h.upgrades.map((u) => ({ accountId: ids[u.a]!, atMs: at(u.d), upgrade: true, cancel: false })),
          invoices: h.charges.map((c, i) => ({ id: `inv_${i}`, accountId: ids[c.a]!, atMs: at(c.d), status: c.status, totalMinor: c.total, kind: c.total < 0 ? "credit_note" : "period", refunded: c.refunded })),
          servedDays: h.calls.map((c) => ({ accountId: ids[c.a]!, dayMs: start + c.d * DAY_MS, served: c.n })),
          satisfaction: h.answers.map((a) => ({ atMs: at(a.d), score: a.score })),
          support: [],
          anomalies: [],
          unapprovedOverCap: [],
          currency: "USD",
        };
        const card = computeScorecard(def, data, start + today * DAY_MS);
        for (const m of card.metrics) {
          if (m.value === null || m.interval === null) continue;
          expect(m.interval.low).toBeLessThanOrEqual(m.value);
          expect(m.interval.high).toBeGreaterThanOrEqual(m.value);
          if (m.unit === "ratio") expect([m.interval.low >= 0, m.interval.high <= 1]).toEqual([true, true]);
          if (m.unit === "nps") expect([m.interval.low >= -100, m.interval.high <= 100]).toEqual([true, true]);
          if (m.unit === "calls") expect(m.interval.low).toBeGreaterThanOrEqual(0);
        }
        for (const c of card.criteria) {
          if (straddles(c.interval, c.threshold)) expect(c.verdict).toBe("undecided");
          if (c.n < MIN_OBSERVATIONS) expect(c.verdict).toBe("undecided");
        }
      }),
      { numRuns: 40 },
    );
  });
});
