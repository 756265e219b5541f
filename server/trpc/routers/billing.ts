import { z } from "zod";
import type { Catalog } from "../../../shared/catalog";
import { quotaWindow, termsOnInterval } from "../../../shared/billing-interval";
import { INTERVALS } from "../../../shared/plans";
import { billedMeters } from "../../../shared/meter-billing";
import { billingOverview } from "../../billing/billing-overview";
import { confirmPlanChangeAs, confirmPlanChangeInput } from "../../billing/plan-change";
import { cancelWaitingChangeAs } from "../../billing/cancel-change";
import { customerQuote, previewOverageChange, previewPlanChangeWithProvider, type QuoteRow } from "../../billing/quote";
import type { Deps } from "../../deps";
import { getAccount } from "../../accounts/accounts";
import { rateExperience, rateInput } from "../../operator/satisfaction";
import { customerProcedure, router } from "../trpc";

/** A quote as the wizard shows it: every figure in minor units with its currency, and the exact consent words. */
function quoteView(catalog: Catalog, q: QuoteRow) {
  const to = catalog.planAt(q.toPlanId, q.toPlanVersion);
  return {
    id: q.id,
    kind: q.kind,
    fromPlanId: q.fromPlanId,
    toPlanId: q.toPlanId,
    /** The interval billed before and after the change; when they differ the billing date moves to the change (`recurringFromMs` is the next one). */
    fromInterval: q.fromInterval,
    toInterval: q.toInterval,
    timing: q.timing,
    prorationAtMs: q.prorationAtMs,
    period: { startMs: q.periodStartMs, endMs: q.periodEndMs },
    creditMinor: q.creditMinor,
    chargeMinor: q.chargeMinor,
    amountDueNowMinor: q.amountDueNowMinor,
    recurringMinor: q.recurringMinor,
    recurringFromMs: q.recurringFromMs,
    effectiveAtMs: q.effectiveAtMs,
    projectedMonthlyMinor: q.projectedMonthlyMinor,
    currency: q.currency,
    consentText: q.consentText,
    /** The overage opt-in offered with this change (its own sentence and tick), or null. */
    overageConsentText: q.overageConsentText,
    /** Calls beyond the quota at the customer's rate, with overage billing on, minor units a month (0: none expected). */
    expectedOverageMinor: q.expectedOverageMinor,
    /** The new plan's estimated monthly cost at the customer's rate: the Plans page's figure. */
    estimatedMonthlyMinor: q.estimatedMonthlyMinor,
    lines: JSON.parse(q.linesJson) as Array<{ kind: string; description: string; amountMinor: number }>,
    endsGrandfathering: q.endsGrandfathering,
    /** The caps on the new terms: a yearly quota's month cap is the year's allowance (`quotaWindow` "year"). */
    newCaps: termsOnInterval(to, q.toInterval).caps,
    quotaWindow: quotaWindow(to, q.toInterval),
    overagePer1000Minor: to.metered ? null : (to.overagePer1000Minor ?? null),
    /** Every meter the new plan bills usage on (the default meter's overage price is also `overagePer1000Minor`): its words, metered or overage, price per 1,000, month cap on the new terms. */
    usage: billedMeters(catalog, termsOnInterval(to, q.toInterval)).map((m) => ({ id: m.id, noun: m.noun, billing: m.billing, per1000Minor: m.terms.overagePer1000Minor, monthCap: m.terms.caps.month ?? null })),
    expiresAtMs: q.expiresAtMs,
  };
}

/**
 * A plan-change quote with what the wizard needs besides: the approval threshold it would cross, and
 * how long it has left now (a quote answered again was not made at this moment).
 */
function planChangeQuoteView(deps: Pick<Deps, "catalog" | "billing" | "clock">, q: QuoteRow) {
  const cap = deps.billing.billingCapMinor;
  return {
    ...quoteView(deps.catalog, q),
    billingCapMinor: cap,
    needsApproval: q.projectedMonthlyMinor > cap,
    needsApprovalWithOverage: q.projectedMonthlyMinor + q.expectedOverageMinor > cap,
    expiresInMs: Math.max(0, q.expiresAtMs - deps.clock.now()),
  };
}

export const billingRouter = router({
  overview: customerProcedure.query(async ({ ctx }) => ({
    ...(await billingOverview(ctx.deps.db, ctx.deps.catalog, ctx.accountId, ctx.deps.clock.now())),
    /** The provider keeps payment methods and invoices in a portal of its own (Dodo): the page links to it. */
    paymentPortal: ctx.deps.dodo !== null,
  })),
  /** Where the customer manages payment methods and sees the provider's invoices: Dodo's customer portal; null where there is none (local billing, or before Dodo knows the customer). */
  paymentPortal: customerProcedure.mutation(async ({ ctx }) => (ctx.deps.dodo ? await ctx.deps.dodo.paymentPortal(ctx.accountId) : null)),

  /** Prices a change for the signed-in account; nothing changes until it is confirmed with consent. */
  previewPlanChange: customerProcedure.input(z.object({ toPlanId: z.string().min(1).max(40), interval: z.enum(INTERVALS).optional() })).mutation(async ({ ctx, input }) => {
    // With Stripe, a change charged now is priced by Stripe's invoice preview. Without an interval, the account's own (if the plan is sold in it).
    const q = await previewPlanChangeWithProvider(ctx.deps.billing, { accountId: ctx.accountId, toPlanId: input.toPlanId, interval: input.interval });
    return planChangeQuoteView(ctx.deps, q);
  }),

  /** One of the customer's plan-change quotes, by the id the wizard's URL carries, and whether it can still be confirmed. */
  quote: customerProcedure.input(z.object({ id: z.string().min(1).max(100) })).query(async ({ ctx, input }) => {
    const { quote, state } = await customerQuote(ctx.deps.billing, ctx.accountId, input.id);
    return { ...planChangeQuoteView(ctx.deps, quote), state };
  }),

  previewOverage: customerProcedure.input(z.object({ optIn: z.boolean() })).mutation(async ({ ctx, input }) => {
    const q = await previewOverageChange(ctx.deps.billing, { accountId: ctx.accountId, optIn: input.optIn });
    return { ...quoteView(ctx.deps.catalog, q), billingCapMinor: ctx.deps.billing.billingCapMinor, needsApproval: q.projectedMonthlyMinor > ctx.deps.billing.billingCapMinor };
  }),

  /** Confirms a quote with the customer's explicit consent; the same quote twice changes nothing twice. */
  confirm: customerProcedure.input(confirmPlanChangeInput).mutation(async ({ ctx, input }) => {
    const account = await getAccount(ctx.deps.db, ctx.deps.catalog, ctx.accountId);
    // Stripe: status "payment_required" comes with `checkoutUrl`; the plan changes once that payment completes.
    return confirmPlanChangeAs(ctx.deps.billing, ctx.accountId, input, { signedInAs: account.email, ip: ctx.ip, userAgent: ctx.userAgent });
  }),

  /** The optional 0–10 question on the receipt page. */
  rate: customerProcedure.input(rateInput).mutation(async ({ ctx, input }) => {
    await rateExperience(ctx.deps.db, ctx.deps.clock, ctx.accountId, input);
    return { thanks: true as const };
  }),

  cancelScheduled: customerProcedure.input(z.object({ planChangeId: z.string().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    await cancelWaitingChangeAs(ctx.deps.billing, ctx.accountId, input.planChangeId, `customer:${ctx.accountId}`);
    return { cancelled: true as const };
  }),
});
