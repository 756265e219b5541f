import { and, desc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { billingPeriodAt } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { isPlanId, PLANS } from "../../shared/plans";
import type { Db } from "../db/client";
import { accounts, approvalRequests, consents, invoiceLines, invoices, planChanges, quotes, usageDay } from "../db/schema";
import { DomainError } from "../lib/domain-error";
import type { LineDraft } from "./billing-provider";
import { usageCostMinor } from "./quote";

/** Everything the billing page shows, for one account. */
export function billingOverview(db: Db, accountId: string, nowMs: number) {
  const account = db.select().from(accounts).where(eq(accounts.id, accountId)).get();
  if (!account) throw new DomainError("NOT_FOUND", `No account ${accountId}.`);
  const plan = PLANS[isPlanId(account.planId) ? account.planId : "free"];
  const period = billingPeriodAt(account.billingAnchorMs, nowMs);
  const grandfathered = account.grandfatheredUntilMs !== null && nowMs < account.grandfatheredUntilMs;

  const changes = db
    .select()
    .from(planChanges)
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .innerJoin(consents, eq(consents.id, planChanges.consentId))
    .leftJoin(approvalRequests, eq(approvalRequests.planChangeId, planChanges.id))
    .where(eq(planChanges.accountId, accountId))
    .orderBy(desc(planChanges.createdAtMs))
    .all()
    .map((r) => ({
      id: r.plan_changes.id,
      kind: r.plan_changes.kind,
      status: r.plan_changes.status,
      fromPlanId: r.plan_changes.fromPlanId,
      toPlanId: r.plan_changes.toPlanId,
      effectiveAtMs: r.plan_changes.effectiveAtMs,
      createdAtMs: r.plan_changes.createdAtMs,
      approval: r.approval_requests ? { status: r.approval_requests.status, reason: r.approval_requests.reason } : null,
      consent: {
        id: r.consents.id,
        text: r.consents.textShown,
        signedInAs: r.consents.signedInAs,
        atMs: r.consents.createdAtMs,
        ip: r.consents.ip,
        amountDueNowMinor: r.consents.amountDueNowMinor,
        recurringMinor: r.consents.recurringMinor,
        currency: r.consents.currency,
      },
    }));

  const invoiceRows = db.select().from(invoices).where(eq(invoices.accountId, accountId)).orderBy(desc(invoices.createdAtMs)).limit(50).all();
  const lines = invoiceRows.length
    ? db.select().from(invoiceLines).where(inArray(invoiceLines.invoiceId, invoiceRows.map((i) => i.id))).all()
    : [];

  // The next invoice: the plan for the next period, and the usage of this period so far.
  const callsSoFar = db
    .select({ n: sql<number>`coalesce(sum(${usageDay.allowed} + ${usageDay.wouldThrottle}), 0)` })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), gte(usageDay.dayMs, period.startMs), lt(usageDay.dayMs, period.endMs)))
    .get()!.n;
  const scheduled = changes.find((c) => c.status === "scheduled" && c.kind === "plan_change");
  const nextPlan = scheduled && isPlanId(scheduled.toPlanId) ? PLANS[scheduled.toPlanId] : plan;
  const nextGrandfathered = account.grandfatheredUntilMs !== null && period.endMs < account.grandfatheredUntilMs;
  const next = billingPeriodAt(account.billingAnchorMs, period.endMs);
  const estimate: LineDraft[] = [];
  if (nextPlan.priceMinor > 0) {
    estimate.push({ kind: "plan", description: `${nextPlan.name} plan, ${formatDateUtc(next.startMs)} – ${formatDateUtc(next.endMs - 1)}${nextGrandfathered ? " (kept free)" : ""}`, quantity: 1, amountMinor: nextGrandfathered ? 0 : nextPlan.priceMinor });
  }
  const usage = usageCostMinor(plan, callsSoFar, account.overageOptIn);
  if (usage > 0) {
    estimate.push({
      kind: plan.metered ? "metered" : "overage",
      description: `${plan.metered ? "Metered calls" : "Calls over the quota"} so far this period (${callsSoFar.toLocaleString("en-US")} calls, at ${formatMoney(plan.overagePer1000Minor!, account.currency)} per 1,000)`,
      quantity: callsSoFar,
      amountMinor: usage,
    });
  }

  return {
    account: { id: account.id, name: account.name, email: account.email, currency: account.currency },
    plan: { id: plan.id, name: plan.name, priceMinor: plan.priceMinor, currency: plan.currency, overagePer1000Minor: plan.overagePer1000Minor ?? null, monthCap: plan.caps.month ?? null, metered: plan.metered },
    period,
    grandfatheredUntilMs: grandfathered ? account.grandfatheredUntilMs : null,
    overage: { available: plan.overagePer1000Minor !== undefined && !plan.metered && plan.caps.month !== undefined, optedIn: account.overageOptIn },
    changes,
    nextInvoice: { dateMs: period.endMs, lines: estimate, totalMinor: estimate.reduce((s, l) => s + l.amountMinor, 0), currency: account.currency },
    invoices: invoiceRows.map((i) => ({
      id: i.id,
      number: i.number,
      kind: i.kind,
      status: i.status,
      createdAtMs: i.createdAtMs,
      periodStartMs: i.periodStartMs,
      periodEndMs: i.periodEndMs,
      totalMinor: i.totalMinor,
      currency: i.currency,
      lines: lines.filter((l) => l.invoiceId === i.id).map((l) => ({ kind: l.kind, description: l.description, quantity: l.quantity, amountMinor: l.amountMinor })),
    })),
  };
}
