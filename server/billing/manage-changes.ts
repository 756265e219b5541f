import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { isPlanId, PLANS } from "../../shared/plans";
import { accounts, approvalRequests, planChanges, quotes } from "../db/schema";
import { DomainError } from "../lib/domain-error";
import { raiseAccountNotice } from "../notify/account-notices";
import type { BillingContext } from "./billing-context";
import { applyKeyOf, applyNow, settlePlanChange } from "./confirm-plan-change";
import { accountFingerprint, catalogFingerprint } from "./terms";

const planName = (id: string) => PLANS[isPlanId(id) ? id : "free"].name;

/** Cancels a change still waiting for its date (a scheduled downgrade); the current plan simply continues. */
export function cancelScheduledChange(ctx: BillingContext, accountId: string, planChangeId: string): void {
  const now = ctx.clock.now();
  const done = ctx.db
    .update(planChanges)
    .set({ status: "cancelled", updatedAtMs: now })
    .where(and(eq(planChanges.id, planChangeId), eq(planChanges.accountId, accountId), eq(planChanges.status, "scheduled")))
    .run();
  if (done.changes !== 1) throw new DomainError("NOT_FOUND", "There is no scheduled change to cancel.");
}

/**
 * Cancels a scheduled change through the billing provider: with Stripe the subscription schedule is
 * released (or the cancellation at period end withdrawn) first, then the change is marked cancelled.
 */
export async function cancelScheduledChangeWithProvider(ctx: BillingContext, accountId: string, planChangeId: string): Promise<void> {
  const remote = ctx.provider.remote;
  const change = ctx.db.select().from(planChanges).where(and(eq(planChanges.id, planChangeId), eq(planChanges.accountId, accountId), eq(planChanges.status, "scheduled"))).get();
  if (!change) throw new DomainError("NOT_FOUND", "There is no scheduled change to cancel.");
  if (remote && change.providerRef) {
    const account = ctx.db.select().from(accounts).where(eq(accounts.id, accountId)).get()!;
    await remote.cancelScheduledChange(account, change, `plan_change:${change.id}:cancel`);
  }
  cancelScheduledChange(ctx, accountId, planChangeId);
}

export const decideApprovalInput = z.object({
  requestId: z.string().min(1).max(100),
  approve: z.boolean(),
  reason: z.string().trim().max(1000).optional(),
});

/**
 * An operator decides a change over the billing cap. An approved change is applied with the consent
 * already given, at the quote's own proration second, so the amounts are exactly those consented
 * to — unless the account, the prices or the period changed since; then the customer re-consents.
 */
export function decideApproval(ctx: BillingContext, raw: z.input<typeof decideApprovalInput>, operator: string): { status: "approved" | "denied" | "needs_consent" } {
  const input = decideApprovalInput.parse(raw);
  if (!input.approve && !input.reason) throw new DomainError("BAD_INPUT", "Say why the change is denied: the customer is told.");
  const now = ctx.clock.now();
  const request = ctx.db.select().from(approvalRequests).where(eq(approvalRequests.id, input.requestId)).get();
  if (!request) throw new DomainError("NOT_FOUND", "No such approval request.");
  if (request.status !== "pending") throw new DomainError("CONFLICT", `This request was already ${request.status}.`);
  const change = ctx.db.select().from(planChanges).where(eq(planChanges.id, request.planChangeId)).get()!;
  const quote = ctx.db.select().from(quotes).where(eq(quotes.id, change.quoteId)).get()!;
  const account = ctx.db.select().from(accounts).where(eq(accounts.id, change.accountId)).get()!;
  const name = planName(change.toPlanId);

  let status: "approved" | "denied" | "needs_consent";
  if (!input.approve) status = "denied";
  else if (accountFingerprint(account) !== quote.accountFingerprint || catalogFingerprint() !== quote.catalogFingerprint || (quote.timing === "now" && now >= quote.periodEndMs)) status = "needs_consent";
  else status = "approved";

  // A remote provider (Stripe) is called outside the transaction: the change waits as "applying" with its key.
  const remote = Boolean(ctx.provider.remote);
  ctx.db.transaction((tx) => {
    tx.update(approvalRequests)
      .set({ status: status === "denied" ? "denied" : "approved", reason: input.reason ?? null, decidedBy: operator, decidedAtMs: now })
      .where(eq(approvalRequests.id, request.id))
      .run();
    if (status === "approved") {
      if (remote) tx.update(planChanges).set({ status: "applying", idempotencyKey: change.idempotencyKey ?? applyKeyOf(quote.id), updatedAtMs: now }).where(eq(planChanges.id, change.id)).run();
      else if (quote.timing === "now") applyNow(ctx, tx as unknown as BillingContext["db"], change.id, quote, now);
      else tx.update(planChanges).set({ status: "scheduled", updatedAtMs: now }).where(eq(planChanges.id, change.id)).run();
    } else {
      tx.update(planChanges).set({ status: status === "denied" ? "denied" : "needs_consent", updatedAtMs: now }).where(eq(planChanges.id, change.id)).run();
    }
  });
  if (status === "approved" && remote) {
    // The customer hears the outcome from the settlement (applied, scheduled, or why not).
    settlePlanChange(ctx, change.id, false).catch((err) => ctx.logger.warn({ err, planChangeId: change.id }, "approved change not applied yet; retried by the billing worker"));
  } else if (status === "approved" && quote.timing === "now") ctx.onPlanChanged(account.id, quote.recurringFromMs !== quote.periodEndMs);

  const text =
    status === "approved"
      ? remote
        ? `Your switch to ${name} was approved. We are applying it now with exactly the amounts you agreed to, and will confirm when it is done.`
        : quote.timing === "now"
        ? `Your switch to ${name} was approved and applied. Charged: ${formatMoney(quote.amountDueNowMinor, quote.currency)}, as you agreed. Next: ${formatMoney(quote.recurringMinor, quote.currency)} on ${formatDateUtc(quote.recurringFromMs)}.`
        : `Your switch to ${name} was approved; it takes effect on ${formatDateUtc(quote.effectiveAtMs)}.`
      : status === "denied"
        ? `Your switch to ${name} was not approved: ${input.reason}. Nothing was charged. Contact us from the Billing page if you have questions.`
        : `Your switch to ${name} was approved, but the price changed since you agreed to it. Nothing was charged; please preview the change again and confirm the new price.`;
  raiseAccountNotice(ctx.notify, {
    accountId: account.id,
    planId: status === "approved" ? change.toPlanId : account.planId,
    ref: `${request.id}:decided`,
    facts: { kind: "approval_decided", planName: name, severity: status === "approved" ? "info" : "warning", title: status === "approved" ? `Approved: your switch to ${name}` : status === "denied" ? `Not approved: your switch to ${name}` : `Please confirm the new price for ${name}`, text },
  });
  return { status };
}

export function pendingApprovals(ctx: BillingContext) {
  return ctx.db
    .select()
    .from(approvalRequests)
    .innerJoin(planChanges, eq(planChanges.id, approvalRequests.planChangeId))
    .innerJoin(quotes, eq(quotes.id, planChanges.quoteId))
    .where(eq(approvalRequests.status, "pending"))
    .orderBy(desc(approvalRequests.createdAtMs))
    .all();
}
