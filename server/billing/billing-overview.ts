import type { Catalog } from "../../shared/catalog";
import { billingPeriodAt } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { callsOnDays, planChangesWithConsents } from "../db/queries/billing";
import { recentInvoicesWithLines } from "../db/queries/invoices";
import { accountRowById } from "../db/queries/accounts";
import type { Store } from "../db/queries/store";
import { meterColumnOf } from "../db/queries/usage";
import { DomainError } from "../lib/domain-error";
import type { LineDraft } from "./billing-provider";
import { usageCostMinor } from "./quote";

/** Everything the billing page shows, for one account. */
export async function billingOverview(db: Store, catalog: Catalog, accountId: string, nowMs: number) {
  const account = await accountRowById(db, accountId);
  if (!account) throw new DomainError("NOT_FOUND", `No account ${accountId}.`);
  const plan = catalog.plan(account.planId);
  const period = billingPeriodAt(account.billingAnchorMs, nowMs);
  const grandfathered = account.grandfatheredUntilMs !== null && nowMs < account.grandfatheredUntilMs;

  const changes = await planChangesWithConsents(db, accountId);
  const invoiceRows = await recentInvoicesWithLines(db, accountId, 50);

  // The next invoice: the plan for the next period, and the usage of this period so far.
  // The plan's usage prices are the default meter's (its first); other meters are not billed yet.
  const callsSoFar = await callsOnDays(db, accountId, period.startMs, period.endMs, meterColumnOf(catalog));
  const scheduled = changes.find((c) => c.status === "scheduled" && c.kind === "plan_change");
  const nextPlan = scheduled ? catalog.plan(scheduled.toPlanId) : plan;
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
      lines: i.lines.map((l) => ({ kind: l.kind, description: l.description, quantity: l.quantity, amountMinor: l.amountMinor })),
    })),
  };
}
