import { quotaWindow } from "../../shared/billing-interval";
import { z } from "zod";
import type { Catalog } from "../../shared/catalog";
import { ENFORCEMENT_MODES, type EnforcementMode } from "../../shared/plans";
import { listAccounts } from "../accounts/accounts";
import { daysOverLastWeek, type Detector } from "../detection/detect";
import { planEnforcementSetting, storeEnforcement } from "../db/queries/operator";
import type { Store } from "../db/queries/store";
import { meterColumnOf } from "../db/queries/usage";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import type { ChangeFeed } from "../lib/change-feed";
import type { Meter } from "../metering/meter";
import { recordAudit } from "./audit-log";
import { refusedPerDay } from "./shadow-audit";

export interface EnforcementContext {
  db: Store;
  catalog: Catalog;
  clock: Clock;
  meter: Meter;
  feed: Pick<ChangeFeed, "publish">;
  detector: Detector;
  graceMs: number;
}

export const enforcementTarget = z.object({
  planId: z.string().min(1).max(40),
  /** A cohort of accounts on that plan (a beta); absent = the whole plan. */
  accountIds: z.array(z.string().min(1).max(100)).min(1).max(1000).optional(),
});

/** The plan a flip is about; an id the catalog does not hold is refused. */
function planOf(ctx: EnforcementContext, planId: string) {
  const plan = ctx.catalog.find(planId);
  if (!plan) throw new DomainError("BAD_INPUT", `There is no plan "${planId}" in the catalog.`);
  return plan;
}

async function targets(ctx: EnforcementContext, input: z.infer<typeof enforcementTarget>) {
  planOf(ctx, input.planId);
  const onPlan = (await listAccounts(ctx.db, ctx.catalog)).filter((a) => a.plan.id === input.planId);
  if (!input.accountIds) return onPlan;
  const wanted = new Set(input.accountIds);
  const chosen = onPlan.filter((a) => wanted.has(a.id));
  if (chosen.length !== wanted.size) throw new DomainError("BAD_INPUT", "Every account of a cohort must be on the chosen plan.");
  return chosen;
}

/**
 * What a flip to enforce would do now: which accounts would be refused (over a cap today or on a
 * day of the last week), how many calls a day, who has been told and when their grace ends.
 */
export async function enforcementReadiness(ctx: EnforcementContext, raw: z.input<typeof enforcementTarget>) {
  const input = enforcementTarget.parse(raw);
  const now = ctx.clock.now();
  const list = await targets(ctx, input);
  // A plan flip leaves accounts with their own mode as they are: they are not among those it would refuse.
  const affected = (
    await Promise.all(list
    .filter((a) => input.accountIds !== undefined || !a.ownMode)
    .map(async (a) => {
      await ctx.meter.prepare(a.id);
      const s = ctx.meter.standing(a.id);
      // Over a cap of any meter; the days over are the most any one meter had.
      const overNow = s.meters.some((m) => m.limits.some((l) => l.state === "over"));
      let week = { days: 0 };
      for (const m of s.meters) {
        const w = await daysOverLastWeek(ctx.db, a.id, now, m.caps, m.meter.column);
        if (w.days > week.days) week = w;
      }
      if (!overNow && week.days === 0) return null;
      const told = s.meters.flatMap((m) => Object.values(m.noticeDeliveredAtMs));
      const notifiedAtMs = told.length ? Math.min(...told) : null;
      return {
        accountId: a.id,
        name: a.name,
        mode: a.enforcement,
        daysOverLastWeek: week.days,
        notifiedAtMs,
        graceEndsAtMs: notifiedAtMs === null ? null : notifiedAtMs + ctx.graceMs,
        terms: { id: a.id, caps: s.caps, billingAnchorMs: a.billingAnchorMs, planStartedAtMs: a.planStartedAtMs, quotaWindow: quotaWindow(a.plan, a.billingInterval) },
      };
    }))
  )
    .filter((x): x is NonNullable<typeof x> => x !== null);
  const plan = planOf(ctx, input.planId);
  const setting = await planEnforcementSetting(ctx.db, plan.id);
  return {
    planId: plan.id,
    planName: plan.name,
    mode: setting ?? plan.enforcement,
    accounts: list.length,
    /** Accounts of a plan-wide target that keep their own mode. */
    keepOwnMode: input.accountIds ? 0 : list.filter((a) => a.ownMode).length,
    wouldRefuse: affected.map(({ terms: _terms, ...a }) => a),
    // Calls of the default meter (its units are what "calls" means in the console).
    refusedCallsPerDay: await refusedPerDay(ctx.db, affected.map((a) => a.terms), now, meterColumnOf(ctx.catalog)),
    notified: affected.filter((a) => a.notifiedAtMs !== null).length,
    graceHours: ctx.graceMs / 3_600_000,
  };
}

/** `plan`: a cohort drops its own mode and follows its plan's again (a later plan flip applies to it too). */
export const FOLLOW_PLAN = "plan";

export const setEnforcementInput = enforcementTarget
  .extend({ mode: z.enum([...ENFORCEMENT_MODES, FOLLOW_PLAN]) })
  .refine((i) => i.mode !== FOLLOW_PLAN || i.accountIds !== undefined, { message: "Only a cohort of accounts can be set to follow its plan.", path: ["mode"] });

/**
 * Flips a plan (or a cohort of its accounts) to off / shadow / enforce, or lets a cohort follow its
 * plan's mode again. Audited; whatever puts accounts into enforce mode sends every account that
 * would be refused an `enforcement_scheduled` notice with the date its grace period ends — no call
 * is refused before that.
 */
export async function setEnforcement(ctx: EnforcementContext, raw: z.input<typeof setEnforcementInput>, actor: string) {
  const input = setEnforcementInput.parse(raw);
  const now = ctx.clock.now();
  const list = await targets(ctx, input);
  const plan = planOf(ctx, input.planId);
  const before = (await planEnforcementSetting(ctx.db, plan.id)) ?? plan.enforcement;
  const followPlan = input.mode === FOLLOW_PLAN;
  // The mode the target ends up in: following the plan means the plan's current mode.
  const mode: EnforcementMode = input.mode === FOLLOW_PLAN ? before : input.mode;
  await storeEnforcement(ctx.db, input.accountIds ? { planId: plan.id, accountIds: input.accountIds, mode: followPlan ? null : mode, atMs: now, by: actor } : { planId: plan.id, mode, atMs: now, by: actor });
  await recordAudit(ctx.db, ctx.clock, {
    actor,
    action: "enforcement.changed",
    details: { planId: plan.id, from: input.accountIds ? "per account" : before, to: followPlan ? `the plan's (${mode})` : mode, cohort: input.accountIds ?? null, accounts: list.length },
  });
  // Every account's terms are re-read, here and (through the database) in other processes.
  ctx.feed.publish({ kind: "modes.changed" });
  // Notices go to the accounts the change puts into enforce mode: a plan flip skips those with their own mode.
  const enforced = list.filter((a) => input.accountIds !== undefined || !a.ownMode);
  const notified = mode === "enforce" ? await ctx.detector.scheduleEnforcement(enforced.map((a) => a.id)) : [];
  return { planId: plan.id, mode, followsPlan: followPlan, accounts: list.length, notified: notified.length };
}
