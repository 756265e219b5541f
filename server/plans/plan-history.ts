import { DAY_MS } from "../../shared/limits";
import { appliedPlanChanges } from "../db/queries/plans";
import type { Store } from "../db/queries/store";

/**
 * The plans an account was on during [fromMs, toMs), from the plan changes that took effect in it
 * (at their effective moment); the plan before the first is the one that change left.
 */
export async function planSegments(db: Store, accountId: string, currentPlanId: string, fromMs: number, toMs: number): Promise<Array<{ planId: string; fromMs: number; toMs: number }>> {
  const changes = await appliedPlanChanges(db, accountId, fromMs);
  let planId = changes[0]?.fromPlanId ?? currentPlanId;
  let start = fromMs;
  const out: Array<{ planId: string; fromMs: number; toMs: number }> = [];
  for (const c of changes) {
    if (c.atMs >= toMs) break;
    if (c.atMs > start) out.push({ planId, fromMs: start, toMs: c.atMs });
    planId = c.toPlanId;
    start = c.atMs;
  }
  out.push({ planId, fromMs: start, toMs });
  return out;
}

/**
 * The plans an account was on during each UTC day from `firstDayMs` (unix ms of a day start) to
 * now: one id for a day spent on one plan, several (in order) for a day it switched.
 */
export async function plansByDay(db: Store, accountId: string, currentPlanId: string, firstDayMs: number, nowMs: number): Promise<Map<number, string[]>> {
  const segments = await planSegments(db, accountId, currentPlanId, firstDayMs, nowMs + 1);
  const out = new Map<number, string[]>();
  for (let day = firstDayMs; day <= nowMs; day += DAY_MS) {
    const ids = segments.filter((s) => s.fromMs < day + DAY_MS && s.toMs > day).map((s) => s.planId);
    out.set(day, ids.filter((id, i) => ids.indexOf(id) === i));
  }
  return out;
}
