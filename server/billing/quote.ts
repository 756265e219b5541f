import { addUtcMonths, billingPeriodAt } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { prorate } from "../../shared/proration";
import type { Catalog } from "../../shared/catalog";
import type { Plan } from "../../shared/plans";
import { billsOverage, defaultMeterUsageMinor, usageCharge, type PlanVerdict } from "../../shared/recommend";
import { insertQuote, recentQuotes as recentQuoteRows, type NewQuote } from "../db/queries/billing";
import { accountRowById } from "../db/queries/accounts";
import { type AccountRow, type QuoteRow } from "../db/queries/plan-changes";
import type { Store } from "../db/queries/store";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";
import type { BillingContext } from "./billing-context";
import type { LineDraft } from "./billing-provider";
import { accountFingerprint, catalogFingerprint } from "./terms";

export const QUOTE_TTL_MS = 15 * 60_000;

export type { QuoteRow };

/** What the usage part of a month costs on a plan (metered: every call; overage: beyond the quota, only if opted in). */
export function usageCostMinor(plan: Plan, calls: number, overageOptIn: boolean): number {
  if (!plan.metered && !overageOptIn) return 0;
  return usageCharge(plan, calls).usageMinor;
}

/** What the quotes need: the database, the clock, and the one recommendation's estimate for a plan. */
export type QuoteContext = Pick<BillingContext, "db" | "catalog" | "clock" | "advisor">;

/** The Plans page's verdict for one plan on this account's traffic: the same estimate, the same cost. */
async function verdictFor(ctx: QuoteContext, accountId: string, planId: string): Promise<PlanVerdict | undefined> {
  return (await ctx.advisor.compare(accountId))?.verdicts.find((v) => v.planId === planId);
}

async function loadAccount(db: Store, accountId: string): Promise<AccountRow> {
  const row = await accountRowById(db, accountId);
  if (!row) throw new DomainError("NOT_FOUND", `No account ${accountId}.`);
  return row;
}

function planOf(catalog: Catalog, row: AccountRow): Plan {
  return catalog.plan(row.planId);
}

const money = (minor: number, currency: string) => formatMoney(minor, currency);

/** A priced plan change before it is stored: the values of a quote row, and the plans behind its words. */
export interface PlanChangeDraft {
  row: AccountRow;
  from: Plan;
  to: Plan;
  grandfathered: boolean;
  /** The traffic would pass the new plan's quota and the account has not opted into overage: the opt-in is offered with the change. */
  offerOverage: boolean;
  values: Omit<NewQuote, "id" | "consentText" | "linesJson">;
  lines: LineDraft[];
}

/**
 * Prices a plan change for the account and stores it as a quote valid for 15 minutes. Upgrades
 * apply now with Stripe's proration to the second; downgrades (and leaving for Free) take effect
 * at the end of the period, nothing charged now. Free → paid charges the full price now and starts
 * a new billing period today, as Stripe does.
 */
export async function previewPlanChange(ctx: QuoteContext, input: { accountId: string; toPlanId: string }): Promise<QuoteRow> {
  return storeQuote(ctx.db, await draftPlanChange(ctx, input));
}

/**
 * The same preview through the billing provider: with Stripe, a change charged now on an existing
 * subscription is priced by Stripe's invoice preview (its amounts, its proration_date), and the
 * quote keeps exactly what was previewed so the confirmation applies that and nothing else.
 */
export async function previewPlanChangeWithProvider(ctx: Pick<BillingContext, "db" | "catalog" | "clock" | "provider" | "advisor">, input: { accountId: string; toPlanId: string }): Promise<QuoteRow> {
  const draft = await draftPlanChange(ctx, input);
  const remote = ctx.provider.remote;
  if (!remote) return storeQuote(ctx.db, draft);
  const pricing = await remote.priceChange(draft.row, { toPlanId: draft.to.id, timing: draft.values.timing, atMs: draft.values.prorationAtMs });
  if (!pricing) return storeQuote(ctx.db, draft);
  const now = ctx.clock.now();
  return storeQuote(ctx.db, {
    ...draft,
    lines: pricing.lines,
    values: {
      ...draft.values,
      prorationAtMs: pricing.prorationAtMs,
      periodStartMs: pricing.periodStartMs,
      periodEndMs: pricing.periodEndMs,
      creditMinor: pricing.creditMinor,
      chargeMinor: pricing.chargeMinor,
      amountDueNowMinor: pricing.amountDueNowMinor,
      recurringFromMs: pricing.periodEndMs,
      effectiveAtMs: pricing.prorationAtMs,
      pricedBy: "stripe",
      stripeSubscriptionId: pricing.subscriptionId,
      stripeItemsJson: pricing.itemsJson,
      stripeProrationBehavior: pricing.prorationBehavior,
      // The quote's 15 minutes start when Stripe answered.
      createdAtMs: now,
      expiresAtMs: now + QUOTE_TTL_MS,
    },
  });
}

function storeQuote(db: Store, d: PlanChangeDraft): Promise<QuoteRow> {
  const v = d.values;
  const consentText = consentWords({
    from: d.from,
    to: d.to,
    timing: v.timing,
    amountDueNowMinor: v.amountDueNowMinor,
    recurringMinor: v.recurringMinor,
    recurringFromMs: v.recurringFromMs,
    effectiveAtMs: v.effectiveAtMs,
    currency: v.currency,
    grandfatheredUntilMs: d.grandfathered ? d.row.grandfatheredUntilMs : null,
    projectedMonthlyMinor: v.projectedMonthlyMinor,
  });
  const overageConsentText = d.offerOverage ? overageWords(d.to, v.currency, v.expectedOverageMinor ?? 0, "with the change") : null;
  return insertQuote(db, { ...v, id: newId("quo"), consentText, overageConsentText, linesJson: JSON.stringify(d.lines) });
}

/**
 * The overage opt-in in words. Offered on its own (the Billing page) or with a plan change whose
 * traffic would pass the new plan's quota: its own sentence, its own tick.
 */
export function overageWords(plan: Plan, currency: string, expectedMinor: number, context: "alone" | "with the change"): string {
  const price = money(plan.overagePer1000Minor ?? 0, currency);
  const quota = (plan.caps.month ?? 0).toLocaleString("en-US");
  const rate = expectedMinor > 0 ? ` At my current rate that is about ${money(expectedMinor, currency)} a month.` : "";
  return context === "alone"
    ? `I agree to pay ${price} per 1,000 calls beyond ${quota} calls in a billing month, billed with my monthly invoice, instead of having those calls limited.${rate} I can turn this off at any time.`
    : `I also agree to overage billing on the ${plan.name} plan: calls beyond ${quota} in a billing month are served and billed at ${price} per 1,000 with my monthly invoice, instead of being limited.${rate} I can turn this off at any time on the Billing page.`;
}

export async function draftPlanChange(ctx: QuoteContext, input: { accountId: string; toPlanId: string }): Promise<PlanChangeDraft> {
  const { db, clock } = ctx;
  const row = await loadAccount(db, input.accountId);
  const from = planOf(ctx.catalog, row);
  const to = ctx.catalog.find(input.toPlanId);
  if (!to?.public) throw new DomainError("BAD_INPUT", `There is no plan "${input.toPlanId}" to switch to.`);
  if (to.id === from.id) throw new DomainError("BAD_INPUT", `You are already on the ${from.name} plan.`);
  if (to.currency !== row.currency) throw new DomainError("BAD_INPUT", `The ${to.name} plan is priced in ${to.currency}, your account in ${row.currency}.`);

  const now = clock.now();
  // Proration is to the second: the quote is for the second it was made in, and the change applies at that second.
  const atMs = Math.floor(now / 1000) * 1000;
  const period = billingPeriodAt(row.billingAnchorMs, now);
  const grandfathered = row.grandfatheredUntilMs !== null && now < row.grandfatheredUntilMs;
  const currency = row.currency;
  // The Plans page's estimate for the new plan: usage at the customer's rate, metered or beyond the quota.
  const verdict = await verdictFor(ctx, row.id, to.id);
  // Its default meter's part: the usage invoices bill (other meters' prices are in the estimate, not billed yet).
  const usageMinor = verdict ? defaultMeterUsageMinor(verdict) : 0;
  const expectedOverageMinor = billsOverage(to) ? usageMinor : 0;
  const offerOverage = expectedOverageMinor > 0 && !row.overageOptIn;
  // What the billing cap is checked against: the plan, metered usage, and overage the account is already opted into.
  const projectedMonthlyMinor = to.priceMinor + (to.metered ? usageMinor : 0) + (billsOverage(to) && row.overageOptIn ? expectedOverageMinor : 0);
  const lines: LineDraft[] = [];
  let timing: "now" | "period_end";
  let creditMinor = 0;
  let chargeMinor = 0;
  let recurringFromMs: number;
  let effectiveAtMs: number;

  if (to.priceMinor < from.priceMinor && !grandfathered) {
    // A downgrade: the customer keeps what they paid for until the period ends; no refund, no surprise.
    timing = "period_end";
    effectiveAtMs = period.endMs;
    recurringFromMs = period.endMs;
  } else if (from.priceMinor === 0 || grandfathered) {
    // Nothing was paid for this period: the new plan starts a period at the moment of the change, charged in full.
    timing = "now";
    const start = atMs;
    chargeMinor = to.priceMinor;
    effectiveAtMs = atMs;
    recurringFromMs = addUtcMonths(start, 1);
    if (chargeMinor > 0) lines.push({ kind: "plan", description: `${to.name} plan, ${formatDateUtc(start)} – ${formatDateUtc(recurringFromMs - 1)}`, quantity: 1, amountMinor: chargeMinor, periodStartMs: start, periodEndMs: recurringFromMs });
  } else {
    timing = "now";
    const p = prorate({ periodStartMs: period.startMs, periodEndMs: period.endMs, atMs, oldPriceMinor: from.priceMinor, newPriceMinor: to.priceMinor });
    creditMinor = p.creditMinor;
    chargeMinor = p.chargeMinor;
    effectiveAtMs = atMs;
    recurringFromMs = period.endMs;
    const span = `${formatDateUtc(atMs)} – ${formatDateUtc(period.endMs - 1)}`;
    lines.push({ kind: "proration_credit", description: `Unused time on ${from.name} (${span})`, quantity: 1, amountMinor: creditMinor, periodStartMs: atMs, periodEndMs: period.endMs });
    lines.push({ kind: "proration_charge", description: `Remaining time on ${to.name} (${span})`, quantity: 1, amountMinor: chargeMinor, periodStartMs: atMs, periodEndMs: period.endMs });
  }
  // A net credit (to a cheaper plan mid-period) is not paid out: nothing is due now.
  const amountDueNowMinor = Math.max(0, creditMinor + chargeMinor);
  const recurringMinor = to.priceMinor;

  return {
    row,
    from,
    to,
    grandfathered,
    offerOverage,
    lines,
    values: {
      accountId: row.id,
      kind: "plan_change",
      fromPlanId: from.id,
      toPlanId: to.id,
      timing,
      prorationAtMs: atMs,
      periodStartMs: period.startMs,
      periodEndMs: period.endMs,
      creditMinor,
      chargeMinor,
      amountDueNowMinor,
      recurringMinor,
      recurringFromMs,
      effectiveAtMs,
      projectedMonthlyMinor,
      expectedOverageMinor,
      estimatedMonthlyMinor: verdict?.monthlyCostMinor ?? to.priceMinor,
      currency,
      accountFingerprint: accountFingerprint(row),
      catalogFingerprint: catalogFingerprint(ctx.catalog),
      endsGrandfathering: grandfathered,
      createdAtMs: now,
      expiresAtMs: now + QUOTE_TTL_MS,
    },
  };
}

/** The exact words the customer agrees to; stored with the quote and again with the consent. */
export function consentWords(q: {
  from: Plan;
  to: Plan;
  timing: "now" | "period_end";
  amountDueNowMinor: number;
  recurringMinor: number;
  recurringFromMs: number;
  effectiveAtMs: number;
  currency: string;
  grandfatheredUntilMs: number | null;
  projectedMonthlyMinor: number;
}): string {
  const parts: string[] = [];
  if (q.timing === "period_end") {
    parts.push(
      q.to.priceMinor === 0
        ? `I agree to move from the ${q.from.name} plan to the Free plan on ${formatDateUtc(q.effectiveAtMs)}. Nothing is charged now, and nothing after that unless I upgrade again.`
        : `I agree to switch from the ${q.from.name} plan to the ${q.to.name} plan on ${formatDateUtc(q.effectiveAtMs)}, at ${money(q.recurringMinor, q.currency)} every month from then until I cancel. Nothing is charged now.`,
    );
  } else if (q.recurringMinor === 0) {
    parts.push(`I agree to switch to the ${q.to.name} plan now. Nothing is charged.`);
  } else {
    parts.push(
      `I authorise a charge of ${money(q.amountDueNowMinor, q.currency)} now and ${money(q.recurringMinor, q.currency)} every month from ${formatDateUtc(q.recurringFromMs)} until I cancel, for the ${q.to.name} plan.`,
    );
  }
  if (q.to.metered && q.to.overagePer1000Minor !== undefined) {
    parts.push(`Every call is also billed at ${money(q.to.overagePer1000Minor, q.currency)} per 1,000 calls (about ${money(q.projectedMonthlyMinor - q.recurringMinor, q.currency)} a month at my current rate).`);
  }
  if (q.grandfatheredUntilMs !== null) parts.push(`This ends the terms I keep until ${formatDateUtc(q.grandfatheredUntilMs)}.`);
  return parts.join(" ");
}

/** The account's most recent quotes (for the console and tests). */
export async function recentQuotes(db: Store, accountId: string, limit = 20): Promise<QuoteRow[]> {
  return recentQuoteRows(db, accountId, limit);
}

/**
 * Prices opting into (or out of) overage billing: calls beyond the monthly quota served and billed
 * per 1,000 instead of limited. A consent like a plan change, with its own words.
 */
export async function previewOverageChange(ctx: QuoteContext, input: { accountId: string; optIn: boolean }): Promise<QuoteRow> {
  const { db, clock } = ctx;
  const row = await loadAccount(db, input.accountId);
  const plan = planOf(ctx.catalog, row);
  if (plan.overagePer1000Minor === undefined || plan.metered || plan.caps.month === undefined) {
    throw new DomainError("BAD_INPUT", `The ${plan.name} plan has no overage option.`);
  }
  if (row.overageOptIn === input.optIn) throw new DomainError("BAD_INPUT", input.optIn ? "Overage billing is already on." : "Overage billing is already off.");
  const now = clock.now();
  const period = billingPeriodAt(row.billingAnchorMs, now);
  // The Plans page's estimate for the current plan: its month at this rate.
  const expectedOverageMinor = (await verdictFor(ctx, row.id, plan.id))?.usageMinor ?? 0;
  const projectedMonthlyMinor = plan.priceMinor + (input.optIn ? expectedOverageMinor : 0);
  const quota = plan.caps.month.toLocaleString("en-US");
  const consentText = input.optIn ? overageWords(plan, row.currency, expectedOverageMinor, "alone") : `I agree that calls beyond ${quota} in a billing month are limited again from now on, and no longer billed.`;
  return insertQuote(db, {
    id: newId("quo"),
    accountId: row.id,
    kind: input.optIn ? "overage_opt_in" : "overage_opt_out",
    fromPlanId: plan.id,
    toPlanId: plan.id,
    timing: "now",
    prorationAtMs: now,
    periodStartMs: period.startMs,
    periodEndMs: period.endMs,
    creditMinor: 0,
    chargeMinor: 0,
    amountDueNowMinor: 0,
    recurringMinor: plan.priceMinor,
    recurringFromMs: period.endMs,
    effectiveAtMs: now,
    projectedMonthlyMinor,
    expectedOverageMinor: input.optIn ? expectedOverageMinor : 0,
    estimatedMonthlyMinor: plan.priceMinor + expectedOverageMinor,
    currency: row.currency,
    consentText,
    linesJson: "[]",
    accountFingerprint: accountFingerprint(row),
    catalogFingerprint: catalogFingerprint(ctx.catalog),
    endsGrandfathering: false,
    createdAtMs: now,
    expiresAtMs: now + QUOTE_TTL_MS,
  });
}
