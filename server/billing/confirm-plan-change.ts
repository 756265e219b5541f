import { and, eq, ne } from "drizzle-orm";
import { z } from "zod";
import { startOfUtcDay } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { isPlanId, PLANS } from "../../shared/plans";
import { accounts, approvalRequests, consents, planChanges, quotes } from "../db/schema";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";
import { raiseAccountNotice } from "../notify/account-notices";
import type { BillingContext } from "./billing-context";
import type { LineDraft } from "./billing-provider";
import { accountFingerprint, catalogFingerprint } from "./terms";

export const confirmPlanChangeInput = z.object({
  quoteId: z.string().min(1).max(100),
  /** The amounts the customer saw and accepted; they must equal the quote's. */
  accepted: z.object({
    amountDueNow: z.number().int().nonnegative(),
    recurringAmount: z.number().int().nonnegative(),
    currency: z.string().length(3),
  }),
});
export type ConfirmPlanChangeInput = z.infer<typeof confirmPlanChangeInput>;

export interface Consenter {
  /** The signed-in person: the account's e-mail for a customer session. */
  signedInAs: string;
  ip: string | null;
  userAgent: string | null;
}

export interface PlanChangeResult {
  planChangeId: string;
  status: "applied" | "scheduled" | "pending_approval" | "cancelled" | "denied" | "needs_consent";
  kind: "plan_change" | "overage_opt_in" | "overage_opt_out";
  fromPlanId: string;
  toPlanId: string;
  effectiveAtMs: number;
  amountDueNowMinor: number;
  recurringMinor: number;
  recurringFromMs: number;
  currency: string;
  invoiceId: string | null;
  consentId: string;
  /** The change started a new billing period today (from Free or grandfathered terms). */
  periodMoved: boolean;
  /** The confirmation had already been recorded: this is its first result, nothing changed twice. */
  replayed: boolean;
}

function resultOf(ctx: BillingContext, planChangeId: string, replayed: boolean): PlanChangeResult {
  const row = ctx.db.select().from(planChanges).innerJoin(quotes, eq(quotes.id, planChanges.quoteId)).where(eq(planChanges.id, planChangeId)).get()!;
  return {
    planChangeId: row.plan_changes.id,
    status: row.plan_changes.status,
    kind: row.plan_changes.kind,
    fromPlanId: row.plan_changes.fromPlanId,
    toPlanId: row.plan_changes.toPlanId,
    effectiveAtMs: row.plan_changes.effectiveAtMs,
    amountDueNowMinor: row.quotes.amountDueNowMinor,
    recurringMinor: row.quotes.recurringMinor,
    recurringFromMs: row.quotes.recurringFromMs,
    currency: row.quotes.currency,
    invoiceId: row.plan_changes.invoiceId,
    consentId: row.plan_changes.consentId,
    periodMoved: row.quotes.timing === "now" && row.quotes.recurringFromMs !== row.quotes.periodEndMs,
    replayed,
  };
}

/**
 * Confirms a quote with the customer's consent. Checks that the quote is the account's own, unused,
 * unexpired, that nothing it was priced on has changed, and that the accepted amounts are the
 * quote's; then records the consent and the plan change in one transaction and applies it
 * (upgrade: now, invoiced now; downgrade: scheduled for the period end). Over the billing cap it
 * becomes an approval request instead. Confirming the same quote again returns the first result.
 */
export function confirmPlanChange(ctx: BillingContext, accountId: string, raw: ConfirmPlanChangeInput, who: Consenter): PlanChangeResult {
  const input = confirmPlanChangeInput.parse(raw);
  const { db, clock } = ctx;
  const quote = db.select().from(quotes).where(eq(quotes.id, input.quoteId)).get();
  // Another account's quote is "not found": nothing about it is revealed.
  if (!quote || quote.accountId !== accountId) throw new DomainError("NOT_FOUND", "No such quote.");
  const done = db.select({ id: planChanges.id }).from(planChanges).where(eq(planChanges.quoteId, quote.id)).get();
  if (done) return resultOf(ctx, done.id, true);

  const now = clock.now();
  if (now >= quote.expiresAtMs) throw new DomainError("EXPIRED", "This price preview has expired. Preview the change again to see the current price.");
  const account = db.select().from(accounts).where(eq(accounts.id, accountId)).get()!;
  if (accountFingerprint(account) !== quote.accountFingerprint || catalogFingerprint() !== quote.catalogFingerprint) {
    throw new DomainError("PRECONDITION_FAILED", "Your plan or the prices changed since this preview. Preview the change again to see the current price.");
  }
  const a = input.accepted;
  if (a.amountDueNow !== quote.amountDueNowMinor || a.recurringAmount !== quote.recurringMinor || a.currency.toUpperCase() !== quote.currency) {
    throw new DomainError("CONFLICT", "The amounts you accepted are not the ones quoted. Nothing was charged; please review the preview again.");
  }

  const overCap = quote.projectedMonthlyMinor > ctx.billingCapMinor;
  const toPlan = PLANS[isPlanId(quote.toPlanId) ? quote.toPlanId : "free"];
  let planChangeId: string;
  try {
    planChangeId = db.transaction((tx) => {
      const consentId = newId("cns");
      tx.insert(consents)
        .values({
          id: consentId,
          quoteId: quote.id,
          accountId,
          signedInAs: who.signedInAs,
          ip: who.ip,
          userAgent: who.userAgent?.slice(0, 500) ?? null,
          textShown: quote.consentText,
          amountDueNowMinor: quote.amountDueNowMinor,
          recurringMinor: quote.recurringMinor,
          currency: quote.currency,
          createdAtMs: now,
        })
        .run();
      const id = newId("pch");
      const status = overCap ? "pending_approval" : quote.timing === "now" ? "applied" : "scheduled";
      tx.insert(planChanges)
        .values({ id, accountId, quoteId: quote.id, consentId, kind: quote.kind, fromPlanId: quote.fromPlanId, toPlanId: quote.toPlanId, status, effectiveAtMs: quote.effectiveAtMs, createdAtMs: now, updatedAtMs: now })
        .run();
      if (overCap) {
        tx.insert(approvalRequests)
          .values({ id: newId("apr"), planChangeId: id, accountId, projectedMonthlyMinor: quote.projectedMonthlyMinor, billingCapMinor: ctx.billingCapMinor, status: "pending", createdAtMs: now })
          .run();
        return id;
      }
      // A new choice replaces a change still waiting for the period end.
      tx.update(planChanges)
        .set({ status: "cancelled", updatedAtMs: now })
        .where(and(eq(planChanges.accountId, accountId), eq(planChanges.status, "scheduled"), ne(planChanges.id, id)))
        .run();
      // drizzle types a transaction apart from the database; it has the same query API.
      if (quote.timing === "now") applyNow(ctx, tx as unknown as BillingContext["db"], id, quote, now);
      return id;
    });
  } catch (err) {
    // Two confirmations raced: the unique quote id let one through; answer with its result.
    const raced = db.select({ id: planChanges.id }).from(planChanges).where(eq(planChanges.quoteId, quote.id)).get();
    if (raced) return resultOf(ctx, raced.id, true);
    throw err;
  }

  const result = resultOf(ctx, planChangeId, false);
  afterChange(ctx, result, toPlan.name, quote.timing === "now" && !overCap);
  return result;
}

/** Applies a confirmed change now: invoice, new plan, new period if nothing was paid for this one. */
export function applyNow(ctx: BillingContext, tx: BillingContext["db"], planChangeId: string, quote: typeof quotes.$inferSelect, now: number): void {
  if (quote.kind !== "plan_change") {
    tx.update(accounts).set({ overageOptIn: quote.kind === "overage_opt_in" }).where(eq(accounts.id, quote.accountId)).run();
    tx.update(planChanges).set({ status: "applied", appliedAtMs: now, updatedAtMs: now }).where(eq(planChanges.id, planChangeId)).run();
    return;
  }
  const lines = JSON.parse(quote.linesJson) as LineDraft[];
  let invoiceId: string | null = null;
  if (lines.length > 0) {
    const charge = ctx.provider.invoice(
      tx,
      { accountId: quote.accountId, kind: "proration", periodStartMs: quote.prorationAtMs, periodEndMs: quote.recurringFromMs, currency: quote.currency, lines, dedupeKey: `quote:${quote.id}` },
      now,
    );
    if (charge.kind === "declined") throw new DomainError("PRECONDITION_FAILED", `The payment was declined: ${charge.message}. Your plan is unchanged.`);
    if (charge.kind === "payment_required") throw new DomainError("PRECONDITION_FAILED", "A payment method is needed first.");
    invoiceId = charge.invoiceId;
  }
  const account = tx.select().from(accounts).where(eq(accounts.id, quote.accountId)).get()!;
  const freshPeriod = quote.recurringFromMs !== quote.periodEndMs;
  tx.update(accounts)
    .set({
      planId: quote.toPlanId,
      // Free → paid (or the end of grandfathered terms) starts a billing period today, as Stripe does.
      billingAnchorMs: freshPeriod ? startOfUtcDay(quote.prorationAtMs) : account.billingAnchorMs,
      grandfatheredUntilMs: quote.endsGrandfathering ? null : account.grandfatheredUntilMs,
      overageOptIn: isPlanId(quote.toPlanId) && PLANS[quote.toPlanId].overagePer1000Minor !== undefined && !PLANS[quote.toPlanId].metered ? account.overageOptIn : false,
    })
    .where(eq(accounts.id, quote.accountId))
    .run();
  tx.update(planChanges).set({ status: "applied", appliedAtMs: now, invoiceId, updatedAtMs: now }).where(eq(planChanges.id, planChangeId)).run();
}

/** After the commit: the meter takes the new caps, and the customer is told. */
export function afterChange(ctx: BillingContext, r: PlanChangeResult, toPlanName: string, applied: boolean): void {
  const money = (m: number) => formatMoney(m, r.currency);
  const accountId = accountIdOf(ctx, r.planChangeId);
  // A change from Free (or from grandfathered terms) starts a new billing period today.
  if (applied) ctx.onPlanChanged(accountId, r.periodMoved);
  const overage = r.kind !== "plan_change";
  const facts =
    overage && r.status === "applied"
      ? r.kind === "overage_opt_in"
        ? { kind: "plan_changed" as const, title: "Overage billing is on", text: "Calls beyond your monthly quota are now served and billed per 1,000 with your monthly invoice, instead of being limited. You can turn this off on the Billing page." }
        : { kind: "plan_changed" as const, title: "Overage billing is off", text: "Calls beyond your monthly quota are limited again; nothing beyond the quota is billed from now on." }
      : r.status === "applied"
      ? { kind: "plan_changed" as const, title: `You are now on the ${toPlanName} plan`, text: `Your new caps apply now. Charged today: ${money(r.amountDueNowMinor)}. Next: ${money(r.recurringMinor)} on ${formatDateUtc(r.recurringFromMs)}.` }
      : r.status === "scheduled"
        ? { kind: "change_scheduled" as const, title: `Your switch to ${toPlanName} is scheduled`, text: `It takes effect on ${formatDateUtc(r.effectiveAtMs)}. Nothing is charged now; you can cancel it until then on the Billing page.` }
        : { kind: "approval_requested" as const, title: `Your switch to ${toPlanName} is waiting for approval`, text: `The new monthly total is above the account's billing cap, so our team approves it first. Nothing is charged until then; you will hear from us.` };
  raiseAccountNotice(ctx.notify, { accountId, planId: r.toPlanId, ref: r.planChangeId, facts: { ...facts, planName: toPlanName, severity: "info" } });
}

function accountIdOf(ctx: BillingContext, planChangeId: string): string {
  return ctx.db.select({ a: planChanges.accountId }).from(planChanges).where(eq(planChanges.id, planChangeId)).get()!.a;
}
