import type Stripe from "stripe";
import { formatDateUtc } from "../../../shared/messages";
import { formatMoney } from "../../../shared/money";
import type { BillingInterval, PlanId } from "../../../shared/plans";
import { billsOverageOnAnyMeter } from "../../../shared/meter-billing";
import { accountInTx, moveChangeInTx as moveChange } from "../../db/queries/plan-changes";
import { accountRowById } from "../../db/queries/accounts";
import type { Unit } from "../../db/queries/unit";
import {
  accountByCustomerInTx,
  accountBySubscriptionInTx,
  accountIdOfCustomer,
  followStripePlanInTx,
  insertStripeAuditInTx,
  linkCustomer,
  scheduledChangeToInTx,
  setStripeIdsInTx,
  switchesAwaitingPaymentInTx,
  voidOpenInvoiceInTx,
  waitingSwitchToInTx,
  type AccountRow,
} from "../../db/queries/stripe";
import type { Clock } from "../../lib/clock";
import { DomainError } from "../../lib/domain-error";
import { newId } from "../../lib/ids";
import { raiseAccountNotice } from "../../notify/account-notices";
import type { BillingContext } from "../billing-context";
import { commitRemoteOutcomeIn } from "../plan-change";
import { mirrorInvoice } from "../invoice-mirror";
import { baseTermsOfPrice, type BaseTerms } from "./stripe-catalog";
import type { Catalog } from "../../../shared/catalog";
import { baseItemOf, invoiceMirrorOf, type StripeBillingProvider } from "./stripe-provider";

/** Work for after the commit: meter caps, notices (run in order, each awaited). */
export type AfterCommit = Array<() => unknown>;

const LIVE = new Set(["active", "trialing", "past_due", "unpaid", "incomplete", "paused"]);
const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === "string" ? v : v.id);

/** Stripe's own audit entries (the operator module's action list is kept by its owners). */
function auditRow(clock: Clock, e: { actor: string; action: "stripe.plan_changed" | "stripe.linked" | "stripe.pending_update_expired"; accountId: string; details: Record<string, unknown> }) {
  return { id: newId("aud"), atMs: clock.now(), actor: e.actor, action: e.action, accountId: e.accountId, detailsJson: JSON.stringify(e.details) };
}

/**
 * The plan, version and interval a subscription's base price stands for, if the catalog holds that
 * plan (null: not one of ours, or a plan gone from the catalog). A version the catalog has not
 * recorded reads as the plan's current one.
 */
function knownTermsOf(catalog: Catalog, price: Parameters<typeof baseTermsOfPrice>[0]): BaseTerms | null {
  const terms = baseTermsOfPrice(price);
  if (!terms || !catalog.has(terms.planId)) return null;
  const current = catalog.plan(terms.planId).version;
  const recorded = terms.version === current || catalog.versionsOf(terms.planId).some((v) => v.version === terms.version);
  return recorded ? terms : { ...terms, version: current };
}

/** The account a subscription bills: by its id, by the account id we put in its metadata, or by its customer. */
export function* accountOfSubscription(sub: Stripe.Subscription): Unit<AccountRow | null> {
  const byId = yield* accountBySubscriptionInTx(sub.id);
  if (byId) return byId;
  const meta = sub.metadata?.headroom_account_id;
  if (meta) {
    const row = yield* accountInTx(meta);
    if (row) return row;
  }
  const customer = idOf(sub.customer);
  return customer ? ((yield* accountByCustomerInTx(customer)) ?? null) : null;
}

/**
 * A change waiting for its payment whose pending update Stripe no longer holds, the plan unchanged:
 * the update expired (Stripe voids its invoice and discards it after at most 23 hours) or was
 * cancelled. The change is closed as failed, its invoice shown void, and the customer told.
 */
function* closeExpiredPendingIn(ctx: BillingContext, accountId: string, sub: Stripe.Subscription): Unit<AfterCommit> {
  if (!LIVE.has(sub.status) || sub.pending_update) return [];
  const waiting = yield* switchesAwaitingPaymentInTx(accountId);
  const after: AfterCommit = [];
  for (const change of waiting) {
    const name = ctx.catalog.nameOf(change.toPlanId);
    const done = yield* commitRemoteOutcomeIn(ctx, change.id, {
      kind: "failed",
      message: `The payment for your switch to the ${name} plan was not completed in time, so the switch was dropped: your plan is unchanged and that invoice will not be charged. You can start the switch again from the Plans page.`,
    });
    // Closed by another process (or event) meanwhile: it was voided, audited and told there.
    if (!done) continue;
    if (change.invoiceId) yield* voidOpenInvoiceInTx(change.invoiceId);
    yield* insertStripeAuditInTx(auditRow(ctx.clock, { actor: "provider", action: "stripe.pending_update_expired", accountId, details: { planChange: change.id, toPlanId: change.toPlanId, subscription: sub.id } }));
    after.push(done);
  }
  return after;
}

/**
 * Brings the account in line with its subscription as Stripe has it now (re-read, never the event
 * payload, so an event delivered late cannot move the account back). The subscription's base
 * price decides the plan and the meter's caps. A change the customer consented to and Stripe has
 * now applied (a paid pending update, a schedule's next phase, a cancellation at period end) is
 * marked applied; a change made in Stripe's dashboard is followed and audited.
 */
export function* reconcileSubscriptionIn(ctx: BillingContext, sub: Stripe.Subscription): Unit<AfterCommit> {
  const after: AfterCommit = [];
  const account = yield* accountOfSubscription(sub);
  if (!account) return after;
  const now = ctx.clock.now();
  const live = LIVE.has(sub.status);
  // Another subscription bills this account: events about an older one change nothing.
  if (account.stripeSubscriptionId && account.stripeSubscriptionId !== sub.id) return after;
  if (!account.stripeSubscriptionId && !live) return after;

  const customerId = idOf(sub.customer);
  const base = baseItemOf(sub);
  // A price of a plan the catalog holds (its version and interval); else the account's plan stands. A subscription that ended leaves the account on the free plan (if the catalog has one, at its current terms), monthly.
  const known = knownTermsOf(ctx.catalog, base?.price);
  const free = ctx.catalog.freePlan;
  const stripePlan: PlanId = live ? (known?.planId ?? account.planId) : (free?.id ?? account.planId);
  const stripeVersion = live ? (known?.version ?? account.planVersion) : (free?.version ?? account.planVersion);
  const stripeInterval: BillingInterval = live ? (known?.interval ?? account.billingInterval) : free ? "month" : account.billingInterval;
  const moved = stripePlan !== account.planId || stripeVersion !== account.planVersion || stripeInterval !== account.billingInterval;
  const subscriptionId = live ? sub.id : null;

  // A change waiting for exactly this (checkout, pending payment, in flight) is committed with its consent.
  const waiting = yield* waitingSwitchToInTx(account.id, stripePlan);
  if (waiting && moved) {
    const done = yield* commitRemoteOutcomeIn(ctx, waiting.id, { kind: "applied", invoice: null, customerId: customerId ?? undefined, subscriptionId, periodStartMs: base ? base.current_period_start * 1000 : undefined });
    if (done) after.push(done);
    return after;
  }

  yield* setStripeIdsInTx(account.id, { stripeSubscriptionId: subscriptionId, stripeCustomerId: account.stripeCustomerId ?? customerId });
  if (!moved) {
    after.push(...(yield* closeExpiredPendingIn(ctx, account.id, sub)));
    return after;
  }

  // A scheduled downgrade that Stripe has now carried out: marked applied once (guarded by its status).
  const candidate = yield* scheduledChangeToInTx(account.id, stripePlan);
  const scheduled = candidate && (yield* moveChange(candidate.id, ["scheduled"], { status: "applied", appliedAtMs: now, updatedAtMs: now })) ? candidate : undefined;
  yield* followStripePlanInTx(account.id, {
    planId: stripePlan,
    // The version whose price the subscription carries (each version has prices of its own).
    planVersion: stripeVersion,
    // A scheduled change took effect at its date; a change made at Stripe, now.
    planStartedAtMs: scheduled ? scheduled.effectiveAtMs : now,
    overageOptIn: billsOverageOnAnyMeter(ctx.catalog.planAt(stripePlan, stripeVersion)) ? account.overageOptIn : false,
    // Another interval at Stripe is another billing period, from the subscription's.
    ...(stripeInterval !== account.billingInterval ? { billingInterval: stripeInterval, ...(base ? { billingAnchorMs: base.current_period_start * 1000 } : {}) } : {}),
  });
  if (!scheduled) {
    yield* insertStripeAuditInTx(auditRow(ctx.clock, { actor: "provider", action: "stripe.plan_changed", accountId: account.id, details: { from: account.planId, to: stripePlan, fromVersion: account.planVersion, toVersion: stripeVersion, subscription: sub.id, status: sub.status } }));
  }
  const name = ctx.catalog.nameOf(stripePlan);
  after.push(async () => {
    ctx.onPlanChanged(account.id);
    await raiseAccountNotice(ctx.notify, {
      accountId: account.id,
      planId: stripePlan,
      ref: scheduled ? `${scheduled.id}:applied` : `stripe:${sub.id}:${stripePlan}:${now}`,
      facts: { kind: "plan_changed", planName: name, severity: "info", title: `You are now on the ${name} plan`, text: scheduled ? `Your scheduled switch took effect on ${formatDateUtc(scheduled.effectiveAtMs)}. The ${name} caps apply from now.` : `Your subscription changed to the ${name} plan. The ${name} caps apply from now.` },
    });
  });
  return after;
}

/** A Stripe invoice into the local ledger (paid and void are final; a late "open" never moves it back). */
export function* mirrorStripeInvoiceIn(ctx: BillingContext, inv: Stripe.Invoice): Unit<{ accountId: string; invoiceId: string } | null> {
  const customer = idOf(inv.customer);
  const account = customer ? yield* accountByCustomerInTx(customer) : undefined;
  if (!account) return null;
  const invoiceId = yield* mirrorInvoice(account.id, invoiceMirrorOf(inv), { kind: inv.billing_reason === "subscription_update" ? "proration" : "period", dedupeKey: `stripe:${inv.id}`, nowMs: ctx.clock.now() });
  return { accountId: account.id, invoiceId };
}

/**
 * `stripe link`: attaches an existing Stripe customer (and its live subscription, if any) to an
 * account. The plan follows the subscription's price; the billing period its current period.
 */
export async function linkStripeCustomer(ctx: BillingContext, provider: StripeBillingProvider, input: { accountId: string; customerId: string }): Promise<{ accountId: string; customerId: string; subscriptionId: string | null; planId: string }> {
  const account = await accountRowById(ctx.db, input.accountId);
  if (!account) throw new DomainError("NOT_FOUND", `No account ${input.accountId}.`);
  if (!/^cus_[A-Za-z0-9]+$/.test(input.customerId)) throw new DomainError("BAD_INPUT", "--customer must be a Stripe customer id (cus_…).");
  const taken = await accountIdOfCustomer(ctx.db, input.customerId);
  if (taken && taken !== account.id) throw new DomainError("CONFLICT", `${input.customerId} is already linked to ${taken}.`);
  const customer = await provider.call(() => provider.stripe.customers.retrieve(input.customerId));
  if ("deleted" in customer && customer.deleted) throw new DomainError("NOT_FOUND", `Stripe customer ${input.customerId} was deleted.`);
  const subs = await provider.call(() => provider.stripe.subscriptions.list({ customer: input.customerId, status: "all", limit: 20 }));
  const sub = subs.data.find((s) => LIVE.has(s.status)) ?? null;
  const base = sub ? baseItemOf(sub) : null;
  const known = sub ? knownTermsOf(ctx.catalog, base?.price) : null;
  const planId = known?.planId ?? account.planId;
  await linkCustomer(
    ctx.db,
    account.id,
    {
      stripeCustomerId: input.customerId,
      stripeSubscriptionId: sub?.id ?? null,
      planId,
      planVersion: known?.version ?? account.planVersion,
      planStartedAtMs: planId === account.planId ? account.planStartedAtMs : ctx.clock.now(),
      billingAnchorMs: base ? base.current_period_start * 1000 : account.billingAnchorMs,
      billingInterval: known?.interval ?? account.billingInterval,
    },
    auditRow(ctx.clock, { actor: "operator:cli", action: "stripe.linked", accountId: account.id, details: { customer: input.customerId, subscription: sub?.id ?? null, plan: planId } }),
  );
  ctx.onPlanChanged(account.id);
  return { accountId: account.id, customerId: input.customerId, subscriptionId: sub?.id ?? null, planId };
}

/** Words for a failed invoice payment: what failed, that the plan is unchanged, what happens next. */
export function paymentFailedText(inv: Stripe.Invoice, number: string): string {
  const amount = formatMoney(inv.amount_due, inv.currency.toUpperCase());
  const next = inv.next_payment_attempt ? ` Stripe tries again on ${formatDateUtc(inv.next_payment_attempt * 1000)}.` : "";
  return `The payment of ${amount} for invoice ${number} did not go through. Your plan is unchanged, and a change waiting for this payment stays pending until it is paid.${next} You can update your card from the link in Stripe's e-mail.`;
}

