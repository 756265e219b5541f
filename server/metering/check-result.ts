import { limitStatus, MINUTE_MS, startOfMinute, windowResetAt, type BillingPeriod, type LimitStatus } from "../../shared/limits";
import type { Caps, EnforcementMode, WindowName } from "../../shared/plans";
import type { AccountCounters } from "./counters";
import type { Decision } from "./decide";
import type { KeyEntry } from "./key-cache";
import type { MeterSpec, UnknownMeter } from "./meters";
import type { SlidingMinute } from "./sliding-minute";
import type { AccountTerms } from "./terms";

/**
 * Where an account's windows on one meter (and the key's ceiling) stand after a call, as plain
 * numbers: what the answer is built from, whichever store counted the call. The memory store reads
 * it off its counters (windowsOf); a shared store's script returns the same figures.
 */
export interface WindowSnapshot {
  minuteUsed: number;
  /** When the minute window has room for the next call: when enough calls have aged out if it is full, else the next minute (unix ms). */
  minuteResetAtMs: number;
  dayUsed: number;
  monthUsed: number;
  /** The account's billing period (the month window ends with it). */
  period: BillingPeriod;
  /** Where the month window's count starts (unix ms). */
  monthFromMs: number;
  /** Calls this key made in the last minute. */
  ceilingUsed: number;
  /** When a call of the next cost fits under the ceiling again (unix ms). */
  ceilingResetAtMs: number;
}

/** What a call was decided as, with the windows after it. */
export interface Consumed {
  decision: Decision;
  violated: WindowName[];
  refusing: WindowName[];
  /** The same idempotency id was seen before: the first decision, nothing counted again. */
  duplicate: boolean;
  windows: WindowSnapshot;
}

/**
 * The cost a sliding window's reset is computed for: after a refusal, when a call of its own cost
 * fits again (when it can fit at all); otherwise when the next call does.
 */
export const nextCostAfter = (decision: Decision, cost: number) => (decision === "allow" || decision === "would_throttle" ? 1 : cost);

/**
 * How many calls must leave the sliding minute before a call of `nextCost` fits (≤ 0: it fits now,
 * and the window's reset is the next minute). A call larger than the cap never fits: then the next
 * single call is what the reset is computed for.
 */
export function minuteShortfall(used: number, cap: number | undefined, nextCost: number): number {
  if (cap === undefined) return 0;
  return used + (nextCost > cap ? 1 : nextCost) - cap;
}

/** The snapshot of in-memory counters after a call (`ceiling` null: no key involved, as for the portal). */
export function windowsOf(counters: AccountCounters, ceiling: SlidingMinute | null, ceilingLimit: number, nowMs: number, cap: number | undefined, nextCost: number): WindowSnapshot {
  const minute = counters.minute;
  const minuteUsed = minute.count(nowMs);
  const short = minuteShortfall(minuteUsed, cap, nextCost);
  const ceilingUsed = ceiling ? ceiling.count(nowMs) : 0;
  return {
    minuteUsed,
    minuteResetAtMs: short > 0 ? nowMs + minute.msUntilFreed(nowMs, short) : startOfMinute(nowMs) + MINUTE_MS,
    dayUsed: counters.dayUsed,
    monthUsed: counters.monthUsed,
    period: counters.period,
    monthFromMs: counters.monthFromMs,
    ceilingUsed,
    ceilingResetAtMs: ceiling ? nowMs + ceiling.msUntilFreed(nowMs, ceilingUsed + (nextCost <= ceilingLimit ? nextCost : 1) - ceilingLimit) : nowMs,
  };
}

export interface CeilingStatus {
  limit: number;
  /** Calls this key made in the last minute (after this call; a refused call consumes nothing). */
  used: number;
  /** When a call of this cost fits under the ceiling again (unix ms). */
  resetAtMs: number;
}

export type CheckResult =
  | { ok: false; reason: "unknown_key" | "revoked_key" }
  | UnknownMeter
  | {
      ok: true;
      decision: Decision;
      allowed: boolean;
      /** The same idempotency id was seen before: the first decision, nothing counted again. */
      duplicate: boolean;
      keyId: string;
      account: { id: string; name: string };
      plan: { id: string; name: string };
      mode: EnforcementMode;
      /** The meter the call counted against. */
      meter: MeterSpec;
      /** What this call counts as, in the meter's units. */
      cost: number;
      /**
       * Every window of the plan on the call's meter after this call. After a refusal, a sliding window's resetAtMs is
       * when a call of this cost fits again (when it can fit at all).
       */
      limits: LimitStatus[];
      /** Windows this call exceeded, and those that refused it. */
      violated: WindowName[];
      refusing: WindowName[];
      ceiling: CeilingStatus;
      /** The account's current billing period (the month window). */
      period: { startMs: number; endMs: number };
      /** Plan to suggest when over a cap. */
      recommendedPlanId: string | null;
    };

/** Where the account stands on one meter (`caps`: that meter's, the default meter's when absent). */
export function limitsOf(terms: AccountTerms, w: WindowSnapshot, nowMs: number, caps: Caps = terms.caps): LimitStatus[] {
  const approachingRatio = terms.plan.thresholds[0];
  return [
    limitStatus({ window: "minute", limit: caps.minute, used: w.minuteUsed, resetAtMs: w.minuteResetAtMs, approachingRatio }),
    limitStatus({ window: "day", limit: caps.day, used: w.dayUsed, resetAtMs: windowResetAt("day", nowMs, w.period), approachingRatio }),
    { ...limitStatus({ window: "month", limit: caps.month, used: w.monthUsed, resetAtMs: w.period.endMs, approachingRatio }), fromMs: w.monthFromMs, ...(terms.quotaWindow === "year" ? { span: "year" as const } : {}) },
  ];
}

/** What a call was decided against: its key, the account's terms, its meter. */
export interface CallParts {
  entry: KeyEntry;
  terms: AccountTerms;
  meter: MeterSpec;
  ceilingPerMinute: number;
  nowMs: number;
  cost: number;
  recommend?: ((accountId: string) => string | null) | undefined;
}

/**
 * The answer to one call: its decision and where the account and the key stand after it. The parts
 * and the outcome come as two objects: merging them into one per call (an object spread) cost more
 * than the whole decision on the hot path.
 */
export function checkResult(c: CallParts, o: Consumed): CheckResult {
  const { terms, nowMs, cost } = c;
  const { decision, violated } = o;
  const w = o.windows;
  const allowed = decision === "allow" || decision === "would_throttle";
  const meter = c.meter;
  const limits = limitsOf(terms, w, nowMs, meter.isDefault ? terms.caps : terms.meters[meter.id]!.caps);
  const over = violated.length > 0 || limits.some((l) => l.state === "over");
  return {
    ok: true,
    decision,
    allowed,
    duplicate: o.duplicate,
    keyId: c.entry.keyId,
    account: { id: terms.id, name: terms.name },
    plan: { id: terms.plan.id, name: terms.plan.name },
    mode: terms.mode,
    meter,
    cost,
    limits,
    violated,
    refusing: o.refusing,
    ceiling: { limit: c.ceilingPerMinute, used: w.ceilingUsed, resetAtMs: w.ceilingResetAtMs },
    period: w.period,
    recommendedPlanId: over && c.recommend ? c.recommend(terms.id) : null,
  };
}
