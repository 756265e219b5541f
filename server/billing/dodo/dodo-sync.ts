import type { Subscription } from "dodopayments/resources/subscriptions";
import { formatDateUtc } from "../../../shared/messages";
import { billsOverageOnAnyMeter } from "../../../shared/meter-billing";
import type { BillingInterval, PlanId } from "../../../shared/plans";
import { accountInTx, moveChangeInTx as moveChange } from "../../db/queries/plan-changes";
import {
  accountByCustomerInTx,
  accountBySubscriptionInTx,
  followStripePlanInTx,
  insertStripeAuditInTx,
  scheduledChangeToInTx,
  setStripeIdsInTx,
  waitingSwitchToInTx,
  type AccountRow,
} from "../../db/queries/stripe";
import type { Unit } from "../../db/queries/unit";
import { newId } from "../../lib/ids";
import { raiseAccountNotice } from "../../notify/account-notices";
import type { BillingContext } from "../billing-context";
import { commitRemoteOutcomeIn } from "../plan-change";
import { baseTermsOfPrice, type BaseTerms } from "../stripe/stripe-catalog";
import type { DodoBillingProvider } from "./dodo-provider";

/** Work for after the commit: meter caps, notices (run in order, each awaited). */
export type AfterCommit = Array<() => unknown>;

/** Statuses in which a Dodo subscription still bills its plan (on hold and paused keep it). */
const BILLING = new Set(["active", "on_hold", "paused", "past_due"]);

/**
 * The plan terms a Dodo product stands for, read from its `headroom_price_key` (null: not one of
 * ours, or a plan gone from the catalog). Read before the transaction that follows it.
 */
export async function termsOfProduct(ctx: Pick<BillingContext, "catalog">, provider: DodoBillingProvider, productId: string): Promise<BaseTerms | null> {
  const key = await provider.products.keyOf(productId);
  const terms = key ? baseTermsOfPrice({ lookup_key: key }) : null;
  if (!terms || !ctx.catalog.has(terms.planId)) return null;
  const current = ctx.catalog.plan(terms.planId).version;
  return terms.version === current || ctx.catalog.versionsOf(terms.planId).some((v) => v.version === terms.version) ? terms : { ...terms, version: current };
}

/** The account a Dodo subscription bills: by its id, by the account id in its metadata, or by its customer. */
function* accountOfSubscription(sub: Subscription): Unit<AccountRow | null> {
  const byId = yield* accountBySubscriptionInTx(sub.subscription_id);
  if (byId) return byId;
  const meta = sub.metadata?.headroom_account_id;
  if (typeof meta === "string" && meta) {
    const row = yield* accountInTx(meta);
    if (row) return row;
  }
  const byCustomer = yield* accountByCustomerInTx(sub.customer.customer_id);
  if (byCustomer) return byCustomer;
  // A customer made for a checkout carries the account id.
  const owner = sub.customer.metadata?.headroom_account_id;
  return typeof owner === "string" && owner ? ((yield* accountInTx(owner)) ?? null) : null;
}

/**
 * Brings the account in line with its Dodo subscription as Dodo has it now (re-read, never a
 * webhook's payload, so a late or out-of-order delivery cannot move the account back). A change the
 * customer consented to and Dodo has now made (a payment that went through, a checkout, a scheduled
 * change at the billing date) is committed with its consent; a change made in Dodo's dashboard is
 * followed and audited.
 */
export function* reconcileDodoSubscriptionIn(ctx: BillingContext, sub: Subscription, terms: BaseTerms | null): Unit<AfterCommit> {
  const after: AfterCommit = [];
  const account = yield* accountOfSubscription(sub);
  if (!account) return after;
  const now = ctx.clock.now();
  const live = BILLING.has(sub.status);
  if (account.stripeSubscriptionId && account.stripeSubscriptionId !== sub.subscription_id) return after;
  if (!account.stripeSubscriptionId && !live) return after;

  const free = ctx.catalog.freePlan;
  const planId: PlanId = live ? (terms?.planId ?? account.planId) : (free?.id ?? account.planId);
  const version = live ? (terms?.version ?? account.planVersion) : (free?.version ?? account.planVersion);
  const interval: BillingInterval = live ? (terms?.interval ?? account.billingInterval) : free ? "month" : account.billingInterval;
  const moved = planId !== account.planId || version !== account.planVersion || interval !== account.billingInterval;
  const subscriptionId = live ? sub.subscription_id : null;
  const periodStartMs = Date.parse(sub.previous_billing_date);

  const waiting = yield* waitingSwitchToInTx(account.id, planId);
  if (waiting && moved) {
    const done = yield* commitRemoteOutcomeIn(ctx, waiting.id, { kind: "applied", invoice: null, customerId: sub.customer.customer_id, subscriptionId, periodStartMs });
    if (done) after.push(done);
    return after;
  }

  yield* setStripeIdsInTx(account.id, { stripeSubscriptionId: subscriptionId, stripeCustomerId: account.stripeCustomerId ?? sub.customer.customer_id });
  if (!moved) return after;

  const candidate = yield* scheduledChangeToInTx(account.id, planId);
  const scheduled = candidate && (yield* moveChange(candidate.id, ["scheduled"], { status: "applied", appliedAtMs: now, updatedAtMs: now })) ? candidate : undefined;
  yield* followStripePlanInTx(account.id, {
    planId,
    planVersion: version,
    planStartedAtMs: scheduled ? scheduled.effectiveAtMs : now,
    overageOptIn: billsOverageOnAnyMeter(ctx.catalog.planAt(planId, version)) ? account.overageOptIn : false,
    ...(interval !== account.billingInterval ? { billingInterval: interval, billingAnchorMs: periodStartMs } : {}),
  });
  if (!scheduled) {
    yield* insertStripeAuditInTx({
      id: newId("aud"),
      atMs: now,
      actor: "provider",
      action: "dodo.plan_changed",
      accountId: account.id,
      detailsJson: JSON.stringify({ from: account.planId, to: planId, fromVersion: account.planVersion, toVersion: version, subscription: sub.subscription_id, status: sub.status }),
    });
  }
  const name = ctx.catalog.nameOf(planId);
  after.push(async () => {
    ctx.onPlanChanged(account.id);
    await raiseAccountNotice(ctx.notify, {
      accountId: account.id,
      planId,
      ref: scheduled ? `${scheduled.id}:applied` : `dodo:${sub.subscription_id}:${planId}:${now}`,
      facts: {
        kind: "plan_changed",
        planName: name,
        severity: "info",
        title: `You are now on the ${name} plan`,
        text: scheduled ? `Your scheduled switch took effect on ${formatDateUtc(scheduled.effectiveAtMs)}. The ${name} caps apply from now.` : `Your subscription changed to the ${name} plan. The ${name} caps apply from now.`,
      },
    });
  });
  return after;
}
