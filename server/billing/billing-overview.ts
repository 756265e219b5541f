import type { Catalog } from "../../shared/catalog";
import { INTERVAL_WORDS, intervalsOf, quotaWindow, termsOnInterval } from "../../shared/billing-interval";
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
  const plan = catalog.planOf(account);
  const interval = account.billingInterval;
  const period = billingPeriodAt(account.billingAnchorMs, nowMs, interval);
  // The window the month caps are counted in (the month, or the year for a yearly quota): usage is billed when it ends.
  const window = billingPeriodAt(account.billingAnchorMs, nowMs, quotaWindow(plan, interval));
  const grandfathered = account.grandfatheredUntilMs !== null && nowMs < account.grandfatheredUntilMs;

  const changes = await planChangesWithConsents(db, accountId);
  const invoiceRows = await recentInvoicesWithLines(db, accountId, 50);

  // The next invoice: at the end of the quota window — the plan for the next period when the period
  // ends then too — and the usage of this window so far. The plan's usage prices are the default
  // meter's (its first); other meters are not billed yet.
  const callsSoFar = await callsOnDays(db, accountId, window.startMs, window.endMs, meterColumnOf(catalog));
  const scheduled = changes.find((c) => c.status === "scheduled" && c.kind === "plan_change");
  const nextPlan = scheduled ? catalog.planAt(scheduled.toPlanId, scheduled.toPlanVersion) : plan;
  const nextGrandfathered = account.grandfatheredUntilMs !== null && period.endMs < account.grandfatheredUntilMs;
  const next = billingPeriodAt(account.billingAnchorMs, period.endMs, interval);
  const estimate: LineDraft[] = [];
  const nextPrice = nextPlan.prices[interval] ?? (interval === "year" ? nextPlan.priceMinor * 12 : nextPlan.priceMinor);
  if (window.endMs === period.endMs && nextPrice > 0) {
    const name = nextPlan.prices.year !== undefined ? `${nextPlan.name} plan (${INTERVAL_WORDS[interval].adjective})` : `${nextPlan.name} plan`;
    estimate.push({ kind: "plan", description: `${name}, ${formatDateUtc(next.startMs)} – ${formatDateUtc(next.endMs - 1)}${nextGrandfathered ? " (kept free)" : ""}`, quantity: 1, amountMinor: nextGrandfathered ? 0 : nextPrice });
  }
  const terms = termsOnInterval(plan, interval);
  const usage = usageCostMinor(terms, callsSoFar, account.overageOptIn);
  if (usage > 0) {
    estimate.push({
      kind: plan.metered ? "metered" : "overage",
      description: `${plan.metered ? "Metered calls" : "Calls over the quota"} so far this ${quotaWindow(plan, interval) === "year" ? "billing year" : "period"} (${callsSoFar.toLocaleString("en-US")} calls, at ${formatMoney(plan.overagePer1000Minor!, account.currency)} per 1,000)`,
      quantity: callsSoFar,
      amountMinor: usage,
    });
  }

  return {
    account: { id: account.id, name: account.name, email: account.email, currency: account.currency },
    plan: {
      id: plan.id,
      name: plan.name,
      priceMinor: plan.priceMinor,
      currency: plan.currency,
      overagePer1000Minor: plan.overagePer1000Minor ?? null,
      monthCap: terms.caps.month ?? null,
      metered: plan.metered,
      /** What the account pays per billing interval, and whether its month cap spans the year. */
      intervalPriceMinor: plan.prices[interval] ?? (interval === "year" ? plan.priceMinor * 12 : plan.priceMinor),
      quotaWindow: quotaWindow(plan, interval),
      /** The intervals the plan is sold in (both: the Plans page offers the other one). */
      intervals: intervalsOf(plan),
    },
    interval,
    period,
    grandfatheredUntilMs: grandfathered ? account.grandfatheredUntilMs : null,
    overage: { available: plan.overagePer1000Minor !== undefined && !plan.metered && plan.caps.month !== undefined, optedIn: account.overageOptIn },
    changes,
    nextInvoice: { dateMs: window.endMs, lines: estimate, totalMinor: estimate.reduce((s, l) => s + l.amountMinor, 0), currency: account.currency },
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
