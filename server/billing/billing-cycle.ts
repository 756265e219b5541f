import { INTERVAL_WORDS, quotaWindow, termsOnInterval } from "../../shared/billing-interval";
import { billingPeriodAt, DAY_MS, type BillingPeriod } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { billedMeters, billedUnits, meterUsageMinor } from "../../shared/meter-billing";
import { allAccountRows, changeThatMovedAnchor, dueScheduledChanges } from "../db/queries/billing";
import type { AccountRow } from "../db/queries/accounts";
import { callsServed, meterColumnOf } from "../db/queries/usage";
import { creditBalanceInTx, invoiceIssued } from "../db/queries/invoices";
import { accountInTx, inTransaction, moveChangeInTx as moveChange, updateAccountInTx } from "../db/queries/plan-changes";
import { planSegments } from "../plans/plan-history";
import { raiseAccountNotice } from "../notify/account-notices";
import type { BillingContext } from "./billing-context";
import type { LineDraft } from "./billing-provider";
import { recordAnomalyIn } from "./anomalies";

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
    const stillFrom = await inTransaction(ctx.db, function* () {
      const account = yield* accountInTx(change.accountId);
      // Each move is guarded by the status it leaves: a change that another process (or the customer)
      // settled meanwhile is left alone, and nothing is applied or told twice.
      if (change.kind === "plan_change" && account?.planId !== change.fromPlanId) {
        const cancelled = yield* moveChange(change.id, ["scheduled"], { status: "cancelled", failureMessage: "The account was no longer on the plan this change was scheduled from.", updatedAtMs: now });
        return cancelled ? false : null;
      }
      if (!(yield* moveChange(change.id, ["scheduled"], { status: "applied", appliedAtMs: now, updatedAtMs: now }))) return null;
      // The new plan took effect at the period boundary, whenever the calendar runs.
      if (change.kind === "plan_change") yield* updateAccountInTx(change.accountId, { planId: change.toPlanId, planStartedAtMs: change.effectiveAtMs });
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

  // 2. The invoice of each account's current period, once the account has lived through a boundary,
  // and — for a yearly period whose quota starts over each month — the usage invoice of each month
  // window within it. Usage (metered units and overage, of every meter) is billed at the end of the window its quota is
  // counted in: each month for a monthly quota, once a year for a yearly one. A quota that starts over
  // each month bills what went over it that month, when the month ends, rather than a year later.
  // With a remote provider (Stripe) the subscription issues them; the webhook mirrors them here.
  for (const account of ctx.provider.remote ? [] : await allAccountRows(ctx.db)) {
    const interval = account.billingInterval;
    const plan = ctx.catalog.planOf(account);
    const window = quotaWindow(plan, interval);
    const period = billingPeriodAt(account.billingAnchorMs, now, interval);
    const span = (a: number, b: number) => `${formatDateUtc(a)} – ${formatDateUtc(b - 1)}`;
    const issue = async (at: BillingPeriod, dedupeKey: string, lines: LineDraft[]) => {
      if (lines.length === 0) return;
      const notice = await inTransaction(ctx.db, function* () {
        // Credit left on the balance (an interval change's) is taken off what this invoice charges.
        const due = lines.reduce((sum, l) => sum + l.amountMinor, 0);
        const balance = due > 0 ? yield* creditBalanceInTx(account.id) : 0;
        const all = balance > 0 ? [...lines, { kind: "balance" as const, description: "Credit from your balance", quantity: 1, amountMinor: -Math.min(balance, due) }] : lines;
        const charge = yield* ctx.provider.invoice({ accountId: account.id, kind: "period", periodStartMs: at.startMs, periodEndMs: at.endMs, currency: account.currency, lines: all, dedupeKey }, now);
        return charge.kind === "paid" || charge.kind === "queued" ? yield* recordAnomalyIn(ctx, charge.invoiceId) : null;
      });
      invoiced++;
      if (notice) {
        anomalyCount++;
        await notice();
      }
    };

    if (period.startMs > account.billingAnchorMs && period.startMs <= now && !(opts.periodsFromMs !== undefined && period.startMs < opts.periodsFromMs)) {
      const dedupeKey = `period:${account.id}:${period.startMs}`;
      if (!(await invoiceIssued(ctx.db, dedupeKey))) {
        const grandfathered = account.grandfatheredUntilMs !== null && period.startMs < account.grandfatheredUntilMs;
        const price = plan.prices[interval] ?? (interval === "year" ? plan.priceMinor * 12 : plan.priceMinor);
        const lines: LineDraft[] = [];
        if (price > 0) {
          const name = plan.prices.year !== undefined ? `${plan.name} plan (${INTERVAL_WORDS[interval].adjective})` : `${plan.name} plan`;
          lines.push({
            kind: "plan",
            description: grandfathered ? `${name}, ${span(period.startMs, period.endMs)} (kept free until ${formatDateUtc(account.grandfatheredUntilMs!)})` : `${name}, ${span(period.startMs, period.endMs)}`,
            quantity: 1,
            amountMinor: grandfathered ? 0 : price,
            periodStartMs: period.startMs,
            periodEndMs: period.endMs,
          });
        }
        // Usage of the quota window just closed (the month, or the year), per plan it was on.
        const closed = billingPeriodAt(account.billingAnchorMs, period.startMs - 1, window);
        lines.push(...(await cutShortUsage(ctx, account, closed, span)), ...(await usageLines(ctx, account, closed, span)));
        await issue(period, dedupeKey, lines);
      }
    }
    // A month window within a yearly period has ended: its usage, billed now.
    const current = billingPeriodAt(account.billingAnchorMs, now, window);
    if (current.startMs > period.startMs && !(opts.periodsFromMs !== undefined && current.startMs < opts.periodsFromMs)) {
      const dedupeKey = `usage:${account.id}:${current.startMs}`;
      if (!(await invoiceIssued(ctx.db, dedupeKey))) {
        const closed = billingPeriodAt(account.billingAnchorMs, current.startMs - 1, window);
        await issue(closed, dedupeKey, [...(await cutShortUsage(ctx, account, closed, span)), ...(await usageLines(ctx, account, closed, span))]);
      }
    }
  }
  return { applied, invoiced, anomalies: anomalyCount };
}

/**
 * The first window since the account's billing date moved (an interval change, Free → paid, the end
 * of grandfathered terms) also bills the usage of the window that change cut short — from that
 * window's start to the change, on the terms it was counted on then — which no invoice covered.
 */
async function cutShortUsage(ctx: BillingContext, account: AccountRow, closed: BillingPeriod, span: (a: number, b: number) => string): Promise<LineDraft[]> {
  if (closed.startMs !== account.billingAnchorMs) return [];
  const change = await changeThatMovedAnchor(ctx.db, account.id, account.billingAnchorMs);
  if (!change) return [];
  const fromPlan = ctx.catalog.find(change.fromPlanId);
  if (!fromPlan) return [];
  const cut = billingPeriodAt(change.periodStartMs, account.billingAnchorMs - 1, quotaWindow(fromPlan, change.fromInterval));
  return usageLines(ctx, { ...account, billingInterval: change.fromInterval }, { startMs: cut.startMs, endMs: account.billingAnchorMs }, span);
}

/**
 * The usage lines of one quota window, per plan the account was on (a plan's quota counts from its own
 * start) and per meter that plan bills: its metered units, or its units over the quota. With several
 * meters each line names its meter's unit; with one, its units are "calls".
 */
async function usageLines(ctx: BillingContext, account: AccountRow, window: BillingPeriod, span: (a: number, b: number) => string): Promise<LineDraft[]> {
  const lines: LineDraft[] = [];
  for (const seg of await planSegments(ctx.db, account.id, account.planId, window.startMs, window.endMs)) {
    // The quota as the account has it on its interval: twelve months' allowance for a yearly quota.
    // The plan the account is on keeps its version; a plan it left is billed at that plan's current terms.
    const segPlan = termsOnInterval(seg.planId === account.planId ? ctx.catalog.planOf(account) : ctx.catalog.plan(seg.planId), account.billingInterval);
    for (const meter of billedMeters(ctx.catalog, segPlan)) {
      const units = await callsServed(ctx.db, account.id, meterColumnOf(ctx.catalog, meter.id), seg.fromMs, seg.toMs);
      const usage = meterUsageMinor(meter.terms, units, account.overageOptIn);
      if (usage <= 0) continue;
      const billed = billedUnits(meter, units);
      const price = formatMoney(meter.terms.overagePer1000Minor, segPlan.currency);
      lines.push({
        kind: meter.billing,
        description:
          meter.billing === "metered"
            ? `${segPlan.name}: ${billed.toLocaleString("en-US")} ${meter.noun} at ${price} per 1,000, ${span(seg.fromMs, seg.toMs)}`
            : `${segPlan.name}: ${billed.toLocaleString("en-US")} ${meter.noun} over the ${meter.terms.caps.month!.toLocaleString("en-US")} quota at ${price} per 1,000, ${span(seg.fromMs, seg.toMs)}`,
        quantity: billed,
        amountMinor: usage,
        periodStartMs: seg.fromMs,
        periodEndMs: seg.toMs,
      });
    }
  }
  return lines;
}

/** Replays the cycle at each past period boundary of the last `days` days (demo seeding). */
export async function backfillBillingCycles(ctx: BillingContext, days: number): Promise<void> {
  const now = ctx.clock.now();
  const boundaries = new Set<number>();
  // The period that contained the first day of the window is invoiced too (its usage line covers the
  // period before, which has no history: the plan only). Each at its own start, as the calendar would.
  const fromMs = now - (days + 31) * DAY_MS;
  for (const account of await allAccountRows(ctx.db)) {
    // Every quota window's start: the period boundaries, and the months within a yearly period.
    const window = quotaWindow(ctx.catalog.planOf(account), account.billingInterval);
    for (let t = fromMs; t <= now; t += DAY_MS) {
      const p = billingPeriodAt(account.billingAnchorMs, t, window);
      if (p.startMs > account.billingAnchorMs && p.startMs >= fromMs) boundaries.add(p.startMs);
    }
  }
  for (const at of [...boundaries].sort((a, b) => a - b)) await runBillingCycle({ ...ctx, clock: { now: () => at } }, { periodsFromMs: fromMs });
}
