import { DAY_MS, startOfUtcDay } from "../../shared/limits";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import { createExperiment, type ExperimentInput } from "../operator/experiments";

/** Days the demo's experiment has been running when the demo is seeded. */
export const DEMO_EXPERIMENT_DAY = 14;

/**
 * The pricing experiment as a provider would write it: usage-based plans tried on the ten beta
 * customers for 30 days, with the success and failure criteria and phases it is judged by.
 */
export function demoExperiment(nowMs: number, accountIds: string[]): ExperimentInput {
  const start = startOfUtcDay(nowMs) - (DEMO_EXPERIMENT_DAY - 1) * DAY_MS;
  const day = (n: number) => start + n * DAY_MS;
  return {
    name: "Usage-based plans",
    hypothesis: "If we bill by usage with clear tiers (Free 1,000 calls, Pro 10,000, Enterprise unlimited), API revenue reaches $1,000/month within 30 days.",
    startMs: start,
    durationDays: 30,
    cohort: { kind: "accounts", name: "Beta: 10 customers", accountIds },
    minSample: 100,
    targetSample: 500,
    confidencePct: 95,
    criteria: [
      { kind: "success", metric: "api_revenue", comparison: "gt", threshold: 1000_00, afterDays: null },
      { kind: "success", metric: "calls_per_day", comparison: "gt", threshold: 100, afterDays: null },
      { kind: "success", metric: "upgrade_rate", comparison: "gt", threshold: 0.15, afterDays: null },
      { kind: "success", metric: "billing_error_rate", comparison: "lt", threshold: 0.01, afterDays: null },
      { kind: "success", metric: "nps", comparison: "gt", threshold: 50, afterDays: null },
      { kind: "failure", metric: "api_revenue", comparison: "lt", threshold: 500_00, afterDays: 30 },
      { kind: "failure", metric: "upgrade_rate", comparison: "lt", threshold: 0.05, afterDays: null },
      { kind: "failure", metric: "billing_error_rate", comparison: "gt", threshold: 0.05, afterDays: null },
      { kind: "failure", metric: "churn", comparison: "gt", threshold: 0.1, afterDays: null },
    ],
    phases: [
      { name: "Metering", startMs: day(-21), endMs: day(-14) },
      { name: "Billing logic", startMs: day(-14), endMs: day(-7) },
      { name: "Paywall and dashboard", startMs: day(-7), endMs: day(0) },
      { name: "Testing with 10 beta customers", startMs: day(0), endMs: day(21) },
      { name: "Full launch", startMs: day(21), endMs: day(30) },
    ],
  };
}

export async function seedDemoExperiment(db: Store, clock: Clock, accountIds: string[]): Promise<{ id: string }> {
  return createExperiment({ db, clock }, demoExperiment(clock.now(), accountIds), "system");
}
