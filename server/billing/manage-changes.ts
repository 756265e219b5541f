import { z } from "zod";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { approvalRequestById, approvalStatusInTx, decideApprovalInTx, pendingApprovalRows } from "../db/queries/billing";
import { accountRowById } from "../db/queries/accounts";
import { inTransaction, moveChangeInTx as moveChange, planChangeById, quoteById } from "../db/queries/plan-changes";
import { DomainError } from "../lib/domain-error";
import { raiseAccountNotice } from "../notify/account-notices";
import { recordAudit } from "../operator/audit-log";
import type { BillingContext } from "./billing-context";
import { APPROVAL_CARRIES_OVER_MS, applyKeyOf, mustApply, settleLocally, settlePlanChange } from "./plan-change";
import { draftPlanChange, type PlanChangeDraft } from "./quote";

export { cancelScheduledChange, cancelScheduledChangeWithProvider, cancelWithProvider } from "./cancel-change";
import { accountFingerprint, catalogFingerprint } from "./terms";


export const decideApprovalInput = z.object({
  requestId: z.string().min(1).max(100),
  approve: z.boolean(),
  reason: z.string().trim().max(1000).optional(),
});

type Decision = "approved" | "denied" | "needs_consent";

/**
 * An operator decides a change over the billing cap. An approved change is priced again at the
 * moment it is applied, never at the date of its quote: when that price is the one consented to it
 * is applied (from now: an approved Free → paid switch starts its period at the approval); when it
 * differs (less of the period is left, the account or the prices changed) the customer is asked to
 * confirm the new price, and the approval carries over to that confirmation.
 */
export async function decideApproval(ctx: BillingContext, raw: z.input<typeof decideApprovalInput>, operator: string): Promise<{ status: Decision }> {
  const input = decideApprovalInput.parse(raw);
  if (!input.approve && !input.reason) throw new DomainError("BAD_INPUT", "Say why the change is denied: the customer is told.");
  const request = await approvalRequestById(ctx.db, input.requestId);
  if (!request) throw new DomainError("NOT_FOUND", "No such approval request.");
  if (request.status !== "pending") throw new DomainError("CONFLICT", `This request was already ${request.status}.`);
  const change = (await planChangeById(ctx.db, request.planChangeId))!;
  const quote = (await quoteById(ctx.db, change.quoteId))!;
  const account = (await accountRowById(ctx.db, change.accountId))!;
  const name = ctx.catalog.nameOf(change.toPlanId);

  let status: Decision;
  let repriced: PlanChangeDraft | null = null;
  let amountNow = quote.amountDueNowMinor;
  if (!input.approve) status = "denied";
  else if (accountFingerprint(account) !== quote.accountFingerprint || catalogFingerprint(ctx.catalog) !== quote.catalogFingerprint) status = "needs_consent";
  else if (quote.kind !== "plan_change") status = "approved";
  else if (quote.timing === "period_end") status = ctx.clock.now() < quote.periodEndMs ? "approved" : "needs_consent";
  else {
    try {
      repriced = await draftPlanChange(ctx, { accountId: account.id, toPlanId: change.toPlanId, interval: quote.toInterval });
      const atStripe = ctx.provider.remote ? await ctx.provider.remote.priceChange(account, { toPlanId: change.toPlanId, toPlanVersion: quote.toPlanVersion, toInterval: quote.toInterval, timing: "now", atMs: repriced.values.prorationAtMs }) : null;
      amountNow = atStripe?.amountDueNowMinor ?? repriced.values.amountDueNowMinor;
      status = amountNow === quote.amountDueNowMinor && repriced.values.recurringMinor === quote.recurringMinor && repriced.values.timing === "now" ? "approved" : "needs_consent";
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      status = "needs_consent";
    }
  }

  const now = ctx.clock.now();
  // A remote provider (Stripe) is called outside the transaction: the change waits as "applying" with its key.
  const remote = Boolean(ctx.provider.remote);
  await inTransaction(ctx.db, function* () {
    // Decided once: the request moves only from pending (another operator, or another process, may have been first).
    if (!(yield* decideApprovalInTx(request.id, { status: status === "denied" ? "denied" : "approved", reason: input.reason ?? null, decidedBy: operator, decidedAtMs: now }))) {
      throw new DomainError("CONFLICT", `This request was already ${(yield* approvalStatusInTx(request.id)) ?? "decided"}.`);
    }
    const waiting = ["pending_approval"] as const;
    let moved = true;
    if (status === "approved") {
      if (remote) moved = yield* moveChange(change.id, waiting, { status: "applying", idempotencyKey: change.idempotencyKey ?? applyKeyOf(quote.id), updatedAtMs: now });
      else if (quote.timing === "now") {
        mustApply(yield* settleLocally(ctx, change.id, quote, now, repriced ? { lines: repriced.lines, atMs: repriced.values.prorationAtMs, periodEndMs: repriced.values.recurringFromMs } : undefined));
      } else moved = yield* moveChange(change.id, waiting, { status: "scheduled", updatedAtMs: now });
    } else {
      moved = yield* moveChange(change.id, waiting, { status: status === "denied" ? "denied" : "needs_consent", updatedAtMs: now });
    }
    if (!moved) throw new DomainError("CONFLICT", "This change is no longer waiting for approval.");
  });
  if (status === "approved" && remote) {
    // The customer hears the outcome from the settlement (applied, scheduled, or why not).
    settlePlanChange(ctx, change.id, false).catch((err) => ctx.logger.warn({ err, planChangeId: change.id }, "approved change not applied yet; retried by the billing worker"));
  } else if (status === "approved" && quote.timing === "now") ctx.onPlanChanged(account.id);

  const money = (m: number) => formatMoney(m, quote.currency);
  const nextOn = repriced ? repriced.values.recurringFromMs : quote.recurringFromMs;
  const text =
    status === "approved"
      ? remote
        ? `Your switch to ${name} was approved. We are applying it now with exactly the amounts you agreed to, and will confirm when it is done.`
        : quote.timing === "now"
          ? `Your switch to ${name} was approved and applied. Charged: ${money(quote.amountDueNowMinor)}, as you agreed. Next: ${money(quote.recurringMinor)} on ${formatDateUtc(nextOn)}.`
          : `Your switch to ${name} was approved; it takes effect on ${formatDateUtc(quote.effectiveAtMs)}.`
      : status === "denied"
        ? `Your switch to ${name} was not approved: ${input.reason}. Nothing was charged. Contact us from the Billing page if you have questions.`
        : amountNow !== quote.amountDueNowMinor
          ? `Your switch to ${name} was approved, but its price changed while it waited: ${money(amountNow)} is due now instead of the ${money(quote.amountDueNowMinor)} you agreed to. Nothing was charged; preview the switch again and confirm the new price — no second approval is needed for the next ${APPROVAL_CARRIES_OVER_MS / 86_400_000} days.`
          : `Your switch to ${name} was approved, but your plan or the prices changed since you agreed to it. Nothing was charged; please preview the change again and confirm the new price.`;
  await recordAudit(ctx.db, ctx.clock, { actor: operator, action: "approval.decided", details: { requestId: input.requestId, approve: input.approve, reason: input.reason ?? null, status } });
  await raiseAccountNotice(ctx.notify, {
    accountId: account.id,
    planId: status === "approved" ? change.toPlanId : account.planId,
    ref: `${request.id}:decided`,
    facts: { kind: "approval_decided", planName: name, severity: status === "approved" ? "info" : "warning", title: status === "approved" ? `Approved: your switch to ${name}` : status === "denied" ? `Not approved: your switch to ${name}` : `Please confirm the new price for ${name}`, text },
  });
  return { status };
}

/** The requests waiting for an operator, newest first, each with its plan change and quote. */
export async function pendingApprovals(ctx: BillingContext) {
  return pendingApprovalRows(ctx.db);
}
