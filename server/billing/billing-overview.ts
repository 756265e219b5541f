import type { Catalog } from "../../shared/catalog";
import { INTERVAL_WORDS, intervalsOf, quotaWindow, termsOnInterval } from "../../shared/billing-interval";
import { billingPeriodAt } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { billedMeters, meterUsageMinor } from "../../shared/meter-billing";
import { callsOnDays, planChangesWithConsents } from "../db/queries/billing";
import { recentInvoicesWithLines } from "../db/queries/invoices";
import { accountRowById } from "../db/queries/accounts";
import type { Store } from "../db/queries/store";
import { meterColumnOf } from "../db/queries/usage";
import { DomainError } from "../lib/domain-error";
import type { LineDraft } from "./billing-provider";

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
  // ends then too — and the usage of this window so far, of every meter the plan bills.
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
  const soFar = `so far this ${quotaWindow(plan, interval) === "year" ? "billing year" : "period"}`;
  const billed = billedMeters(catalog, terms);
  for (const meter of billed) {
    const units = await callsOnDays(db, accountId, window.startMs, window.endMs, meterColumnOf(catalog, meter.id));
    const usage = meterUsageMinor(meter.terms, units, account.overageOptIn);
    if (usage <= 0) continue;
    const price = formatMoney(meter.terms.overagePer1000Minor, account.currency);
    // "Metered calls …", "Calls over the quota …" with a single meter; each meter's unit with several.
    const over = `${meter.noun} over the quota`;
    const what = meter.billing === "metered" ? `Metered ${meter.noun}` : over.charAt(0).toUpperCase() + over.slice(1);
    estimate.push({
      kind: meter.billing,
      description: `${what} ${soFar} (${units.toLocaleString("en-US")} ${meter.noun}, at ${price} per 1,000)`,
      quantity: units,
      amountMinor: usage,
    });
  }
  const usageTerms = billed.map((m) => ({ id: m.id, noun: m.noun, billing: m.billing, per1000Minor: m.terms.overagePer1000Minor, monthCap: m.terms.caps.month ?? null }));

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
      /**
       * Every meter the plan bills, in the catalog's order: its words ("calls" with a single meter, else
       * its unit), metered or overage, its price per 1,000 and its month cap as the account has it.
       */
      usage: usageTerms,
      /** What the account pays per billing interval, and whether its month cap spans the year. */
      intervalPriceMinor: plan.prices[interval] ?? (interval === "year" ? plan.priceMinor * 12 : plan.priceMinor),
      quotaWindow: quotaWindow(plan, interval),
      /** The intervals the plan is sold in (both: the Plans page offers the other one). */
      intervals: intervalsOf(plan),
    },
    interval,
    period,
    grandfatheredUntilMs: grandfathered ? account.grandfatheredUntilMs : null,
    /** The overage opt-in: one for the account, lifting the month cap of every meter the plan bills overage on (`meters`). */
    overage: { available: usageTerms.some((m) => m.billing === "overage"), optedIn: account.overageOptIn, meters: usageTerms.filter((m) => m.billing === "overage") },
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
