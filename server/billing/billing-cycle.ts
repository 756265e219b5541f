import { and, eq, gte, isNull, lt, lte, sql } from "drizzle-orm";
import { billingPeriodAt, DAY_MS } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { isPlanId, PLANS } from "../../shared/plans";
import { accounts, invoices, planChanges, usageDay } from "../db/schema";
import { raiseAccountNotice } from "../notify/account-notices";
import type { BillingContext } from "./billing-context";
import type { LineDraft } from "./billing-provider";
import { recordAnomalyIn } from "./anomalies";
import { usageCostMinor } from "./quote";

export { ANOMALY_RATIO } from "./anomalies";

/** Calls served in [fromMs, toMs) from the day rollups (periods start at UTC midnight). */
function callsBetween(ctx: BillingContext, accountId: string, fromMs: number, toMs: number): number {
  return ctx.db
    .select({ n: sql<number>`coalesce(sum(${usageDay.allowed} + ${usageDay.wouldThrottle}), 0)` })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), gte(usageDay.dayMs, fromMs), lt(usageDay.dayMs, toMs)))
    .get()!.n;
}

/**
 * Runs the calendar of every account up to now: applies downgrades whose date has come, issues the
 * invoice of each new billing period (the plan for the period ahead, metered and overage usage of
 * the period just closed), and records an anomaly when an invoice is more than twice the last one.
 * Idempotent: each period invoice has a dedupe key; running it twice changes nothing.
 */
export function runBillingCycle(ctx: BillingContext, opts: { periodsFromMs?: number } = {}): { applied: number; invoiced: number; anomalies: number } {
  const now = ctx.clock.now();
  let applied = 0;
  let invoiced = 0;
  let anomalyCount = 0;

  // 1. Scheduled changes (downgrades, leaving for Free) whose date has come.
  // A change scheduled at the remote provider (a Stripe subscription schedule) is applied there; its webhook commits it here.
  const due = ctx.db.select().from(planChanges).where(and(eq(planChanges.status, "scheduled"), lte(planChanges.effectiveAtMs, now), isNull(planChanges.providerRef))).all();
  for (const change of due) {
    ctx.db.transaction((tx) => {
      if (change.kind === "plan_change") tx.update(accounts).set({ planId: change.toPlanId }).where(eq(accounts.id, change.accountId)).run();
      tx.update(planChanges).set({ status: "applied", appliedAtMs: now, updatedAtMs: now }).where(eq(planChanges.id, change.id)).run();
    });
    applied++;
    ctx.onPlanChanged(change.accountId, false);
    const name = PLANS[isPlanId(change.toPlanId) ? change.toPlanId : "free"].name;
    raiseAccountNotice(ctx.notify, {
      accountId: change.accountId,
      planId: change.toPlanId,
      ref: `${change.id}:applied`,
      facts: { kind: "plan_changed", planName: name, severity: "info", title: `You are now on the ${name} plan`, text: `Your scheduled switch took effect on ${formatDateUtc(change.effectiveAtMs)}. The ${name} caps apply from now.` },
    });
  }

  // 2. The invoice of each account's current period, once the account has lived through a boundary.
  // With a remote provider (Stripe) the subscription issues it; the webhook mirrors it here.
  for (const account of ctx.provider.remote ? [] : ctx.db.select().from(accounts).all()) {
    const period = billingPeriodAt(account.billingAnchorMs, now);
    if (period.startMs <= account.billingAnchorMs || period.startMs > now) continue;
    if (opts.periodsFromMs !== undefined && period.startMs < opts.periodsFromMs) continue;
    const dedupeKey = `period:${account.id}:${period.startMs}`;
    if (ctx.db.select({ id: invoices.id }).from(invoices).where(eq(invoices.dedupeKey, dedupeKey)).get()) continue;
    const plan = PLANS[isPlanId(account.planId) ? account.planId : "free"];
    const previous = billingPeriodAt(account.billingAnchorMs, period.startMs - 1);
    const grandfathered = account.grandfatheredUntilMs !== null && period.startMs < account.grandfatheredUntilMs;
    const lines: LineDraft[] = [];
    const span = (a: number, b: number) => `${formatDateUtc(a)} – ${formatDateUtc(b - 1)}`;
    if (plan.priceMinor > 0) {
      lines.push({
        kind: "plan",
        description: grandfathered ? `${plan.name} plan, ${span(period.startMs, period.endMs)} (kept free until ${formatDateUtc(account.grandfatheredUntilMs!)})` : `${plan.name} plan, ${span(period.startMs, period.endMs)}`,
        quantity: 1,
        amountMinor: grandfathered ? 0 : plan.priceMinor,
        periodStartMs: period.startMs,
        periodEndMs: period.endMs,
      });
    }
    const calls = callsBetween(ctx, account.id, previous.startMs, previous.endMs);
    const usage = usageCostMinor(plan, calls, account.overageOptIn);
    if (usage > 0) {
      const billed = plan.metered ? calls : Math.max(0, calls - (plan.caps.month ?? 0));
      lines.push({
        kind: plan.metered ? "metered" : "overage",
        description: plan.metered
          ? `${billed.toLocaleString("en-US")} calls at ${formatMoney(plan.overagePer1000Minor!, plan.currency)} per 1,000, ${span(previous.startMs, previous.endMs)}`
          : `${billed.toLocaleString("en-US")} calls over the ${plan.caps.month!.toLocaleString("en-US")} quota at ${formatMoney(plan.overagePer1000Minor!, plan.currency)} per 1,000, ${span(previous.startMs, previous.endMs)}`,
        quantity: billed,
        amountMinor: usage,
        periodStartMs: previous.startMs,
        periodEndMs: previous.endMs,
      });
    }
    if (lines.length === 0) continue;
    let notice: (() => void) | null = null;
    ctx.db.transaction((tx) => {
      const charge = ctx.provider.invoice(tx as unknown as BillingContext["db"], { accountId: account.id, kind: "period", periodStartMs: period.startMs, periodEndMs: period.endMs, currency: account.currency, lines, dedupeKey }, now);
      if (charge.kind === "paid" || charge.kind === "queued") notice = recordAnomalyIn(ctx, tx as unknown as BillingContext["db"], charge.invoiceId);
    });
    invoiced++;
    if (notice) {
      anomalyCount++;
      (notice as () => void)();
    }
  }
  return { applied, invoiced, anomalies: anomalyCount };
}

/** Replays the cycle at each past period boundary of the last `days` days (demo seeding). */
export function backfillBillingCycles(ctx: BillingContext, days: number): void {
  const now = ctx.clock.now();
  const boundaries = new Set<number>();
  // The period that contained the first day of the window is invoiced too (its usage line covers the
  // period before, which has no history: the plan only). Each at its own start, as the calendar would.
  const fromMs = now - (days + 31) * DAY_MS;
  for (const account of ctx.db.select().from(accounts).all()) {
    for (let t = fromMs; t <= now; t += DAY_MS) {
      const p = billingPeriodAt(account.billingAnchorMs, t);
      if (p.startMs > account.billingAnchorMs && p.startMs >= fromMs) boundaries.add(p.startMs);
    }
  }
  for (const at of [...boundaries].sort((a, b) => a - b)) runBillingCycle({ ...ctx, clock: { now: () => at } }, { periodsFromMs: fromMs });
}
