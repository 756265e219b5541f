import { z } from "zod";
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

/** Net Promoter Score: % of 9–10 minus % of 0–6; null without answers. */
export function nps(scores: number[]): number | null {
  if (scores.length === 0) return null;
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  return Math.round(((promoters - detractors) / scores.length) * 100);
}

/** NPS per week over [fromMs, toMs), and overall. */
export async function npsOverTime(db: Store, fromMs: number, toMs: number) {
  const rows = await satisfactionBetween(db, fromMs, toMs);
  const weeks: Array<{ weekStartMs: number; nps: number | null; answers: number }> = [];
  for (let w = startOfUtcDay(fromMs); w < toMs; w += 7 * DAY_MS) {
    const scores = rows.filter((r) => r.createdAtMs >= w && r.createdAtMs < w + 7 * DAY_MS).map((r) => r.score);
    weeks.push({ weekStartMs: w, nps: nps(scores), answers: scores.length });
  }
  return { overall: nps(rows.map((r) => r.score)), answers: rows.length, weeks };
}

export function scoresFor(db: Store, planChangeIds: string[]) {
  return satisfactionFor(db, planChangeIds);
}
