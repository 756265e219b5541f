import { billingErrorRate, churn, CHURN_SILENT_DAYS, FUNNEL_DAYS, revenueByAccount, supportResponse, upgradeRate } from "../../shared/experiment/metrics";
import { DAY_MS, startOfUtcDay } from "../../shared/limits";
import type { Catalog } from "../../shared/catalog";
import {
  allAccountTerms,
  appliedPlanChangesOf,
  callsOverCaps,
  callsPerDay,
  deliveryCountsByStatus,
  invoicesCreatedBetween,
  noticeCountsByKind,
  noticesOfKindsBetween,
  planChangesCreatedBetween,
  quoteTimesOf,
  refundedInvoiceIds,
} from "../db/queries/operator";
import { servedPerAccountDay } from "../db/queries/experiments";
import type { Store } from "../db/queries/store";
import { supportRequestsBetween } from "../db/queries/support";
import { npsOverTime } from "./satisfaction";

export const CAP_KINDS = ["reached", "sustained", "enforcement_scheduled"];

/**
 * The product's success measures over [fromMs, toMs): calls per day, revenue, the notified →
 * wizard → upgraded-or-reduced funnel, downgrades, billing errors, notices, throttled calls,
 * support response times and satisfaction.
 */
export async function lifecycleMetrics(db: Store, catalog: Catalog, input: { fromMs: number; toMs: number; nowMs: number }) {
  const fromDay = startOfUtcDay(input.fromMs);
  const { toMs } = input;
  const allAccounts = await allAccountTerms(db);
  const planOf = new Map(allAccounts.map((a) => [a.id, a.planId]));
  // A plan the catalog no longer holds (old changes) counts at no price.
  const price = (id: string) => catalog.find(id)?.priceMinor ?? 0;

  // Calls per day (served, and refused for a cap).
  const daily = await callsPerDay(db, fromDay, toMs);

  // MRR now (plans' recurring prices, grandfathered accounts at zero) and revenue invoiced in the range.
  const mrrByPlan: Record<string, number> = Object.fromEntries(catalog.plans.map((p) => [p.id, 0]));
  for (const a of allAccounts) {
    const grandfathered = a.grandfatheredUntilMs !== null && input.nowMs < a.grandfatheredUntilMs;
    mrrByPlan[a.planId] = (mrrByPlan[a.planId] ?? 0) + (grandfathered ? 0 : price(a.planId));
  }
  const revenueByPlan: Record<string, number> = Object.fromEntries(catalog.plans.map((p) => [p.id, 0]));
  const invoiceRows = await invoicesCreatedBetween(db, input.fromMs, toMs);
  for (const [accountId, amount] of revenueByAccount(invoiceRows)) {
    const planId = planOf.get(accountId);
    if (planId !== undefined) revenueByPlan[planId] = (revenueByPlan[planId] ?? 0) + amount;
  }

  // Funnel: accounts first told about a cap in the range → opened the wizard (a quote) → upgraded
  // (the shared definition of the upgrade rate), or reduced their traffic under the cap, within 14 days.
  const capNotices = (await noticesOfKindsBetween(db, CAP_KINDS, input.fromMs, toMs)).map((n) => ({ accountId: n.accountId, atMs: n.createdAtMs }));
  const notifiedIds = [...new Set(capNotices.map((n) => n.accountId))];
  const changeRows = await appliedPlanChangesOf(db, notifiedIds);
  const upgrades = changeRows.filter((c) => price(c.toPlanId) > price(c.fromPlanId)).map((c) => ({ accountId: c.accountId, atMs: c.createdAtMs }));
  const upgrade = upgradeRate(capNotices, upgrades);
  let opened = 0;
  let reduced = 0;
  const quoteRows = await quoteTimesOf(db, notifiedIds);
  for (const [accountId, at] of upgrade.firstNotice) {
    const within = (t: number) => t >= at && t < at + FUNNEL_DAYS * DAY_MS;
    if (quoteRows.some((q) => q.accountId === accountId && within(q.createdAtMs))) opened++;
    const up = upgrades.some((u) => u.accountId === accountId && within(u.atMs));
    if (!up) {
      // Reduced: the last three days of the 14 (when they have passed) had no call over a cap.
      const end = startOfUtcDay(at) + FUNNEL_DAYS * DAY_MS;
      if (end <= input.nowMs) {
        const over = await callsOverCaps(db, accountId, end - 3 * DAY_MS, end);
        if (over === 0) reduced++;
      }
    }
  }

  const changes = await planChangesCreatedBetween(db, input.fromMs, toMs);
  // A downgrade moves to a cheaper paid plan; an opt-out leaves paying for a plan at no price.
  const downgrades = changes.filter((c) => c.kind === "plan_change" && price(c.toPlanId) < price(c.fromPlanId) && price(c.toPlanId) > 0).length;
  const optOuts = changes.filter((c) => c.kind === "plan_change" && price(c.toPlanId) === 0 && price(c.fromPlanId) > 0).length;

  // Churn over the range, by the scorecard's definition: of the accounts with a call in the 14 days
  // before it, those that left a paid plan for a free one or went 14 whole days without a call.
  const served = await servedPerAccountDay(db, allAccounts.map((a) => a.id), fromDay - CHURN_SILENT_DAYS * DAY_MS, toMs);
  const callDays = new Map<string, number[]>();
  for (const d of served) {
    if (d.served <= 0) continue;
    const days = callDays.get(d.accountId);
    if (days) days.push(d.dayMs);
    else callDays.set(d.accountId, [d.dayMs]);
  }
  const activeAtStart = [...callDays].filter(([, days]) => days.some((d) => d < fromDay)).map(([id]) => id);
  const cancelled = changes.filter((c) => c.kind === "plan_change" && c.status === "applied" && price(c.fromPlanId) > 0 && price(c.toPlanId) === 0).map((c) => ({ accountId: c.accountId, atMs: c.createdAtMs }));
  const churned = churn({ activeAtStart, startMs: input.fromMs, asOfMs: Math.min(toMs, input.nowMs), cancelled, callDays });

  const noticesByKind = await noticeCountsByKind(db, input.fromMs, toMs);
  const deliveries = await deliveryCountsByStatus(db, input.fromMs, toMs);

  const support = supportResponse(await supportRequestsBetween(db, input.fromMs, toMs), input.nowMs);
  const refunded = new Set(await refundedInvoiceIds(db, invoiceRows));
  const errors = billingErrorRate(invoiceRows.filter((i) => i.kind !== "credit_note" && i.totalMinor > 0).map((i) => ({ status: i.status, refunded: refunded.has(i.id) })));

  return {
    range: { fromMs: input.fromMs, toMs },
    callsPerDay: daily,
    mrrMinorByPlan: mrrByPlan,
    mrrMinor: Object.values(mrrByPlan).reduce((s, v) => s + v, 0),
    revenueMinorByPlan: revenueByPlan,
    revenueMinor: Object.values(revenueByPlan).reduce((s, v) => s + v, 0),
    currency: "USD",
    funnel: { notified: upgrade.notified, openedWizard: opened, upgraded: upgrade.upgraded, reducedTraffic: reduced, upgradeRate: upgrade.rate },
    downgrades,
    optOuts,
    churn: { churned: churned.churned, active: churned.active, rate: churned.rate },
    // Failed (left open) or corrected (voided or refunded) charges, as the experiment scorecard counts them.
    billingErrors: { failed: errors.errors, total: errors.charges, rate: errors.rate },
    noticesByKind: Object.fromEntries(noticesByKind.map((r) => [r.kind, r.n])),
    deliveries: Object.fromEntries(deliveries.map((r) => [r.status, r.n])),
    throttledCalls: daily.reduce((s, d) => s + d.throttled, 0),
    wouldThrottleCalls: daily.reduce((s, d) => s + d.wouldThrottle, 0),
    support,
    satisfaction: await npsOverTime(db, input.fromMs, toMs),
  };
}
