import { limitStatus, windowResetAt, type LimitStatus } from "../../shared/limits";
import type { Caps, EnforcementMode, WindowName } from "../../shared/plans";
import type { AccountCounters } from "./counters";
import type { Decision } from "./decide";
import type { KeyEntry } from "./key-cache";
import type { MeterSpec, UnknownMeter } from "./meters";
import type { SlidingMinute } from "./sliding-minute";
import type { AccountTerms } from "./terms";

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

/**
 * Where the account stands on one meter (`caps`: that meter's, the default meter's when absent); a
 * sliding window's reset is when a call of `nextCost` fits again (1 unless it never could).
 */
export function limitsOf(terms: AccountTerms, counters: AccountCounters, nowMs: number, nextCost = 1, caps: Caps = terms.caps): LimitStatus[] {
  const approachingRatio = terms.plan.thresholds[0];
  const minuteUsed = counters.minute.count(nowMs);
  const minuteCap = caps.minute;
  // The sliding minute frees up as calls age out: report when enough have left for the next call.
  const fitting = minuteCap !== undefined && nextCost > minuteCap ? 1 : nextCost;
  const minuteReset =
    minuteCap !== undefined && minuteUsed + fitting > minuteCap
      ? nowMs + counters.minute.msUntilFreed(nowMs, minuteUsed + fitting - minuteCap)
      : windowResetAt("minute", nowMs, counters.period);
  return [
    limitStatus({ window: "minute", limit: minuteCap, used: minuteUsed, resetAtMs: minuteReset, approachingRatio }),
    limitStatus({ window: "day", limit: caps.day, used: counters.dayUsed, resetAtMs: windowResetAt("day", nowMs, counters.period), approachingRatio }),
    { ...limitStatus({ window: "month", limit: caps.month, used: counters.monthUsed, resetAtMs: counters.period.endMs, approachingRatio }), fromMs: counters.monthFromMs, ...(terms.quotaWindow === "year" ? { span: "year" as const } : {}) },
  ];
}

/** What a call was decided against: its key, the account's terms, its meter and that meter's counters, the key's ceiling. */
export interface CallParts {
  entry: KeyEntry;
  terms: AccountTerms;
  meter: MeterSpec;
  counters: AccountCounters;
  ceiling: SlidingMinute;
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
export function checkResult(c: CallParts, o: { decision: Decision; violated: WindowName[]; refusing: WindowName[]; duplicate: boolean }): CheckResult {
  const { terms, nowMs, cost } = c;
  const { decision, violated } = o;
  const allowed = decision === "allow" || decision === "would_throttle";
  // A refused call says when a call of its own cost fits again; otherwise, when the next call does.
  const nextCost = allowed ? 1 : cost;
  const meter = c.meter;
  const limits = limitsOf(terms, c.counters, nowMs, nextCost, meter.isDefault ? terms.caps : terms.meters[meter.id]!.caps);
  const over = violated.length > 0 || limits.some((l) => l.state === "over");
  const ceilingUsed = c.ceiling.count(nowMs);
  const ceilingLimit = c.ceilingPerMinute;
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
    ceiling: {
      limit: ceilingLimit,
      used: ceilingUsed,
      resetAtMs: nowMs + c.ceiling.msUntilFreed(nowMs, ceilingUsed + (nextCost <= ceilingLimit ? nextCost : 1) - ceilingLimit),
    },
    period: c.counters.period,
    recommendedPlanId: over && c.recommend ? c.recommend(terms.id) : null,
  };
}
