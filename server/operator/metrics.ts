import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { DAY_MS, startOfUtcDay } from "../../shared/limits";
import { isPlanId, PLAN_IDS, PLANS } from "../../shared/plans";
import type { Db } from "../db/client";
import { accounts, invoices, notices, outbox, planChanges, quotes, supportRequests, usageDay } from "../db/schema";
import { npsOverTime } from "./satisfaction";

const FUNNEL_DAYS = 14;
const CAP_KINDS = ["reached", "sustained", "enforcement_scheduled"];

/**
 * The product's success measures over [fromMs, toMs): calls per day, revenue, the notified →
 * wizard → upgraded-or-reduced funnel, downgrades, billing errors, notices, throttled calls,
 * support response times and satisfaction.
 */
export function lifecycleMetrics(db: Db, input: { fromMs: number; toMs: number; nowMs: number }) {
  const fromDay = startOfUtcDay(input.fromMs);
  const { toMs } = input;
  const allAccounts = db.select().from(accounts).all();
  const planOf = new Map(allAccounts.map((a) => [a.id, isPlanId(a.planId) ? a.planId : "free"]));

  // Calls per day (served, and refused for a cap).
  const daily = db
    .select({
      dayMs: usageDay.dayMs,
      served: sql<number>`sum(${usageDay.allowed} + ${usageDay.wouldThrottle})`,
      wouldThrottle: sql<number>`sum(${usageDay.wouldThrottle})`,
      throttled: sql<number>`sum(${usageDay.throttled})`,
    })
    .from(usageDay)
    .where(and(gte(usageDay.dayMs, fromDay), lt(usageDay.dayMs, toMs)))
    .groupBy(usageDay.dayMs)
    .orderBy(usageDay.dayMs)
    .all();

  // MRR now (plans' recurring prices, grandfathered accounts at zero) and revenue invoiced in the range.
  const mrrByPlan = Object.fromEntries(PLAN_IDS.map((id) => [id, 0])) as Record<string, number>;
  for (const a of allAccounts) {
    const plan = PLANS[planOf.get(a.id)!];
    const grandfathered = a.grandfatheredUntilMs !== null && input.nowMs < a.grandfatheredUntilMs;
    mrrByPlan[plan.id]! += grandfathered ? 0 : plan.priceMinor;
  }
  const revenueByPlan = Object.fromEntries(PLAN_IDS.map((id) => [id, 0])) as Record<string, number>;
  const invoiceRows = db.select().from(invoices).where(and(gte(invoices.createdAtMs, input.fromMs), lt(invoices.createdAtMs, toMs))).all();
  for (const i of invoiceRows) if (i.status !== "void") revenueByPlan[planOf.get(i.accountId) ?? "free"]! += i.totalMinor;

  // Funnel: accounts first told about a cap in the range → opened the wizard (a quote) → upgraded,
  // or reduced their traffic under the cap, within 14 days.
  const firstNotice = new Map<string, number>();
  for (const n of db.select().from(notices).where(and(inArray(notices.kind, CAP_KINDS), gte(notices.createdAtMs, input.fromMs), lt(notices.createdAtMs, toMs))).all()) {
    firstNotice.set(n.accountId, Math.min(firstNotice.get(n.accountId) ?? Infinity, n.createdAtMs));
  }
  const notifiedIds = [...firstNotice.keys()];
  let opened = 0;
  let upgraded = 0;
  let reduced = 0;
  const quoteRows = notifiedIds.length ? db.select().from(quotes).where(inArray(quotes.accountId, notifiedIds)).all() : [];
  const changeRows = notifiedIds.length ? db.select().from(planChanges).where(and(inArray(planChanges.accountId, notifiedIds), eq(planChanges.status, "applied"))).all() : [];
  for (const [accountId, at] of firstNotice) {
    const within = (t: number) => t >= at && t < at + FUNNEL_DAYS * DAY_MS;
    if (quoteRows.some((q) => q.accountId === accountId && within(q.createdAtMs))) opened++;
    const up = changeRows.some((c) => c.accountId === accountId && within(c.createdAtMs) && PLANS[isPlanId(c.toPlanId) ? c.toPlanId : "free"].priceMinor > PLANS[isPlanId(c.fromPlanId) ? c.fromPlanId : "free"].priceMinor);
    if (up) upgraded++;
    else {
      // Reduced: the last three days of the 14 (when they have passed) had no call over a cap.
      const end = startOfUtcDay(at) + FUNNEL_DAYS * DAY_MS;
      if (end <= input.nowMs) {
        const over = db
          .select({ n: sql<number>`coalesce(sum(${usageDay.wouldThrottle} + ${usageDay.throttled}), 0)` })
          .from(usageDay)
          .where(and(eq(usageDay.accountId, accountId), gte(usageDay.dayMs, end - 3 * DAY_MS), lt(usageDay.dayMs, end)))
          .get()!.n;
        if (over === 0) reduced++;
      }
    }
  }

  const changes = db.select().from(planChanges).where(and(gte(planChanges.createdAtMs, input.fromMs), lt(planChanges.createdAtMs, toMs))).all();
  const price = (id: string) => PLANS[isPlanId(id) ? id : "free"].priceMinor;
  const downgrades = changes.filter((c) => c.kind === "plan_change" && price(c.toPlanId) < price(c.fromPlanId) && c.toPlanId !== "free").length;
  const optOuts = changes.filter((c) => c.kind === "plan_change" && c.toPlanId === "free" && c.fromPlanId !== "free").length;

  const noticesByKind = db
    .select({ kind: notices.kind, n: sql<number>`count(*)` })
    .from(notices)
    .where(and(gte(notices.createdAtMs, input.fromMs), lt(notices.createdAtMs, toMs)))
    .groupBy(notices.kind)
    .all();
  const deliveries = db
    .select({ status: outbox.status, n: sql<number>`count(*)` })
    .from(outbox)
    .where(and(gte(outbox.createdAtMs, input.fromMs), lt(outbox.createdAtMs, toMs)))
    .groupBy(outbox.status)
    .all();

  const support = db.select().from(supportRequests).where(and(gte(supportRequests.createdAtMs, input.fromMs), lt(supportRequests.createdAtMs, toMs))).all();
  const responseMinutes = support.filter((s) => s.repliedAtMs !== null).map((s) => (s.repliedAtMs! - s.createdAtMs) / 60_000).sort((a, b) => a - b);
  const median = responseMinutes.length ? Math.round(responseMinutes[Math.floor(responseMinutes.length / 2)]!) : null;

  const providerCalls = invoiceRows.length;
  return {
    range: { fromMs: input.fromMs, toMs },
    callsPerDay: daily,
    mrrMinorByPlan: mrrByPlan,
    mrrMinor: Object.values(mrrByPlan).reduce((s, v) => s + v, 0),
    revenueMinorByPlan: revenueByPlan,
    revenueMinor: Object.values(revenueByPlan).reduce((s, v) => s + v, 0),
    currency: "USD",
    funnel: { notified: notifiedIds.length, openedWizard: opened, upgraded, reducedTraffic: reduced, upgradeRate: notifiedIds.length ? upgraded / notifiedIds.length : null },
    downgrades,
    optOuts,
    // The local provider issues invoices itself and cannot fail a charge; the Stripe provider records its failures here.
    billingErrors: { failed: 0, total: providerCalls, rate: providerCalls ? 0 : null },
    noticesByKind: Object.fromEntries(noticesByKind.map((r) => [r.kind, r.n])),
    deliveries: Object.fromEntries(deliveries.map((r) => [r.status, r.n])),
    throttledCalls: daily.reduce((s, d) => s + d.throttled, 0),
    wouldThrottleCalls: daily.reduce((s, d) => s + d.wouldThrottle, 0),
    support: { requests: support.length, answered: responseMinutes.length, medianResponseMinutes: median, overdue: support.filter((s) => (s.repliedAtMs ?? input.nowMs) - s.createdAtMs > 4 * 3_600_000).length },
    satisfaction: npsOverTime(db, input.fromMs, toMs),
  };
}
