import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { isPlanId, PLANS } from "../../shared/plans";
import { accounts, approvalRequests, planChanges, quotes } from "../db/schema";
import { DomainError } from "../lib/domain-error";
import { raiseAccountNotice } from "../notify/account-notices";
import type { BillingContext } from "./billing-context";
import { applyNow } from "./confirm-plan-change";
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

  ctx.db.transaction((tx) => {
    tx.update(approvalRequests)
      .set({ status: status === "denied" ? "denied" : "approved", reason: input.reason ?? null, decidedBy: operator, decidedAtMs: now })
      .where(eq(approvalRequests.id, request.id))
      .run();
    if (status === "approved") {
      if (quote.timing === "now") applyNow(ctx, tx as unknown as BillingContext["db"], change.id, quote, now);
      else tx.update(planChanges).set({ status: "scheduled", updatedAtMs: now }).where(eq(planChanges.id, change.id)).run();
    } else {
      tx.update(planChanges).set({ status: status === "denied" ? "denied" : "needs_consent", updatedAtMs: now }).where(eq(planChanges.id, change.id)).run();
    }
  });
  if (status === "approved" && quote.timing === "now") ctx.onPlanChanged(account.id, quote.recurringFromMs !== quote.periodEndMs);

  const text =
    status === "approved"
      ? quote.timing === "now"
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
