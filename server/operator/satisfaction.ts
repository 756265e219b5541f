import { z } from "zod";
import { nps } from "../../shared/experiment/metrics";
import { DAY_MS, startOfUtcDay } from "../../shared/limits";
import type { Store } from "../db/queries/store";
import { recordSatisfaction, satisfactionBetween, satisfactionFor } from "../db/queries/support";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";

export const rateInput = z.object({ planChangeId: z.string().min(1).max(100), score: z.number().int().min(0).max(10) });

/** The optional 0–10 question on the receipt page; one answer per plan change (a second replaces it). */
export async function rateExperience(db: Store, clock: Clock, accountId: string, raw: z.input<typeof rateInput>): Promise<void> {
  const input = rateInput.parse(raw);
  const recorded = await recordSatisfaction(db, { id: newId("sat"), accountId, planChangeId: input.planChangeId, score: input.score, atMs: clock.now() });
  if (!recorded) throw new DomainError("NOT_FOUND", "No such plan change.");
}


/** NPS per week over [fromMs, toMs), and overall. */
export async function npsOverTime(db: Store, fromMs: number, toMs: number) {
  const rows = await satisfactionBetween(db, fromMs, toMs);
  const weeks: Array<{ weekStartMs: number; nps: number | null; answers: number }> = [];
  for (let w = startOfUtcDay(fromMs); w < toMs; w += 7 * DAY_MS) {
    const scores = rows.filter((r) => r.createdAtMs >= w && r.createdAtMs < w + 7 * DAY_MS).map((r) => r.score);
    weeks.push({ weekStartMs: w, nps: nps(scores).score, answers: scores.length });
  }
  return { overall: nps(rows.map((r) => r.score)).score, answers: rows.length, weeks };
}

export function scoresFor(db: Store, planChangeIds: string[]) {
  return satisfactionFor(db, planChangeIds);
}
