import { addInterval, INTERVAL_WORDS, intervalFor, monthlyEquivalentMinor, quotaWindow, termsOnInterval } from "../../shared/billing-interval";
import { billingPeriodAt } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { prorate } from "../../shared/proration";
import { isProrationMode, prorationModeWords } from "../../shared/proration-modes";
import type { Catalog } from "../../shared/catalog";
import type { BillingInterval, Plan } from "../../shared/plans";
import { type PlanVerdict } from "../../shared/recommend";
import { billedMeters, billsOverageOnAnyMeter, usageSplit, type BilledMeter } from "../../shared/meter-billing";
import { insertQuote, quoteConsented, quoteOfAccount, recentQuotes as recentQuoteRows, reusableQuote, type NewQuote } from "../db/queries/billing";
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

/** What the quotes need: the database, the clock, and the one recommendation's estimate for a plan. */
export type QuoteContext = Pick<BillingContext, "db" | "catalog" | "clock" | "advisor">;

/** The Plans page's verdict for one plan (at its version) on this account's traffic: the same estimate, the same cost. */
async function verdictFor(ctx: QuoteContext, accountId: string, plan: Plan): Promise<PlanVerdict | undefined> {
  return (await ctx.advisor.verdictOn(accountId, plan)) ?? undefined;
}

async function loadAccount(db: Store, accountId: string): Promise<AccountRow> {
  const row = await accountRowById(db, accountId);
  if (!row) throw new DomainError("NOT_FOUND", `No account ${accountId}.`);
  return row;
}

function planOf(catalog: Catalog, row: AccountRow): Plan {
  return catalog.planOf(row);
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
  /** Of the estimate's usage, what metered meters cost a month at the customer's rate (charged whatever the opt-in), minor units. */
  meteredMinor: number;
  values: Omit<NewQuote, "id" | "consentText" | "linesJson">;
  lines: LineDraft[];
}

/**
 * Prices a plan change for the account and stores it as a quote valid for 15 minutes. Upgrades
 * apply now with Stripe's proration to the second; downgrades (and leaving for Free) take effect
 * at the end of the period, nothing charged now. Free → paid charges the full price now and starts
 * a new billing period today, as Stripe does.
 */
export async function previewPlanChange(ctx: QuoteContext, input: PlanChangeRequest): Promise<QuoteRow> {
  const draft = await draftPlanChange(ctx, input);
  return (await sameChangeQuoted(ctx, draft)) ?? storeQuote(ctx.db, ctx.catalog, draft);
}

/**
 * Where a quote the customer was shown stands now (the wizard's URL names it, so a reload finds it):
 * open (it can still be confirmed), consented (it was), expired, or outdated (the account or the
 * catalog changed since, so the confirmation would be refused: preview again).
 */
export type QuoteState = "open" | "consented" | "expired" | "outdated";

export async function customerQuote(ctx: Pick<QuoteContext, "db" | "catalog" | "clock">, accountId: string, quoteId: string): Promise<{ quote: QuoteRow; state: QuoteState }> {
  const quote = await quoteOfAccount(ctx.db, accountId, quoteId);
  if (!quote) throw new DomainError("NOT_FOUND", "There is no such quote.");
  if (await quoteConsented(ctx.db, quote.id)) return { quote, state: "consented" };
  if (quote.expiresAtMs <= ctx.clock.now()) return { quote, state: "expired" };
  const account = await loadAccount(ctx.db, accountId);
  const outdated = accountFingerprint(account) !== quote.accountFingerprint || catalogFingerprint(ctx.catalog) !== quote.catalogFingerprint;
  return { quote, state: outdated ? "outdated" : "open" };
}

/** A quote reused instead of priced again has at least this long left: time to read it and consent. */
export const QUOTE_REUSE_MIN_LEFT_MS = 5 * 60_000;

/**
 * The open quote for the same change from the same account state, if there is one with enough time
 * left: back, forward and reload in the wizard show the quote already shown, and one choice makes
 * one quote, not one per visit.
 */
function sameChangeQuoted(ctx: Pick<QuoteContext, "db" | "clock">, d: PlanChangeDraft): Promise<QuoteRow | undefined> {
  const v = d.values;
  return reusableQuote(ctx.db, {
    accountId: v.accountId,
    kind: v.kind,
    toPlanId: v.toPlanId,
    toPlanVersion: v.toPlanVersion ?? 1,
    toInterval: v.toInterval ?? "month",
    accountFingerprint: v.accountFingerprint,
    catalogFingerprint: v.catalogFingerprint,
    validUntilMs: ctx.clock.now() + QUOTE_REUSE_MIN_LEFT_MS,
  });
}

/**
 * The same preview through the billing provider: with Stripe, a change charged now on an existing
 * subscription is priced by Stripe's invoice preview (its amounts, its proration_date), and the
 * quote keeps exactly what was previewed so the confirmation applies that and nothing else.
 */
export async function previewPlanChangeWithProvider(ctx: Pick<BillingContext, "db" | "catalog" | "clock" | "provider" | "advisor">, input: PlanChangeRequest): Promise<QuoteRow> {
  const draft = await draftPlanChange(ctx, input);
  const again = await sameChangeQuoted(ctx, draft);
  if (again) return again;
  const remote = ctx.provider.remote;
  if (!remote) return storeQuote(ctx.db, ctx.catalog, draft);
  const toInterval = draft.values.toInterval ?? "month";
  const pricing = await remote.priceChange(draft.row, { toPlanId: draft.to.id, toPlanVersion: draft.to.version, toInterval, timing: draft.values.timing, atMs: draft.values.prorationAtMs });
  if (!pricing) return storeQuote(ctx.db, ctx.catalog, draft);
  const now = ctx.clock.now();
  // An interval change starts a new billing period at the change (Stripe resets the billing date): the next charge is an interval after it.
  const intervalChange = toInterval !== (draft.values.fromInterval ?? "month");
  return storeQuote(ctx.db, ctx.catalog, {
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
      recurringFromMs: intervalChange ? addInterval(pricing.prorationAtMs, toInterval) : pricing.periodEndMs,
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

function storeQuote(db: Store, catalog: Catalog, d: PlanChangeDraft): Promise<QuoteRow> {
  const v = d.values;
  const chargeWords = consentWords(catalog, {
    from: d.from,
    to: d.to,
    fromInterval: v.fromInterval ?? "month",
    toInterval: v.toInterval ?? "month",
    creditMinor: v.creditMinor,
    chargeMinor: v.chargeMinor,
    timing: v.timing,
    amountDueNowMinor: v.amountDueNowMinor,
    recurringMinor: v.recurringMinor,
    recurringFromMs: v.recurringFromMs,
    effectiveAtMs: v.effectiveAtMs,
    currency: v.currency,
    grandfatheredUntilMs: d.grandfathered ? d.row.grandfatheredUntilMs : null,
    meteredMinor: d.meteredMinor,
  });
  // Priced by Dodo: the words also say how its proration mode reached the amount charged now.
  const mode = v.stripeProrationBehavior;
  const consentText = isProrationMode(mode) && v.timing === "now" && v.amountDueNowMinor > 0 ? `${chargeWords} ${prorationModeWords(mode, d.from, d.to, formatMoney(v.amountDueNowMinor, v.currency))}` : chargeWords;
  const overageConsentText = d.offerOverage ? overageWords(catalog, d.to, v.currency, v.expectedOverageMinor ?? 0, "with the change", v.toInterval ?? "month") : null;
  return insertQuote(db, { ...v, id: newId("quo"), consentText, overageConsentText, linesJson: JSON.stringify(d.lines) });
}

/** The meters whose overage the account's one opt-in turns on, as the account has them on `interval` (a yearly quota's cap is the year's). */
function overageMeters(catalog: Pick<Catalog, "meters">, plan: Plan, interval: BillingInterval): BilledMeter[] {
  return billedMeters(catalog, termsOnInterval(plan, interval)).filter((m) => m.billing === "overage");
}

const count = (n: number) => n.toLocaleString("en-US");
/** "calls beyond 10,000"; "API calls beyond 10,000 and MCP tool calls beyond 2,000". */
const beyondCaps = (meters: BilledMeter[]) => meters.map((m) => `${m.noun} beyond ${count(m.terms.caps.month ?? 0)}`).join(" and ");

/**
 * The overage opt-in in words. Offered on its own (the Billing page) or with a plan change whose
 * traffic would pass the new plan's quota: its own sentence, its own tick. One opt-in for the
 * account turns overage on for every meter the plan bills it on, so the words name each of them,
 * with its quota and its price (with a single meter, its units are "calls", as always).
 */
export function overageWords(catalog: Pick<Catalog, "meters">, plan: Plan, currency: string, expectedMinor: number, context: "alone" | "with the change", interval: BillingInterval = "month"): string {
  const meters = overageMeters(catalog, plan, interval);
  const price = (m: BilledMeter) => money(m.terms.overagePer1000Minor, currency);
  // On a yearly price with a yearly quota, the quota is the year's allowance, billed when the year ends.
  const yearly = quotaWindow(plan, interval) === "year";
  const window = yearly ? "a billing year" : "a billing month";
  const invoice = yearly ? "my yearly invoice" : "my monthly invoice";
  const rate = expectedMinor > 0 ? ` At my current rate that is about ${money(expectedMinor, currency)} a month.` : "";
  if (context === "alone") {
    const pay = meters.map((m) => `${price(m)} per 1,000 ${m.noun} beyond ${count(m.terms.caps.month ?? 0)} ${m.noun}`).join(" and ");
    const those = catalog.meters.length > 1 ? "them" : "those calls";
    return `I agree to pay ${pay} in ${window}, billed with ${invoice}, instead of having ${those} limited.${rate} I can turn this off at any time.`;
  }
  const [first, ...rest] = meters;
  const served = first ? `${first.noun} beyond ${count(first.terms.caps.month ?? 0)} in ${window} are served and billed at ${price(first)} per 1,000` : "";
  const more = rest.map((m) => `, and ${m.noun} beyond ${count(m.terms.caps.month ?? 0)} in ${window} at ${price(m)} per 1,000`).join("");
  return `I also agree to overage billing on the ${plan.name} plan: ${served}${more}${rest.length > 0 ? "," : ""} with ${invoice}, instead of being limited.${rate} I can turn this off at any time on the Billing page.`;
}

/** A plan change asked for: the plan, and the interval to bill it in (default: the account's own, if the plan is sold in it). */
export interface PlanChangeRequest {
  accountId: string;
  toPlanId: string;
  interval?: BillingInterval;
}

/** What the account pays for its current plan per billing period (a price the catalog no longer sells in that interval: its monthly price, times twelve for a year). */
function currentPriceMinor(plan: Plan, interval: BillingInterval): number {
  return plan.prices[interval] ?? (interval === "year" ? plan.priceMinor * 12 : plan.priceMinor);
}

/**
 * Prices a change of plan and/or billing interval, as Stripe does:
 *   - the same interval: an upgrade applies now, prorated to the second; a downgrade (and leaving for
 *     Free) at the end of the period, nothing charged now;
 *   - from a period nothing was paid for (Free, grandfathered terms): the full new price now, and a
 *     new billing period from this moment;
 *   - another interval (monthly ↔ yearly): charged at once — the unused time of the old price is
 *     credited, the new interval's full price is charged now — and the billing date moves to the
 *     moment of the change. A credit larger than the charge stays on the account's balance and is
 *     taken off its next invoices.
 */
export async function draftPlanChange(ctx: QuoteContext, input: PlanChangeRequest): Promise<PlanChangeDraft> {
  const { db, clock } = ctx;
  const row = await loadAccount(db, input.accountId);
  const current = planOf(ctx.catalog, row);
  const offered = ctx.catalog.find(input.toPlanId);
  // The plan's current terms are offered to an account on an older version of it, like any other plan.
  if (!offered || (!offered.public && offered.id !== current.id)) throw new DomainError("BAD_INPUT", `There is no plan "${input.toPlanId}" to switch to.`);
  const fromInterval = row.billingInterval;
  const toInterval = input.interval ?? intervalFor(offered, fromInterval);
  const toPrice = offered.prices[toInterval];
  if (toPrice === undefined) throw new DomainError("BAD_INPUT", `The ${offered.name} plan is not sold ${INTERVAL_WORDS[toInterval].adjective}.`);
  if (offered.id === current.id && offered.version === current.version && toInterval === fromInterval) throw new DomainError("BAD_INPUT", `You are already on the ${current.name} plan.`);
  // Between two versions of one plan, the words name the versions.
  const newTerms = offered.id === current.id && offered.version !== current.version;
  const from = newTerms ? { ...current, name: `${current.name} v${current.version}` } : current;
  const to = newTerms ? { ...offered, name: `${offered.name} v${offered.version}` } : offered;
  if (to.currency !== row.currency) throw new DomainError("BAD_INPUT", `The ${to.name} plan is priced in ${to.currency}, your account in ${row.currency}.`);

  const now = clock.now();
  // Proration is to the second: the quote is for the second it was made in, and the change applies at that second.
  const atMs = Math.floor(now / 1000) * 1000;
  const period = billingPeriodAt(row.billingAnchorMs, now, fromInterval);
  const grandfathered = row.grandfatheredUntilMs !== null && now < row.grandfatheredUntilMs;
  const currency = row.currency;
  const fromPrice = currentPriceMinor(from, fromInterval);
  const intervalChange = toInterval !== fromInterval;
  // The Plans page's estimate for the new plan: usage at the customer's rate, every meter's, metered
  // or beyond its quota — what the invoices will bill.
  const verdict = await verdictFor(ctx, row.id, offered);
  const usageMinor = verdict?.usageMinor ?? 0;
  const { meteredMinor, overageMinor: expectedOverageMinor } = verdict ? usageSplit(ctx.catalog, to, verdict) : { meteredMinor: 0, overageMinor: 0 };
  const offerOverage = expectedOverageMinor > 0 && !row.overageOptIn;
  // Monthly totals (the billing cap, the estimate) take a yearly price at a twelfth.
  const baseMonthlyMinor = monthlyEquivalentMinor(to, toInterval);
  // What the billing cap is checked against: the plan, metered usage, and overage the account is already opted into.
  const projectedMonthlyMinor = baseMonthlyMinor + meteredMinor + (row.overageOptIn ? expectedOverageMinor : 0);
  const lines: LineDraft[] = [];
  let timing: "now" | "period_end";
  let creditMinor = 0;
  let chargeMinor = 0;
  let recurringFromMs: number;
  let effectiveAtMs: number;
  const intervalName = (plan: Plan, interval: BillingInterval) => (intervalChange || plan.prices.month === undefined || plan.prices.year !== undefined ? `${plan.name} plan (${INTERVAL_WORDS[interval].adjective})` : `${plan.name} plan`);

  if (!intervalChange && toPrice < fromPrice && !grandfathered) {
    // A downgrade: the customer keeps what they paid for until the period ends; no refund, no surprise.
    timing = "period_end";
    effectiveAtMs = period.endMs;
    recurringFromMs = period.endMs;
  } else if (fromPrice === 0 || grandfathered || intervalChange) {
    // Nothing was paid for this period, or the interval changes: the new plan starts a period at the
    // moment of the change, charged in full; what was paid for the rest of the old period is credited.
    timing = "now";
    const start = atMs;
    chargeMinor = toPrice;
    effectiveAtMs = atMs;
    recurringFromMs = addInterval(start, toInterval);
    if (intervalChange && fromPrice > 0 && !grandfathered) {
      creditMinor = prorate({ periodStartMs: period.startMs, periodEndMs: period.endMs, atMs, oldPriceMinor: fromPrice, newPriceMinor: 0 }).creditMinor;
      if (creditMinor !== 0) {
        lines.push({ kind: "proration_credit", description: `Unused time on ${intervalName(from, fromInterval)} (${formatDateUtc(atMs)} – ${formatDateUtc(period.endMs - 1)})`, quantity: 1, amountMinor: creditMinor, periodStartMs: atMs, periodEndMs: period.endMs });
      }
    }
    if (chargeMinor > 0) lines.push({ kind: "plan", description: `${intervalName(to, toInterval)}, ${formatDateUtc(start)} – ${formatDateUtc(recurringFromMs - 1)}`, quantity: 1, amountMinor: chargeMinor, periodStartMs: start, periodEndMs: recurringFromMs });
  } else {
    timing = "now";
    const p = prorate({ periodStartMs: period.startMs, periodEndMs: period.endMs, atMs, oldPriceMinor: fromPrice, newPriceMinor: toPrice });
    creditMinor = p.creditMinor;
    chargeMinor = p.chargeMinor;
    effectiveAtMs = atMs;
    recurringFromMs = period.endMs;
    const span = `${formatDateUtc(atMs)} – ${formatDateUtc(period.endMs - 1)}`;
    lines.push({ kind: "proration_credit", description: `Unused time on ${from.name} (${span})`, quantity: 1, amountMinor: creditMinor, periodStartMs: atMs, periodEndMs: period.endMs });
    lines.push({ kind: "proration_charge", description: `Remaining time on ${to.name} (${span})`, quantity: 1, amountMinor: chargeMinor, periodStartMs: atMs, periodEndMs: period.endMs });
  }
  // A net credit is not paid out: nothing is due now, and the rest stays on the balance for the next invoices.
  const amountDueNowMinor = Math.max(0, creditMinor + chargeMinor);
  const recurringMinor = toPrice;

  return {
    row,
    from,
    to,
    grandfathered,
    offerOverage,
    meteredMinor,
    lines,
    values: {
      accountId: row.id,
      kind: "plan_change",
      fromPlanId: from.id,
      toPlanId: to.id,
      toPlanVersion: to.version,
      fromInterval,
      toInterval,
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
      estimatedMonthlyMinor: baseMonthlyMinor + usageMinor,
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
export function consentWords(catalog: Pick<Catalog, "meters">, q: {
  from: Plan;
  to: Plan;
  fromInterval?: BillingInterval;
  toInterval?: BillingInterval;
  creditMinor?: number;
  chargeMinor?: number;
  timing: "now" | "period_end";
  amountDueNowMinor: number;
  recurringMinor: number;
  recurringFromMs: number;
  effectiveAtMs: number;
  currency: string;
  grandfatheredUntilMs: number | null;
  /** What the new plan's metered meters cost a month at the customer's rate (the words give "about" this). */
  meteredMinor: number;
}): string {
  const parts: string[] = [];
  const toInterval = q.toInterval ?? "month";
  const fromInterval = q.fromInterval ?? "month";
  const every = INTERVAL_WORDS[toInterval].every;
  const intervalChange = toInterval !== fromInterval;
  // Named when the interval changes: "for the Pro plan, billed yearly".
  const billed = intervalChange ? `, billed ${INTERVAL_WORDS[toInterval].adjective}` : "";
  if (q.timing === "period_end") {
    parts.push(
      q.recurringMinor === 0
        ? `I agree to move from the ${q.from.name} plan to the ${q.to.name} plan on ${formatDateUtc(q.effectiveAtMs)}. Nothing is charged now, and nothing after that unless I upgrade again.`
        : `I agree to switch from the ${q.from.name} plan to the ${q.to.name} plan on ${formatDateUtc(q.effectiveAtMs)}, at ${money(q.recurringMinor, q.currency)} ${every} from then until I cancel. Nothing is charged now.`,
    );
  } else if (q.recurringMinor === 0) {
    parts.push(`I agree to switch to the ${q.to.name} plan now. Nothing is charged.`);
  } else if (q.amountDueNowMinor === 0 && intervalChange) {
    parts.push(`I agree to switch to the ${q.to.name} plan now${billed}, at ${money(q.recurringMinor, q.currency)} ${every} from ${formatDateUtc(q.recurringFromMs)} until I cancel.`);
  } else {
    parts.push(
      `I authorise a charge of ${money(q.amountDueNowMinor, q.currency)} now and ${money(q.recurringMinor, q.currency)} ${every} from ${formatDateUtc(q.recurringFromMs)} until I cancel, for the ${q.to.name} plan${billed}.`,
    );
  }
  if (intervalChange && q.timing === "now" && q.recurringMinor > 0) {
    const credit = -(q.creditMinor ?? 0);
    const charge = q.chargeMinor ?? q.recurringMinor;
    let moved = `My billing date moves to ${formatDateUtc(q.effectiveAtMs)}: ${money(charge, q.currency)} for the first ${INTERVAL_WORDS[toInterval].noun} is charged today`;
    if (credit > 0) {
      moved += `, less ${money(credit, q.currency)} for the unused time of my ${INTERVAL_WORDS[fromInterval].adjective} price`;
      if (credit > charge) moved += `, and the remaining ${money(credit - charge, q.currency)} stays as credit on my balance for my next invoices`;
    }
    parts.push(`${moved}.`);
  }
  const metered = billedMeters(catalog, q.to).filter((m) => m.billing === "metered");
  const about = `(about ${money(q.meteredMinor, q.currency)} a month at my current rate)`;
  if (catalog.meters.length <= 1 && metered[0]) {
    parts.push(`Every call is also billed at ${money(metered[0].terms.overagePer1000Minor, q.currency)} per 1,000 calls ${about}.`);
  } else if (metered.length > 0) {
    // Each metered meter by its unit: "All API calls are also billed at $0.50 per 1,000 and all MCP tool calls at $1.00 per 1,000".
    const [first, ...rest] = metered;
    const more = rest.map((m) => ` and all ${m.noun} at ${money(m.terms.overagePer1000Minor, q.currency)} per 1,000`).join("");
    parts.push(`All ${first!.noun} are also billed at ${money(first!.terms.overagePer1000Minor, q.currency)} per 1,000${more} ${about}.`);
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
  if (!billsOverageOnAnyMeter(plan)) throw new DomainError("BAD_INPUT", `The ${plan.name} plan has no overage option.`);
  if (row.overageOptIn === input.optIn) throw new DomainError("BAD_INPUT", input.optIn ? "Overage billing is already on." : "Overage billing is already off.");
  const now = clock.now();
  const interval = row.billingInterval;
  const period = billingPeriodAt(row.billingAnchorMs, now, interval);
  // The Plans page's estimate for the current plan: its month at this rate, every meter's usage.
  const verdict = await verdictFor(ctx, row.id, plan);
  const { meteredMinor, overageMinor: expectedOverageMinor } = verdict ? usageSplit(ctx.catalog, plan, verdict) : { meteredMinor: 0, overageMinor: 0 };
  const baseMonthlyMinor = monthlyEquivalentMinor(plan, interval);
  const projectedMonthlyMinor = baseMonthlyMinor + meteredMinor + (input.optIn ? expectedOverageMinor : 0);
  const window = quotaWindow(plan, interval) === "year" ? "a billing year" : "a billing month";
  const consentText = input.optIn
    ? overageWords(ctx.catalog, plan, row.currency, expectedOverageMinor, "alone", interval)
    : `I agree that ${beyondCaps(overageMeters(ctx.catalog, plan, interval))} in ${window} are limited again from now on, and no longer billed.`;
  return insertQuote(db, {
    id: newId("quo"),
    accountId: row.id,
    kind: input.optIn ? "overage_opt_in" : "overage_opt_out",
    fromPlanId: plan.id,
    toPlanId: plan.id,
    toPlanVersion: plan.version,
    fromInterval: interval,
    toInterval: interval,
    timing: "now",
    prorationAtMs: now,
    periodStartMs: period.startMs,
    periodEndMs: period.endMs,
    creditMinor: 0,
    chargeMinor: 0,
    amountDueNowMinor: 0,
    recurringMinor: currentPriceMinor(plan, interval),
    recurringFromMs: period.endMs,
    effectiveAtMs: now,
    projectedMonthlyMinor,
    expectedOverageMinor: input.optIn ? expectedOverageMinor : 0,
    estimatedMonthlyMinor: baseMonthlyMinor + (verdict?.usageMinor ?? 0),
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
