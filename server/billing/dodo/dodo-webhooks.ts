import { formatMoney } from "../../../shared/money";
import { accountInTx, inTransaction } from "../../db/queries/plan-changes";
import { accountBySubscriptionInTx, eventSeen, storeEventInTx, switchesAwaitingPaymentInTx } from "../../db/queries/stripe";
import type { Unit } from "../../db/queries/unit";
import { raiseAccountNotice } from "../../notify/account-notices";
import type { BillingContext } from "../billing-context";
import type { DodoBillingProvider } from "./dodo-provider";
import { reconcileDodoSubscriptionIn, termsOfProduct, type AfterCommit } from "./dodo-sync";

/**
 * The Dodo events Headroom acts on. Every one is about a subscription, which is re-read from Dodo
 * before anything changes: Dodo delivers at least once and in no guaranteed order.
 * https://docs.dodopayments.com/developer-resources/webhooks
 * https://docs.dodopayments.com/developer-resources/webhooks/intents/subscription
 */
export const DODO_HANDLED_EVENTS = ["subscription.active", "subscription.renewed", "subscription.plan_changed", "subscription.on_hold", "subscription.cancelled", "payment.succeeded", "payment.failed"] as const;

/** A verified webhook: its Standard Webhooks id, its type and data. */
export interface DodoWebhook {
  id: string;
  type: string;
  /** The payload's `timestamp` (ISO), if any. */
  timestamp?: string;
  data: { subscription_id?: string | null; payment_id?: string | null; [k: string]: unknown };
}

export type DodoWebhookResult = "processed" | "duplicate" | "ignored";

type Effect = () => Unit<AfterCommit>;

/** Stored webhook ids are prefixed: the table is shared with the Stripe provider's event ids. */
const storedId = (webhookId: string) => `dodo:${webhookId}`;

/**
 * Processes Dodo webhooks once each (deduplicated by `webhook-id`, stored in the transaction of the
 * effect), one at a time, each after re-reading its subscription (and payment) from Dodo: a replayed
 * delivery changes nothing, a late one cannot move the account back.
 */
export class DodoWebhookHandler {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: BillingContext,
    private readonly provider: DodoBillingProvider,
  ) {}

  handle(hook: DodoWebhook): Promise<DodoWebhookResult> {
    const run = this.queue.then(() => this.process(hook));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async process(hook: DodoWebhook): Promise<DodoWebhookResult> {
    const id = storedId(hook.id);
    if (await eventSeen(this.ctx.db, id)) return "duplicate";
    const effect = (DODO_HANDLED_EVENTS as readonly string[]).includes(hook.type) ? await this.effectOf(hook) : null;
    const clock = this.ctx.clock;
    const createdMs = Date.parse(hook.timestamp ?? "") || clock.now();
    const after = await inTransaction(this.ctx.db, function* (): Unit<AfterCommit | null> {
      if (!(yield* storeEventInTx({ id, type: `dodo:${hook.type}`, createdMs, processedAtMs: clock.now() }))) return null;
      return effect ? yield* effect() : [];
    });
    if (!after) return "duplicate";
    for (const f of after) await f();
    return effect ? "processed" : "ignored";
  }

  private async effectOf(hook: DodoWebhook): Promise<Effect | null> {
    const ctx = this.ctx;
    const subscriptionId = typeof hook.data.subscription_id === "string" ? hook.data.subscription_id : null;
    if (!subscriptionId) return null;
    // The subscription as Dodo has it now, never the payload's snapshot.
    const sub = await this.provider.subscription(subscriptionId);
    const terms = await termsOfProduct(ctx, this.provider, sub.product_id);
    const failed = hook.type === "payment.failed" && typeof hook.data.payment_id === "string" ? await this.provider.read(() => this.provider.dodo.payments.retrieve(hook.data.payment_id as string)) : null;
    const link = failed?.status === "failed" || sub.status === "on_hold" ? await this.provider.portalLink(sub.customer.customer_id).catch(() => null) : null;
    const update = link ? `Update your payment method at ${link}.` : "Update your payment method in Dodo's customer portal.";
    return function* () {
      const after = yield* reconcileDodoSubscriptionIn(ctx, sub, terms);
      const account = (yield* accountBySubscriptionInTx(sub.subscription_id)) ?? (typeof sub.metadata?.headroom_account_id === "string" ? yield* accountInTx(sub.metadata.headroom_account_id) : undefined);
      if (!account) return after;
      // A plan change's own payment: the customer was told with the change (the same link); others (a renewal) are told here.
      if (failed?.status === "failed" && (yield* switchesAwaitingPaymentInTx(account.id)).length === 0) {
        const amount = formatMoney(failed.total_amount, failed.currency.toUpperCase());
        after.push(() =>
          raiseAccountNotice(ctx.notify, {
            accountId: account.id,
            planId: account.planId,
            ref: `dodo:${failed.payment_id}:payment_failed`,
            facts: { kind: "payment_failed", planName: ctx.catalog.nameOf(account.planId), severity: "warning", title: "A payment did not go through", text: `The payment of ${amount} did not go through. Your plan is unchanged, and a change waiting for this payment stays pending until it is paid. ${update}` },
          }),
        );
      }
      if (hook.type === "subscription.on_hold" && sub.status === "on_hold") {
        after.push(() =>
          raiseAccountNotice(ctx.notify, {
            accountId: account.id,
            planId: account.planId,
            ref: `dodo:${sub.subscription_id}:on_hold:${sub.previous_billing_date}`,
            facts: { kind: "payment_failed", planName: ctx.catalog.nameOf(account.planId), severity: "warning", title: "Your subscription is on hold", text: `The renewal payment of your ${ctx.catalog.nameOf(account.planId)} plan did not go through, so Dodo Payments put the subscription on hold. ${update}` },
          }),
        );
      }
      return after;
    };
  }
}
