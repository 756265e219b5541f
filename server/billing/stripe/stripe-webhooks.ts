import express, { type Router } from "express";
import type Stripe from "stripe";
import { accountInTx, inTransaction, moveChangeInTx as moveChange, planChangeInTx } from "../../db/queries/plan-changes";
import type { Unit } from "../../db/queries/unit";
import { eventSeen, invoiceNumberInTx, markUsageReportsRefusedInTx, storeEventInTx } from "../../db/queries/stripe";
import { raiseAccountNotice } from "../../notify/account-notices";
import type { BillingContext } from "../billing-context";
import { commitRemoteOutcomeIn } from "../plan-change";
import { baseItemOf, invoiceMirrorOf, type StripeBillingProvider } from "./stripe-provider";
import { recordAnomalyIn } from "../anomalies";
import { mirrorStripeInvoiceIn, paymentFailedText, reconcileSubscriptionIn, type AfterCommit } from "./stripe-sync";

/** Signatures older than this, or further than this in the future, are refused (seconds). */
export const WEBHOOK_TOLERANCE_S = 300;

export const HANDLED_EVENTS = [
  "checkout.session.completed",
  "checkout.session.expired",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.pending_update_expired",
  "invoice.paid",
  "invoice.payment_failed",
  "subscription_schedule.updated",
  "subscription_schedule.released",
  "subscription_schedule.completed",
  "subscription_schedule.canceled",
  // A thin event, from an event destination.
  "v1.billing.meter.error_report_triggered",
] as const;

type Effect = () => Unit<AfterCommit>;
/** The body of a thin event: what is needed to read the event itself. */
interface ThinEvent {
  id: string;
  object: "v2.core.event";
  type: string;
  created: string;
}
const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === "string" ? v : v.id);

export type WebhookResult = "processed" | "duplicate" | "ignored";

/**
 * Processes Stripe events once each. What an effect depends on is re-read from Stripe first (the
 * subscription, the invoice), then the event id is stored in the same transaction as the effect: a
 * replayed event finds its id and changes nothing, an event that fails is not stored and Stripe
 * sends it again. Events are handled one at a time, so two reads cannot commit out of order.
 */
export class StripeWebhookHandler {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: BillingContext,
    private readonly provider: StripeBillingProvider,
  ) {}

  handle(event: Stripe.Event): Promise<WebhookResult> {
    const run = this.queue.then(() => this.process(event));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async process(event: Stripe.Event): Promise<WebhookResult> {
    if (await eventSeen(this.ctx.db, event.id)) return "duplicate";
    const effect = await this.effectOf(event);
    // The event id and its effect commit together; an id stored meanwhile (the same event twice at once) commits nothing.
    const clock = this.ctx.clock;
    const after = await inTransaction(this.ctx.db, function* (): Unit<AfterCommit | null> {
      if (!(yield* storeEventInTx({ id: event.id, type: event.type, createdMs: event.created * 1000, processedAtMs: clock.now() }))) return null;
      return effect ? yield* effect() : [];
    });
    if (!after) return "duplicate";
    for (const f of after) await f();
    return effect ? "processed" : "ignored";
  }

  /**
   * A thin event (an event destination's `v2.core.event`): only its id and type are in the body; the
   * event itself is read from Stripe. Meter error reports mark the refused meter events' reports failed
   * with Stripe's reason (their samples name them by identifier); other thin events are stored and ignored.
   * https://docs.stripe.com/api/v2/core/events
   */
  handleThin(notification: ThinEvent): Promise<WebhookResult> {
    const run = this.queue.then(() => this.processThin(notification));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async processThin(n: ThinEvent): Promise<WebhookResult> {
    if (await eventSeen(this.ctx.db, n.id)) return "duplicate";
    let refusals: Array<{ identifier: string; message: string }> | null = null;
    if (n.type === "v1.billing.meter.error_report_triggered") {
      const full = await this.provider.call(() => this.provider.stripe.v2.core.events.retrieve(n.id));
      if (full.type === "v1.billing.meter.error_report_triggered") {
        refusals = full.data.reason.error_types.flatMap((t) => t.sample_errors.map((e) => ({ identifier: e.request.identifier, message: `Stripe refused this meter event (${t.code}): ${e.error_message}` })));
        this.ctx.logger.warn({ errors: full.data.reason.error_count, summary: full.data.developer_message_summary }, "stripe meter error report");
      }
    }
    const clock = this.ctx.clock;
    const stored = await inTransaction(this.ctx.db, function* () {
      if (!(yield* storeEventInTx({ id: n.id, type: n.type, createdMs: Date.parse(n.created) || clock.now(), processedAtMs: clock.now() }))) return false;
      if (refusals) yield* markUsageReportsRefusedInTx(refusals);
      return true;
    });
    if (!stored) return "duplicate";
    return refusals ? "processed" : "ignored";
  }

  private async subscription(id: string): Promise<Stripe.Subscription> {
    return this.provider.call(() => this.provider.stripe.subscriptions.retrieve(id));
  }

  /** Reads what the event is about from Stripe (its current state) and returns the effect to commit with the event id. */
  private async effectOf(event: Stripe.Event): Promise<Effect | null> {
    const ctx = this.ctx;
    switch (event.type) {
      case "customer.subscription.created":
      case "customer.subscription.updated":
      case "customer.subscription.deleted":
      // A change that waited for its payment and expired: the re-read subscription has no pending update.
      case "customer.subscription.pending_update_expired": {
        const sub = await this.subscription(event.data.object.id);
        return () => reconcileSubscriptionIn(ctx, sub);
      }
      case "subscription_schedule.updated":
      case "subscription_schedule.released":
      case "subscription_schedule.completed":
      case "subscription_schedule.canceled": {
        const schedule = event.data.object;
        const subId = idOf(schedule.subscription) ?? schedule.released_subscription;
        if (!subId) return null;
        const sub = await this.subscription(subId);
        return () => reconcileSubscriptionIn(ctx, sub);
      }
      case "checkout.session.completed": {
        const session = event.data.object;
        const changeId = session.metadata?.headroom_plan_change_id;
        const subId = idOf(session.subscription);
        if (session.mode !== "subscription" || !subId || !changeId) return null;
        const sub = await this.provider.call(() => this.provider.stripe.subscriptions.retrieve(subId, { expand: ["latest_invoice"] }));
        const latest = typeof sub.latest_invoice === "object" && sub.latest_invoice !== null ? sub.latest_invoice : null;
        return function* () {
          const change = yield* planChangeInTx(changeId);
          if (!change) return [];
          const base = baseItemOf(sub);
          // The plan changes now, never before: the customer has paid at Checkout.
          const done = yield* commitRemoteOutcomeIn(ctx, change.id, {
            kind: "applied",
            invoice: latest ? invoiceMirrorOf(latest) : null,
            customerId: idOf(session.customer) ?? undefined,
            subscriptionId: sub.id,
            periodStartMs: base ? base.current_period_start * 1000 : undefined,
          });
          if (done) return [done];
          // Already committed (customer.subscription.created came first): the first invoice is still mirrored.
          if (latest) yield* mirrorStripeInvoiceIn(ctx, latest);
          return yield* reconcileSubscriptionIn(ctx, sub);
        };
      }
      case "checkout.session.expired": {
        const changeId = event.data.object.metadata?.headroom_plan_change_id;
        if (!changeId) return null;
        // An abandoned checkout changes nothing; the waiting change is closed.
        return function* () {
          // Only a change still waiting at Checkout: a late event cannot cancel one already paid and applied.
          yield* moveChange(changeId, ["payment_required"], { status: "cancelled", failureMessage: "The payment page expired before it was completed. Nothing was charged.", updatedAtMs: ctx.clock.now() });
          return [];
        };
      }
      case "invoice.paid": {
        const inv = await this.provider.call(() => this.provider.stripe.invoices.retrieve(event.data.object.id!));
        const subId = idOf(inv.parent?.subscription_details?.subscription);
        // A paid invoice may be what a pending update was waiting for: the subscription says whether it is applied now.
        const sub = subId ? await this.subscription(subId) : null;
        return function* () {
          const mirrored = yield* mirrorStripeInvoiceIn(ctx, inv);
          // A renewal invoice more than twice the last one is an anomaly, as on the local calendar.
          const anomaly = mirrored ? yield* recordAnomalyIn(ctx, mirrored.invoiceId) : null;
          return [...(anomaly ? [anomaly] : []), ...(sub ? yield* reconcileSubscriptionIn(ctx, sub) : [])];
        };
      }
      case "invoice.payment_failed": {
        const inv = await this.provider.call(() => this.provider.stripe.invoices.retrieve(event.data.object.id!));
        return function* () {
          const mirrored = yield* mirrorStripeInvoiceIn(ctx, inv);
          if (!mirrored) return [];
          const account = (yield* accountInTx(mirrored.accountId))!;
          const number = (yield* invoiceNumberInTx(mirrored.invoiceId)) ?? inv.id;
          // The plan stays as it is; a change waiting for this payment stays pending. The customer is told.
          return [
            () =>
              raiseAccountNotice(ctx.notify, {
                accountId: account.id,
                planId: account.planId,
                ref: `${inv.id}:payment_failed:${inv.attempt_count}`,
                facts: { kind: "payment_failed", planName: ctx.catalog.nameOf(account.planId), severity: "warning", title: "A payment did not go through", text: paymentFailedText(inv, number) },
              }),
          ];
        };
      }
      default:
        return null;
    }
  }
}

/** The `object` of a JSON body, without trusting it (the signature is checked after). */
function objectOf(body: Buffer): unknown {
  try {
    return (JSON.parse(body.toString("utf8")) as { object?: unknown }).object;
  } catch {
    return undefined;
  }
}

/** The signature's timestamp (seconds), for refusing a far-future one (the SDK checks only age). */
function signedAt(header: string): number | null {
  const t = header.split(",").find((p) => p.trim().startsWith("t="));
  const n = t ? Number(t.trim().slice(2)) : NaN;
  return Number.isFinite(n) ? n : null;
}

/**
 * POST /webhooks/stripe: mounted before any JSON body parser, because the signature is over the raw
 * bytes. A bad, stale or far-future signature gets 400 and changes nothing; a failure while
 * processing gets 500, so Stripe delivers the event again.
 */
export function stripeWebhookRoute(opts: { ctx: BillingContext; provider: StripeBillingProvider | null; secret: string | null }): Router {
  const router = express.Router();
  const handler = opts.provider ? new StripeWebhookHandler(opts.ctx, opts.provider) : null;
  const problem = (status: number, title: string, detail: string) => ({ type: "about:blank", title, status, detail });
  router.post("/webhooks/stripe", express.raw({ type: "application/json", limit: "1mb" }), async (req, res) => {
    if (!handler || !opts.provider || !opts.secret) {
      res.status(404).type("application/problem+json").json(problem(404, "Stripe webhooks are not configured", "Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to receive Stripe events."));
      return;
    }
    const header = req.headers["stripe-signature"];
    if (typeof header !== "string" || !Buffer.isBuffer(req.body)) {
      res.status(400).type("application/problem+json").json(problem(400, "Missing signature", "A Stripe-Signature header and a JSON body are required."));
      return;
    }
    const nowMs = opts.ctx.clock.now();
    let event: Stripe.Event | ThinEvent;
    try {
      const t = signedAt(header);
      if (t !== null && t > nowMs / 1000 + WEBHOOK_TOLERANCE_S) throw new Error("signature timestamp is in the future");
      // Snapshot events (object "event") carry their object; thin events ("v2.core.event", from an event
      // destination) only their id, and the SDK verifies them with parseEventNotification.
      if (objectOf(req.body) === "v2.core.event") {
        const n = opts.provider.stripe.parseEventNotification(req.body, header, opts.secret, WEBHOOK_TOLERANCE_S, undefined, nowMs);
        event = { id: n.id, object: "v2.core.event", type: n.type, created: String(n.created) };
      } else {
        event = opts.provider.stripe.webhooks.constructEvent(req.body, header, opts.secret, WEBHOOK_TOLERANCE_S, undefined, nowMs);
      }
    } catch (err) {
      opts.ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "stripe webhook refused");
      res.status(400).type("application/problem+json").json(problem(400, "Invalid signature", "The Stripe-Signature header does not match this body, or it is too old or too far in the future."));
      return;
    }
    try {
      const result = event.object === "v2.core.event" ? await handler.handleThin(event) : await handler.handle(event);
      res.json({ received: true, result });
    } catch (err) {
      opts.ctx.logger.error({ err, eventId: event.id, type: event.type }, "stripe webhook failed; Stripe will retry it");
      res.status(500).type("application/problem+json").json(problem(500, "Not processed", "The event was not processed; it will be accepted when Stripe sends it again."));
    }
  });
  return router;
}

