import { describe, expect, it } from "vitest";
import { DAY_MS } from "../limits";
import { computeScorecard, type ExperimentDefinition, type ScorecardData } from "./scorecard";

const start = Date.parse("2026-11-01T00:00:00Z");
const ids = Array.from({ length: 12 }, (_, i) => `acc_${i}`);

const def: ExperimentDefinition = {
  name: "Usage-based plans",
  hypothesis: "h",
  startMs: start,
  durationDays: 30,
  cohort: { kind: "all" },
  minSample: 10,
  targetSample: 20,
  confidence: 0.95,
  criteria: [
    { kind: "success", metric: "calls_per_day", comparison: "gt", threshold: 100, afterDays: null },
    { kind: "success", metric: "upgrade_rate", comparison: "gt", threshold: 0.15, afterDays: null },
    { kind: "failure", metric: "api_revenue", comparison: "lt", threshold: 500_00, afterDays: 30 },
    { kind: "failure", metric: "billing_error_rate", comparison: "gt", threshold: 0.05, afterDays: null },
  ],
  phases: [{ name: "Beta", startMs: start - 5 * DAY_MS, endMs: start + 15 * DAY_MS }, { name: "Full launch", startMs: start + 15 * DAY_MS, endMs: start + 30 * DAY_MS }],
};

function data(over: Partial<ScorecardData> = {}): ScorecardData {
  const servedDays = ids.flatMap((a) => Array.from({ length: 26 }, (_, d) => ({ accountId: a, dayMs: start + (d - 14) * DAY_MS, served: 1000 })));
  return { accountIds: ids, capNotices: [ids[0]!, ids[1]!].map((a) => ({ accountId: a, atMs: start + DAY_MS })), planChanges: [], invoices: [], servedDays, satisfaction: [], support: [], anomalies: [], unapprovedOverCap: [], currency: "USD", ...over };
}

describe("computeScorecard", () => {
  it("decides calls per day after ten days, leaves a two-account upgrade rate undecided and names what it needs", () => {
    const card = computeScorecard(def, data(), start + 11 * DAY_MS + 3_600_000);
    expect(card.day).toBe(12);
    expect(card.currentPhase).toBe("Beta");
    const [calls, upgrade, revenue, errors] = card.criteria;
    // 12 accounts × 1,000 calls on each of 11 whole days: 12,000 a day, no spread.
    expect(calls).toMatchObject({ verdict: "met", value: 12_000, n: 11 });
    expect(upgrade).toMatchObject({ verdict: "undecided", reason: "too_few", n: 2, count: 0 });
    // 0 of m stays below 15% from m = 22 on (Wilson upper bound of 0/22 is 14.9%).
    expect(upgrade!.needed).toBe(20);
    expect(revenue).toMatchObject({ verdict: "undecided", reason: "waiting_for_day" });
    expect(errors).toMatchObject({ verdict: "undecided", n: 0 });
    expect(card.overall.verdict).toBe("inconclusive");
    expect(card.sample.apiUsers).toBe(12);
    expect(card.rollbackAdvised).toBe(false);
    expect(card.series.at(-1)!.metrics.calls_per_day.value).toBe(12_000);
  });

  it("fails on the day a failure criterion is met with confidence, and advises the rollback", () => {
    // From day 3, one charge a day per account, and a fifth of them left open (failed).
    const invoices = ids.flatMap((a, i) => Array.from({ length: 8 }, (_, d) => ({ id: `${a}:${d}`, accountId: a, atMs: start + (d + 2) * DAY_MS + 60_000, status: (i % 5 === 0 ? "open" : "paid") as "open" | "paid", totalMinor: 10_00, kind: "period", refunded: false })));
    const card = computeScorecard(def, data({ invoices }), start + 10 * DAY_MS + 1);
    const errors = card.criteria[3]!;
    expect(errors.verdict).toBe("met");
    expect(card.overall.verdict).toBe("failing");
    // Day 3 has 12 charges, 3 open: Wilson [8.9%, 53%] is above 5% already.
    expect(card.overall.reachedDay).toBe(3);
    expect(card.rollbackAdvised).toBe(true);
    expect(card.guardrails.find((g) => g.id === "billing_error")).toMatchObject({ broken: true });
  });

  it("breaks the support guardrail on a request left unanswered for more than 4 hours", () => {
    const h = 3_600_000;
    const answered = { createdAtMs: start + DAY_MS, repliedAtMs: start + DAY_MS + h };
    expect(computeScorecard(def, data({ support: [answered] }), start + 3 * DAY_MS).guardrails.find((g) => g.id === "support_response")).toMatchObject({ broken: false, detail: "1 request, 1 answered, median 60 min, 0 over 4 h" });
    const open = { createdAtMs: start + 2 * DAY_MS, repliedAtMs: null };
    const card = computeScorecard(def, data({ support: [answered, open] }), start + 2 * DAY_MS + 5 * h);
    expect(card.guardrails.find((g) => g.id === "support_response")).toMatchObject({ broken: true });
    expect(card.rollbackAdvised).toBe(true);
  });

  it("shows nothing decided before the start", () => {
    const card = computeScorecard(def, data(), start - DAY_MS);
    expect(card.started).toBe(false);
    expect(card.series).toEqual([]);
    expect(card.criteria.every((c) => c.verdict === "undecided")).toBe(true);
  });
});
