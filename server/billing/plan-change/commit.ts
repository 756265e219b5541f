import type { Catalog } from "../../../shared/catalog";
import { planChangeNotice, replacedChangeNotice, switchFailedTitle } from "../../../shared/messages";
import { billsOverageOnAnyMeter } from "../../../shared/meter-billing";
import {
  changeWithQuote,
  consentTickedOverageInTx,
  inTransaction,
  moveChangeInTx,
  planChangeInTx,
  quoteInTx,
  updateAccountInTx,
  updateChangeInTx,
  accountInTx,
  type QuoteRow,
} from "../../db/queries/plan-changes";
import type { Unit } from "../../db/queries/unit";
import { raiseAccountNotice } from "../../notify/account-notices";
import type { BillingContext } from "../billing-context";
import type { InvoiceMirror, RemoteApplyOutcome } from "../billing-provider";
import { mirrorInvoice } from "../invoice-mirror";
import { type PlanChangeResult, type Replaced } from "./input";

/** The statuses of a change waiting for the remote provider's answer. */
const WAITING = ["applying", "payment_required", "payment_pending"] as const;

/** What a plan change came to, as the customer's confirmation answers it. */
export async function resultOf(ctx: Pick<BillingContext, "db">, planChangeId: string, replayed: boolean): Promise<PlanChangeResult> {
  const row = await changeWithQuote(ctx.db, planChangeId);
  if (!row) throw new Error(`plan change ${planChangeId} is missing`);
  const { change, quote } = row;
  return {
    planChangeId: change.id,
    status: change.status,
    kind: change.kind,
    fromPlanId: change.fromPlanId,
    toPlanId: change.toPlanId,
    effectiveAtMs: change.effectiveAtMs,
    amountDueNowMinor: quote.amountDueNowMinor,
    recurringMinor: quote.recurringMinor,
    recurringFromMs: quote.recurringFromMs,
    fromInterval: quote.fromInterval,
    toInterval: quote.toInterval,
    currency: quote.currency,
    invoiceId: change.invoiceId,
    consentId: change.consentId,
    periodMoved: quote.timing === "now" && quote.recurringFromMs !== quote.periodEndMs,
    replayed,
    checkoutUrl: change.checkoutUrl,
  };
}

/**
 * The account takes the consented terms at `atMs`: the new plan (whose monthly quota counts from
 * now) and billing interval, a new billing period from this moment when nothing was paid for the
 * current one (Free → paid, the end of grandfathered terms) or the interval changed, grandfathering ended, and overage billing on where the
 * customer ticked it, kept where the new plan has it, off where it has none.
 */
export function* applyToAccount(catalog: Catalog, quote: QuoteRow, overageTicked: boolean, atMs: number, remote: { customerId?: string; subscriptionId?: string | null; periodStartMs?: number } = {}): Unit<void> {
  if (quote.kind !== "plan_change") {
    yield* updateAccountInTx(quote.accountId, { overageOptIn: quote.kind === "overage_opt_in" });
    return;
  }
  const account = yield* accountInTx(quote.accountId);
  if (!account) throw new Error(`account ${quote.accountId} is missing`);
  const freshPeriod = quote.recurringFromMs !== quote.periodEndMs;
  const to = catalog.planAt(quote.toPlanId, quote.toPlanVersion);
  yield* updateAccountInTx(quote.accountId, {
    planId: quote.toPlanId,
    planVersion: quote.toPlanVersion,
    // An interval change alone keeps the plan (and its start); its new billing period starts the month window anyway.
    planStartedAtMs: quote.toPlanId !== account.planId || quote.toPlanVersion !== account.planVersion ? atMs : account.planStartedAtMs,
    // Free → paid, the end of grandfathered terms and an interval change start a billing period at the moment of the change, as Stripe does.
    billingAnchorMs: freshPeriod ? (remote.periodStartMs ?? atMs) : account.billingAnchorMs,
    billingInterval: quote.toInterval,
    grandfatheredUntilMs: quote.endsGrandfathering ? null : account.grandfatheredUntilMs,
    overageOptIn: billsOverageOnAnyMeter(to) ? overageTicked || account.overageOptIn : false,
    stripeCustomerId: remote.customerId ?? account.stripeCustomerId,
    stripeSubscriptionId: remote.subscriptionId !== undefined ? remote.subscriptionId : account.stripeSubscriptionId,
  });
}

/**
 * Step 4, remote provider: commits what the provider made of a change, once. Only a change still
 * waiting for it (applying, at checkout, payment pending) moves. Used by the confirmation and by the
 * webhooks (checkout completed, a pending change paid). Returns true when this call committed it.
 */
export async function commitRemoteOutcome(ctx: BillingContext, planChangeId: string, outcome: RemoteApplyOutcome): Promise<boolean> {
  const after = await inTransaction(ctx.db, () => commitRemoteOutcomeIn(ctx, planChangeId, outcome));
  if (!after) return false;
  await after();
  return true;
}

/**
 * The same as a part of the caller's unit of work (a webhook stores its event id with the effect).
 * Returns what to do once it has committed (meter caps, notices), or null if nothing moved.
 */
export function* commitRemoteOutcomeIn(ctx: BillingContext, planChangeId: string, outcome: RemoteApplyOutcome): Unit<(() => Promise<void>) | null> {
  const now = ctx.clock.now();
  const change = yield* planChangeInTx(planChangeId);
  if (!change || !(WAITING as readonly string[]).includes(change.status)) return null;
  const quote = yield* quoteInTx(change.quoteId);
  if (!quote) return null;
  // Every move is guarded by the statuses still waiting for the provider: the first commit wins,
  // whichever process (confirmation, worker, webhook) makes it; the others change nothing.
  const { accountId, invoiceId } = change;
  const dedupeKey = `quote:${quote.id}`;
  function* mirrored(invoice: InvoiceMirror | null): Unit<string | null> {
    return invoice ? yield* mirrorInvoice(accountId, invoice, { kind: "proration", dedupeKey, nowMs: now }) : invoiceId;
  }
  switch (outcome.kind) {
    case "applied":
      if (!(yield* moveChangeInTx(planChangeId, WAITING, { status: "applied", appliedAtMs: now, effectiveAtMs: now, failureMessage: null, updatedAtMs: now }))) return null;
      yield* updateChangeInTx(planChangeId, { invoiceId: yield* mirrored(outcome.invoice) });
      yield* applyToAccount(ctx.catalog, quote, yield* consentTickedOverageInTx(change.consentId), now, { customerId: outcome.customerId, subscriptionId: outcome.subscriptionId, periodStartMs: outcome.periodStartMs });
      break;
    case "scheduled":
      if (!(yield* moveChangeInTx(planChangeId, WAITING, { status: "scheduled", providerRef: outcome.ref, updatedAtMs: now }))) return null;
      break;
    case "payment_required":
      if (!(yield* moveChangeInTx(planChangeId, WAITING, { status: "payment_required", providerRef: outcome.ref, checkoutUrl: outcome.checkoutUrl, updatedAtMs: now }))) return null;
      break;
    case "payment_pending":
      if (!(yield* moveChangeInTx(planChangeId, WAITING, { status: "payment_pending", failureMessage: outcome.message, updatedAtMs: now }))) return null;
      yield* updateChangeInTx(planChangeId, { invoiceId: yield* mirrored(outcome.invoice) });
      break;
    case "failed":
      if (!(yield* moveChangeInTx(planChangeId, WAITING, { status: "failed", failureMessage: outcome.message, updatedAtMs: now }))) return null;
      break;
  }
  return async () => {
    const result = await resultOf(ctx, planChangeId, false);
    const name = ctx.catalog.nameOf(result.toPlanId);
    if (outcome.kind === "applied") await afterChange(ctx, change.accountId, result, true);
    else if (outcome.kind === "scheduled") await afterChange(ctx, change.accountId, result, false);
    else if (outcome.kind === "payment_pending" || outcome.kind === "failed") {
      await raiseAccountNotice(ctx.notify, {
        accountId: change.accountId,
        planId: result.fromPlanId,
        ref: `${planChangeId}:${outcome.kind}`,
        facts: { kind: "payment_failed", planName: ctx.catalog.nameOf(result.fromPlanId), severity: "warning", title: switchFailedTitle(name), text: outcome.message },
      });
    }
  };
}

/** After the commit: the meter takes the new caps (through the change feed), and the customer is told. */
export async function afterChange(ctx: Pick<BillingContext, "catalog" | "notify" | "onPlanChanged">, accountId: string, r: PlanChangeResult, applied: boolean): Promise<void> {
  const toPlanName = ctx.catalog.nameOf(r.toPlanId);
  if (applied) ctx.onPlanChanged(accountId);
  const facts = planChangeNotice({ ...r, toPlanName });
  await raiseAccountNotice(ctx.notify, { accountId, planId: r.toPlanId, ref: r.planChangeId, facts: { ...facts, planName: toPlanName, severity: "info" } });
}

/** The customer is told which waiting change their new choice replaced. */
export async function tellReplaced(ctx: Pick<BillingContext, "catalog" | "notify">, accountId: string, planId: string, replaced: Replaced[], chosenPlanId: string): Promise<void> {
  for (const r of replaced) {
    const words = replacedChangeNotice(r.status === "pending_approval" ? "pending_approval" : "scheduled", ctx.catalog.nameOf(r.toPlanId), ctx.catalog.nameOf(chosenPlanId));
    await raiseAccountNotice(ctx.notify, { accountId, planId, ref: `${r.planChangeId}:replaced`, facts: { kind: "change_scheduled", planName: ctx.catalog.nameOf(r.toPlanId), severity: "info", ...words } });
  }
}
