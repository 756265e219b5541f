import { cancelWaitingChange, waitingChange } from "../db/queries/billing";
import { accountRowById } from "../db/queries/accounts";
import { DomainError } from "../lib/domain-error";
import type { BillingContext } from "./billing-context";
import type { PlanChangeRow } from "./billing-provider";
import { recordAudit } from "../operator/audit-log";

/**
 * Cancels a change still waiting (a scheduled downgrade, or a request still awaiting approval, which
 * is withdrawn): the current plan simply continues.
 */
export async function cancelScheduledChange(ctx: BillingContext, accountId: string, planChangeId: string): Promise<void> {
  if (!(await cancelWaitingChange(ctx.db, accountId, planChangeId, ctx.clock.now()))) throw new DomainError("NOT_FOUND", "There is no waiting change to cancel.");
}

/** Cancels a waiting change, releasing it at the provider first when it was scheduled there (a Stripe subscription schedule). */
export async function cancelWithProvider(ctx: BillingContext, accountId: string, change: PlanChangeRow): Promise<void> {
  const remote = ctx.provider.remote;
  if (remote && change.providerRef && change.status === "scheduled") {
    const account = (await accountRowById(ctx.db, accountId))!;
    await remote.cancelScheduledChange(account, change, `plan_change:${change.id}:cancel`);
  }
  await cancelScheduledChange(ctx, accountId, change.id);
}

/**
 * Cancels a scheduled change (or withdraws one awaiting approval) through the billing provider: with
 * Stripe the subscription schedule is released (or the cancellation at period end withdrawn) first.
 */
export async function cancelScheduledChangeWithProvider(ctx: BillingContext, accountId: string, planChangeId: string): Promise<void> {
  const change = await waitingChange(ctx.db, accountId, planChangeId);
  if (!change) throw new DomainError("NOT_FOUND", "There is no waiting change to cancel.");
  await cancelWithProvider(ctx, accountId, change);
}


/** The customer cancels a waiting change (or withdraws a request awaiting approval), audited. */
export async function cancelWaitingChangeAs(ctx: BillingContext, accountId: string, planChangeId: string, actor: string): Promise<void> {
  await cancelScheduledChangeWithProvider(ctx, accountId, planChangeId);
  await recordAudit(ctx.db, ctx.clock, { actor, action: "plan_change.cancelled", accountId, details: { planChangeId } });
}
