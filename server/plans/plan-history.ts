import { and, asc, eq, gt } from "drizzle-orm";
import { DAY_MS } from "../../shared/limits";
import type { Db } from "../db/client";
import { planChanges } from "../db/schema";

/**
 * The plans an account was on during [fromMs, toMs), from the plan changes that took effect in it
 * (at their effective moment); the plan before the first is the one that change left.
 */
export function planSegments(db: Db, accountId: string, currentPlanId: string, fromMs: number, toMs: number): Array<{ planId: string; fromMs: number; toMs: number }> {
  const changes = db
    .select({ fromPlanId: planChanges.fromPlanId, toPlanId: planChanges.toPlanId, atMs: planChanges.effectiveAtMs })
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "applied"), gt(planChanges.effectiveAtMs, fromMs)))
    .orderBy(asc(planChanges.effectiveAtMs))
    .all();
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
export function plansByDay(db: Db, accountId: string, currentPlanId: string, firstDayMs: number, nowMs: number): Map<number, string[]> {
  const segments = planSegments(db, accountId, currentPlanId, firstDayMs, nowMs + 1);
  const out = new Map<number, string[]>();
  for (let day = firstDayMs; day <= nowMs; day += DAY_MS) {
    const ids = segments.filter((s) => s.fromMs < day + DAY_MS && s.toMs > day).map((s) => s.planId);
    out.set(day, ids.filter((id, i) => ids.indexOf(id) === i));
  }
  return out;
}
