import { billingPeriodAt, DAY_MS } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { allAccountRows, dueScheduledChanges } from "../db/queries/billing";
import { callsServed, meterColumnOf } from "../db/queries/usage";
import { invoiceIssued } from "../db/queries/invoices";
import { accountRowByIdSync as accountInTx } from "../db/queries/accounts";
import { inTransaction, moveChangeInTx as moveChange, updateAccountInTx } from "../db/queries/plan-changes";
import { planSegments } from "../plans/plan-history";
import { raiseAccountNotice } from "../notify/account-notices";
import type { BillingContext } from "./billing-context";
import type { LineDraft } from "./billing-provider";
import { recordAnomalyIn } from "./anomalies";
import { usageCostMinor } from "./quote";

export { ANOMALY_RATIO } from "./anomalies";

/**
 * Runs the calendar of every account up to now: applies downgrades whose date has come, issues the
 * invoice of each new billing period (the plan for the period ahead, metered and overage usage of
 * the period just closed), and records an anomaly when an invoice is more than twice the last one.
 * Idempotent: each period invoice has a dedupe key; running it twice changes nothing.
 */
export async function runBillingCycle(ctx: BillingContext, opts: { periodsFromMs?: number } = {}): Promise<{ applied: number; invoiced: number; anomalies: number }> {
  const now = ctx.clock.now();
  let applied = 0;
  let invoiced = 0;
  let anomalyCount = 0;

  // 1. Scheduled changes (downgrades, leaving for Free) whose date has come, if the account is still
  // on the plan they were scheduled from; otherwise the change no longer makes sense and is cancelled.
  // A change scheduled at the remote provider (a Stripe subscription schedule) is applied there; its webhook commits it here.
  const due = await dueScheduledChanges(ctx.db, now);
  for (const change of due) {
    const name = ctx.catalog.nameOf(change.toPlanId);
    const stillFrom = await inTransaction(ctx.db, (tx) => {
      const account = accountInTx(tx, change.accountId);
      // Each move is guarded by the status it leaves: a change that another process (or the customer)
      // settled meanwhile is left alone, and nothing is applied or told twice.
      if (change.kind === "plan_change" && account?.planId !== change.fromPlanId) {
        const cancelled = moveChange(tx, change.id, ["scheduled"], { status: "cancelled", failureMessage: "The account was no longer on the plan this change was scheduled from.", updatedAtMs: now });
        return cancelled ? false : null;
      }
      if (!moveChange(tx, change.id, ["scheduled"], { status: "applied", appliedAtMs: now, updatedAtMs: now })) return null;
      // The new plan took effect at the period boundary, whenever the calendar runs.
      if (change.kind === "plan_change") updateAccountInTx(tx, change.accountId, { planId: change.toPlanId, planStartedAtMs: change.effectiveAtMs });
      return true;
    });
    if (stillFrom === null) continue;
    if (!stillFrom) {
      await raiseAccountNotice(ctx.notify, {
        accountId: change.accountId,
        planId: change.fromPlanId,
        ref: `${change.id}:void`,
        facts: {
          kind: "change_scheduled",
          planName: name,
          severity: "info",
          title: `Your scheduled switch to ${name} was cancelled`,
          text: `It was scheduled from the ${ctx.catalog.nameOf(change.fromPlanId)} plan, and your plan has changed since. Nothing was charged for it; your current plan continues.`,
        },
      });
      continue;
    }
    applied++;
    ctx.onPlanChanged(change.accountId);
    await raiseAccountNotice(ctx.notify, {
      accountId: change.accountId,
      planId: change.toPlanId,
      ref: `${change.id}:applied`,
      facts: { kind: "plan_changed", planName: name, severity: "info", title: `You are now on the ${name} plan`, text: `Your scheduled switch took effect on ${formatDateUtc(change.effectiveAtMs)}. The ${name} caps apply from now.` },
    });
  }

  // 2. The invoice of each account's current period, once the account has lived through a boundary.
  // With a remote provider (Stripe) the subscription issues it; the webhook mirrors it here.
  for (const account of ctx.provider.remote ? [] : await allAccountRows(ctx.db)) {
    const period = billingPeriodAt(account.billingAnchorMs, now);
    if (period.startMs <= account.billingAnchorMs || period.startMs > now) continue;
    if (opts.periodsFromMs !== undefined && period.startMs < opts.periodsFromMs) continue;
    const dedupeKey = `period:${account.id}:${period.startMs}`;
    if (await invoiceIssued(ctx.db, dedupeKey)) continue;
    const plan = ctx.catalog.plan(account.planId);
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
    // Usage of the period just closed, billed per plan it was on (a plan's quota counts from its own start).
    for (const seg of await planSegments(ctx.db, account.id, account.planId, previous.startMs, previous.endMs)) {
      const segPlan = ctx.catalog.plan(seg.planId);
      // The plan's usage prices are the default meter's (its first); other meters are not billed yet.
      const calls = await callsServed(ctx.db, account.id, meterColumnOf(ctx.catalog), seg.fromMs, seg.toMs);
      const usage = usageCostMinor(segPlan, calls, account.overageOptIn);
      if (usage <= 0) continue;
      const billed = segPlan.metered ? calls : Math.max(0, calls - (segPlan.caps.month ?? 0));
      lines.push({
        kind: segPlan.metered ? "metered" : "overage",
        description: segPlan.metered
          ? `${segPlan.name}: ${billed.toLocaleString("en-US")} calls at ${formatMoney(segPlan.overagePer1000Minor!, segPlan.currency)} per 1,000, ${span(seg.fromMs, seg.toMs)}`
          : `${segPlan.name}: ${billed.toLocaleString("en-US")} calls over the ${segPlan.caps.month!.toLocaleString("en-US")} quota at ${formatMoney(segPlan.overagePer1000Minor!, segPlan.currency)} per 1,000, ${span(seg.fromMs, seg.toMs)}`,
        quantity: billed,
        amountMinor: usage,
        periodStartMs: seg.fromMs,
        periodEndMs: seg.toMs,
      });
    }
    if (lines.length === 0) continue;
    const notice = await inTransaction(ctx.db, (tx) => {
      const charge = ctx.provider.invoice(tx, { accountId: account.id, kind: "period", periodStartMs: period.startMs, periodEndMs: period.endMs, currency: account.currency, lines, dedupeKey }, now);
      return charge.kind === "paid" || charge.kind === "queued" ? recordAnomalyIn(ctx, tx, charge.invoiceId) : null;
    });
    invoiced++;
    if (notice) {
      anomalyCount++;
      await notice();
    }
  }
  return { applied, invoiced, anomalies: anomalyCount };
}

/** Replays the cycle at each past period boundary of the last `days` days (demo seeding). */
export async function backfillBillingCycles(ctx: BillingContext, days: number): Promise<void> {
  const now = ctx.clock.now();
  const boundaries = new Set<number>();
  // The period that contained the first day of the window is invoiced too (its usage line covers the
  // period before, which has no history: the plan only). Each at its own start, as the calendar would.
  const fromMs = now - (days + 31) * DAY_MS;
  for (const account of await allAccountRows(ctx.db)) {
    for (let t = fromMs; t <= now; t += DAY_MS) {
      const p = billingPeriodAt(account.billingAnchorMs, t);
      if (p.startMs > account.billingAnchorMs && p.startMs >= fromMs) boundaries.add(p.startMs);
    }
  }
  for (const at of [...boundaries].sort((a, b) => a - b)) await runBillingCycle({ ...ctx, clock: { now: () => at } }, { periodsFromMs: fromMs });
}
