import type DodoPayments from "dodopayments";
import type { Subscription } from "dodopayments/resources/subscriptions";
import type { Catalog } from "../../../shared/catalog";
import { formatMoney } from "../../../shared/money";
import type { BillingInterval, PlanId } from "../../../shared/plans";
import type { AccountRow } from "../../db/queries/stripe";
import type { Unit } from "../../db/queries/unit";
import { DomainError } from "../../lib/domain-error";
import type {
  BillingProvider,
  ChargeResult,
  CollectionPauseReport,
  InvoiceDraft,
  InvoiceMirror,
  InvoiceRow,
  LineDraft,
  PlanChangeRow,
  QuoteRow,
  RemoteApplyOutcome,
  RemoteBilling,
  RemotePricing,
} from "../billing-provider";
import { LocalBillingProvider } from "../local-provider";
import { dodoMessage, isDodoRefusal, isDodoUnavailable, unavailable } from "./dodo-client";
import { DodoProductBook } from "./dodo-products";

/** How Dodo charges a change made now. https://docs.dodopayments.com/developer-resources/subscription-upgrade-downgrade */
export type DodoProrationMode = "prorated_immediately" | "difference_immediately" | "full_immediately";

export interface DodoProviderOptions {
  catalog: Catalog;
  /** The portal's base URL, for return links from checkout and the customer portal. */
  baseUrl: () => string;
  /** DODO_PAYMENTS_PRORATION. */
  prorationMode: DodoProrationMode;
  /** Per plan change call (ms); past it the outcome is unknown and is reconciled by re-reading. */
  changeTimeoutMs?: number;
}

/** What the quote keeps of a Dodo preview, to send unchanged at confirmation (quotes.stripe_items_json). */
interface DodoChange {
  product_id: string;
  quantity: number;
}

const ms = (iso: string) => Date.parse(iso);
/** A subscription in one of these no longer bills: the account has none to change. */
const ENDED = new Set(["cancelled", "expired", "failed"]);

/**
 * Billing through Dodo Payments (a merchant of record). A change now is priced by
 * subscriptions.previewChangePlan with the operator's proration mode and applied with
 * subscriptions.changePlan, `on_payment_failure: prevent_change`, with the same product, quantity
 * and mode. Dodo documents no idempotency key for a plan change, so the call goes out once (SDK
 * retries off); when its answer is lost the change stays "applying" and is reconciled by re-reading
 * the subscription (its product and scheduled change) before anything is sent again. Downgrades are
 * scheduled with `effective_at: next_billing_date`. Payments Dodo takes are mirrored into the local
 * ledger.
 *
 * https://docs.dodopayments.com/api-reference/subscriptions/change-plan
 * https://docs.dodopayments.com/api-reference/subscriptions/preview-change-plan
 */
export class DodoBillingProvider implements BillingProvider, RemoteBilling {
  readonly name = "dodo" as const;
  readonly ledger = new LocalBillingProvider();
  readonly products: DodoProductBook;

  constructor(
    readonly dodo: DodoPayments,
    private readonly options: DodoProviderOptions,
  ) {
    this.products = new DodoProductBook(dodo);
  }

  get remote(): RemoteBilling {
    return this;
  }

  get prorationMode(): DodoProrationMode {
    return this.options.prorationMode;
  }

  invoice(draft: InvoiceDraft, nowMs: number): Unit<ChargeResult> {
    return this.ledger.invoice(draft, nowMs);
  }

  /** A read: the SDK's retries apply; past them Dodo is unavailable. */
  async read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDodoUnavailable(err)) throw unavailable(err);
      throw err;
    }
  }

  subscription(id: string): Promise<Subscription> {
    return this.read(() => this.dodo.subscriptions.retrieve(id));
  }

  /**
   * The account's subscription while Dodo can change its plan (active); null when there is none to
   * change (never one, or it ended: a checkout starts a new one). One on hold or paused still bills:
   * its plan cannot change until it is active again, and a second subscription must not be started.
   */
  async liveSubscription(account: Pick<AccountRow, "stripeSubscriptionId">): Promise<Subscription | null> {
    if (!account.stripeSubscriptionId) return null;
    const sub = await this.subscription(account.stripeSubscriptionId);
    if (sub.status === "active") return sub;
    if (ENDED.has(sub.status)) return null;
    const link = await this.portalLink(sub.customer.customer_id).catch(() => null);
    throw new DomainError(
      "PRECONDITION_FAILED",
      `Your subscription is ${sub.status === "on_hold" ? "on hold after a payment that did not go through" : sub.status}, so its plan cannot change now. Nothing was charged and your plan is unchanged.${sub.status === "on_hold" ? ` ${link ? `Update your payment method at ${link}` : "Update your payment method in Dodo's customer portal"}, then try again.` : ""}`,
    );
  }

  private planAt(planId: PlanId, version?: number) {
    return version === undefined ? this.options.catalog.plan(planId) : this.options.catalog.planAt(planId, version);
  }

  /** Dodo's preview of a change now; a refusal (a subscription on hold, a product Dodo does not take) is the customer's clear error. */
  private async preview(subscriptionId: string, change: DodoChange, mode: DodoProrationMode) {
    try {
      return await this.read(() => this.dodo.subscriptions.previewChangePlan(subscriptionId, { ...change, proration_billing_mode: mode, effective_at: "immediately" }));
    } catch (err) {
      if (isDodoRefusal(err)) throw new DomainError("PRECONDITION_FAILED", `Dodo Payments cannot price this change now: ${dodoMessage(err)}. Nothing was charged and your plan is unchanged.`);
      throw err;
    }
  }

  /**
   * Dodo's numbers for a change charged now: its line items (the new plan for the part of the period
   * it bills), the credit for the unused part of the current plan (customer_credits), and the tax a
   * merchant of record adds, as the quote's lines; the amount due now is Dodo's total.
   */
  async priceChange(account: AccountRow, change: { toPlanId: string; toPlanVersion?: number; toInterval?: BillingInterval; timing: "now" | "period_end"; atMs: number }): Promise<RemotePricing | null> {
    if (change.timing !== "now" || !this.options.catalog.has(change.toPlanId) || this.planAt(change.toPlanId, change.toPlanVersion).priceMinor === 0) return null;
    const sub = await this.liveSubscription(account);
    if (!sub) return null;
    const wanted: DodoChange = { product_id: await this.products.productFor(change.toPlanId, change.toInterval ?? account.billingInterval, change.toPlanVersion), quantity: 1 };
    const preview = await this.preview(sub.subscription_id, wanted, this.options.prorationMode);
    const lines = linesOfPreview(preview.immediate_charge, ms(sub.previous_billing_date), ms(sub.next_billing_date));
    return {
      // Dodo prorates at the second it is asked; the quote records when it asked.
      prorationAtMs: change.atMs,
      periodStartMs: ms(sub.previous_billing_date),
      periodEndMs: ms(sub.next_billing_date),
      creditMinor: lines.filter((l) => l.amountMinor < 0).reduce((s, l) => s + l.amountMinor, 0),
      chargeMinor: lines.filter((l) => l.amountMinor > 0).reduce((s, l) => s + l.amountMinor, 0),
      amountDueNowMinor: Math.max(0, preview.immediate_charge.summary.total_amount),
      lines,
      subscriptionId: sub.subscription_id,
      itemsJson: JSON.stringify(wanted),
      prorationBehavior: this.options.prorationMode,
    };
  }

  async repriceQuote(_account: AccountRow, quote: QuoteRow): Promise<number> {
    if (!quote.stripeSubscriptionId || !quote.stripeItemsJson) return quote.amountDueNowMinor;
    const preview = await this.preview(quote.stripeSubscriptionId, JSON.parse(quote.stripeItemsJson) as DodoChange, modeOf(quote));
    return Math.max(0, preview.immediate_charge.summary.total_amount);
  }

  async applyChange(account: AccountRow, change: PlanChangeRow, quote: QuoteRow, _key: string): Promise<RemoteApplyOutcome> {
    const what = `your switch to the ${this.options.catalog.nameOf(quote.toPlanId)} plan`;
    try {
      // Overage is billed by the usage events sent with the opt-in (dodo-usage.ts): nothing to change at Dodo.
      if (quote.kind !== "plan_change") return { kind: "applied", invoice: null };
      if (quote.timing === "period_end") return await this.scheduleDowngrade(account, change, quote);
      return await this.changeNow(account, change, quote, what);
    } catch (err) {
      if (isDodoRefusal(err)) return { kind: "failed", message: `Dodo Payments refused ${what}: ${dodoMessage(err)}. Nothing was charged and your plan is unchanged.` };
      if (err instanceof DomainError) return { kind: "failed", message: err.message };
      if (isDodoUnavailable(err)) throw unavailable(err);
      throw err;
    }
  }

  /** The change the quote previewed, on the subscription it previewed. */
  private previewed(quote: QuoteRow, sub: Subscription): DodoChange | null {
    if (quote.pricedBy !== "stripe" || quote.stripeSubscriptionId !== sub.subscription_id || !quote.stripeItemsJson) return null;
    return JSON.parse(quote.stripeItemsJson) as DodoChange;
  }

  private async changeNow(account: AccountRow, change: PlanChangeRow, quote: QuoteRow, what: string): Promise<RemoteApplyOutcome> {
    const sub = await this.liveSubscription(account);
    if (this.planAt(quote.toPlanId as PlanId, quote.toPlanVersion).priceMinor === 0) {
      // Leaving a paid plan for Free now: the subscription ends at its billing date, nothing charged now.
      if (sub && !sub.cancel_at_next_billing_date) await this.read(() => this.dodo.subscriptions.update(sub.subscription_id, { cancel_at_next_billing_date: true }));
      return { kind: "applied", invoice: null, subscriptionId: sub ? sub.subscription_id : null };
    }
    if (!sub) return this.startCheckout(account, change, quote);
    const wanted = this.previewed(quote, sub);
    if (!wanted) return { kind: "failed", message: `The preview of ${what} no longer matches your subscription. Nothing was charged and your plan is unchanged; please preview the change again.` };
    // Sent before and its answer lost (a crash, a timeout): what Dodo holds decides, nothing is sent twice.
    if (change.providerSentAtMs !== null && sub.product_id === wanted.product_id) return this.applied(sub, quote, await this.paymentSince(sub.subscription_id, change.providerSentAtMs));
    let paymentId: string | null = null;
    try {
      // No idempotency key exists for this call: the SDK must not resend it by itself.
      const answer = await this.dodo.subscriptions.changePlan(
        sub.subscription_id,
        { ...wanted, proration_billing_mode: modeOf(quote), effective_at: "immediately", on_payment_failure: "prevent_change", ...(sub.scheduled_change ? { cancel_scheduled_change_plan: true } : {}) },
        { maxRetries: 0, ...(this.options.changeTimeoutMs ? { timeout: this.options.changeTimeoutMs } : {}) },
      );
      paymentId = answer.payment_id ?? null;
    } catch (err) {
      // 409: a change of this subscription already waits for its payment (ours, sent before): re-read below.
      if (!(isDodoRefusal(err) && err.status === 409 && change.providerSentAtMs !== null)) throw err;
    }
    const after = await this.subscription(sub.subscription_id);
    if (after.product_id === wanted.product_id) return this.applied(after, quote, paymentId);
    // prevent_change: the payment failed, the subscription keeps its plan until it is paid.
    const payment = paymentId ? await this.read(() => this.dodo.payments.retrieve(paymentId!)) : null;
    const link = await this.portalLink(after.customer.customer_id).catch(() => null);
    const reason = payment?.error_message ? ` (${payment.error_message.replace(/\.$/, "")})` : "";
    return {
      kind: "payment_pending",
      invoice: null,
      message: `The payment of ${formatMoney(quote.amountDueNowMinor, quote.currency)} for ${what} did not go through${reason}, so your plan is unchanged. ${link ? `Update your payment method at ${link}; ` : "Update your payment method in Dodo's customer portal; "}the switch happens once the payment goes through, for the amount you agreed to.`,
    };
  }

  /**
   * The payment Dodo took for a change whose answer was lost: the subscription's latest successful
   * payment made since the change was sent (its receipt is mirrored like the answered one's).
   */
  private async paymentSince(subscriptionId: string, sentAtMs: number): Promise<string | null> {
    return this.read(async () => {
      let latest: { id: string; atMs: number } | null = null;
      for await (const p of this.dodo.payments.list({ subscription_id: subscriptionId, status: "succeeded", created_at_gte: new Date(sentAtMs - 60_000).toISOString() })) {
        const atMs = Date.parse(p.created_at);
        if (!latest || atMs > latest.atMs) latest = { id: p.payment_id, atMs };
      }
      return latest?.id ?? null;
    });
  }

  /** The change is on the subscription: the payment that settled it becomes the local invoice. */
  private async applied(sub: Subscription, quote: QuoteRow, paymentId: string | null = null): Promise<RemoteApplyOutcome> {
    let invoice: InvoiceMirror | null = null;
    if (paymentId) {
      const payment = await this.read(() => this.dodo.payments.retrieve(paymentId));
      invoice = {
        remoteId: payment.payment_id,
        totalMinor: payment.total_amount,
        currency: payment.currency.toUpperCase(),
        status: payment.status === "succeeded" ? "paid" : "open",
        periodStartMs: quote.prorationAtMs,
        periodEndMs: ms(sub.next_billing_date),
        lines: JSON.parse(quote.linesJson) as LineDraft[],
      };
    }
    return { kind: "applied", invoice, subscriptionId: sub.subscription_id };
  }

  /** No subscription yet: Dodo's hosted checkout; the plan changes when Dodo reports the subscription active. */
  private async startCheckout(account: AccountRow, change: PlanChangeRow, quote: QuoteRow): Promise<RemoteApplyOutcome> {
    const product = await this.products.productFor(quote.toPlanId as PlanId, quote.toInterval, quote.toPlanVersion);
    const portal = this.options.baseUrl();
    const customerId = account.stripeCustomerId ?? (await this.customerFor(account));
    const session = await this.dodo.checkoutSessions.create(
      {
        product_cart: [{ product_id: product, quantity: 1 }],
        customer: { customer_id: customerId },
        metadata: { headroom_account_id: account.id, headroom_plan_change_id: change.id, headroom_quote_id: quote.id },
        return_url: `${portal}/billing?checkout=complete`,
      },
      // A session that was never answered never reached the customer: a new one cannot be paid twice.
      { maxRetries: 0 },
    );
    if (!session.checkout_url) throw new DomainError("PRECONDITION_FAILED", "Dodo Payments did not return a payment page. Nothing was charged; please try again.");
    return { kind: "payment_required", ref: `checkout:${session.session_id}`, checkoutUrl: session.checkout_url };
  }

  /**
   * The Dodo customer a checkout is made for: one carrying the account id in its metadata (found again
   * by e-mail on a retry), so the subscription the checkout creates is tied to the account by its
   * customer whatever else Dodo copies onto it.
   */
  private async customerFor(account: AccountRow): Promise<string> {
    const found = await this.read(async () => {
      for await (const c of this.dodo.customers.list({ email: account.email })) if (c.metadata?.headroom_account_id === account.id) return c.customer_id;
      return null;
    });
    if (found) return found;
    const created = await this.read(() => this.dodo.customers.create({ email: account.email, name: account.name || account.email, metadata: { headroom_account_id: account.id } }));
    return created.customer_id;
  }

  /**
   * A downgrade at the next billing date (`effective_at: next_billing_date`), or, to Free, the
   * subscription cancelled at that date. Re-read first: a schedule already there for this product is
   * the one sent before.
   */
  private async scheduleDowngrade(account: AccountRow, change: PlanChangeRow, quote: QuoteRow): Promise<RemoteApplyOutcome> {
    const sub = await this.liveSubscription(account);
    if (!sub) return { kind: "scheduled", ref: null };
    if (this.planAt(quote.toPlanId as PlanId, quote.toPlanVersion).priceMinor === 0) {
      if (sub.scheduled_change) await this.dropSchedule(sub.subscription_id);
      if (!sub.cancel_at_next_billing_date) await this.read(() => this.dodo.subscriptions.update(sub.subscription_id, { cancel_at_next_billing_date: true }));
      return { kind: "scheduled", ref: `cancel_at_next_billing_date:${sub.subscription_id}` };
    }
    const product = await this.products.productFor(quote.toPlanId as PlanId, quote.toInterval, quote.toPlanVersion);
    if (sub.scheduled_change?.product_id === product) return { kind: "scheduled", ref: `scheduled:${sub.subscription_id}` };
    try {
      await this.dodo.subscriptions.changePlan(
        sub.subscription_id,
        { product_id: product, quantity: 1, proration_billing_mode: this.options.prorationMode, effective_at: "next_billing_date", ...(sub.scheduled_change ? { cancel_scheduled_change_plan: true } : {}) },
        { maxRetries: 0 },
      );
    } catch (err) {
      if (!isDodoUnavailable(err) || change.providerSentAtMs !== null) throw err;
      // Lost answer: the schedule is read back once before the change is left to the worker.
      const now = await this.subscription(sub.subscription_id);
      if (now.scheduled_change?.product_id !== product) throw err;
    }
    return { kind: "scheduled", ref: `scheduled:${sub.subscription_id}` };
  }

  async cancelScheduledChange(_account: AccountRow, change: PlanChangeRow, _key: string): Promise<void> {
    const [kind, id] = (change.providerRef ?? "").split(/:(.*)/s) as [string, string | undefined];
    if (!id) return;
    try {
      const sub = await this.subscription(id);
      if (kind === "scheduled" && sub.scheduled_change) await this.dropSchedule(id);
      if (kind === "cancel_at_next_billing_date" && sub.cancel_at_next_billing_date) await this.read(() => this.dodo.subscriptions.update(id, { cancel_at_next_billing_date: false }));
    } catch (err) {
      if (isDodoRefusal(err)) throw new DomainError("PRECONDITION_FAILED", `Dodo Payments could not cancel the scheduled change (${dodoMessage(err)}). It is still scheduled; please contact us.`);
      throw err;
    }
  }

  /**
   * Deletes the subscription's scheduled change. A 404 after a retry whose first answer was lost is
   * the delete done: the subscription is read again to be sure.
   */
  private async dropSchedule(subscriptionId: string): Promise<void> {
    try {
      await this.read(() => this.dodo.subscriptions.cancelChangePlan(subscriptionId));
    } catch (err) {
      if (!(isDodoRefusal(err) && err.status === 404) || (await this.subscription(subscriptionId)).scheduled_change) throw err;
    }
  }

  /** A link to Dodo's customer portal (payment methods, invoices) for a customer. */
  async portalLink(customerId: string): Promise<string> {
    const session = await this.read(() => this.dodo.customers.customerPortal.create(customerId, { return_url: `${this.options.baseUrl()}/billing` }));
    return session.link;
  }

  /**
   * Billing paused: each subscription is paused at Dodo (or resumed), re-read first so one already as
   * asked is not sent again; one that fails is reported and the others go on.
   */
  async setCollectionPaused(subscriptions: ReadonlyArray<{ accountId: string; subscriptionId: string }>, paused: boolean, _key: string): Promise<CollectionPauseReport> {
    const report: CollectionPauseReport = { done: 0, failed: [] };
    for (const { accountId, subscriptionId } of subscriptions) {
      try {
        const sub = await this.subscription(subscriptionId);
        const isPaused = sub.status === "paused" || Boolean(sub.paused_at);
        if (isPaused !== paused && (sub.status === "active" || sub.status === "paused")) await this.read(() => this.dodo.subscriptions.update(subscriptionId, { pause: paused }));
        report.done++;
      } catch (err) {
        report.failed.push({ accountId, subscriptionId, message: dodoMessage(err) });
      }
    }
    return report;
  }

  /** Refunds a payment in full (Dodo refunds a part by line item; a partial refund is made in Dodo's dashboard). */
  async refund(invoice: InvoiceRow, amountMinor: number, key: string, reason: string): Promise<{ refundId: string }> {
    if (!invoice.stripeInvoiceId) throw new DomainError("PRECONDITION_FAILED", `${invoice.number} was not paid through Dodo Payments, so there is no payment to refund.`);
    if (amountMinor !== invoice.totalMinor) throw new DomainError("PRECONDITION_FAILED", `Dodo Payments refunds ${invoice.number} in full here (${formatMoney(invoice.totalMinor, invoice.currency)}); a partial refund is made in Dodo's dashboard.`);
    const paymentId = invoice.stripeInvoiceId;
    // Our key rides in the refund's metadata: a refund made before (its answer lost) is found, not made twice.
    const made = await this.read(async () => {
      const payment = await this.dodo.payments.retrieve(paymentId);
      for await (const r of this.dodo.refunds.list({ customer_id: payment.customer.customer_id })) {
        if (r.payment_id !== paymentId || r.status === "failed") continue;
        const full = await this.dodo.refunds.retrieve(r.refund_id);
        if (full.metadata?.headroom_key === key) return full.refund_id;
      }
      return null;
    });
    if (made) return { refundId: made };
    try {
      const refund = await this.dodo.refunds.create({ payment_id: paymentId, reason: reason.slice(0, 450), metadata: { headroom_key: key, headroom_invoice: invoice.number } }, { maxRetries: 0 });
      return { refundId: refund.refund_id };
    } catch (err) {
      if (isDodoRefusal(err)) throw new DomainError("PRECONDITION_FAILED", `Dodo Payments refused the refund: ${dodoMessage(err)}`);
      if (isDodoUnavailable(err)) throw unavailable(err);
      throw err;
    }
  }
}

/** The proration mode a quote was previewed with (stored in its stripe_proration_behavior column). */
function modeOf(quote: QuoteRow): DodoProrationMode {
  const m = quote.stripeProrationBehavior;
  return m === "difference_immediately" || m === "full_immediately" ? m : "prorated_immediately";
}

type ImmediateCharge = Awaited<ReturnType<DodoPayments["subscriptions"]["previewChangePlan"]>>["immediate_charge"];

/**
 * A Dodo preview as the quote's lines: each line item (the new plan for the part of the period Dodo
 * bills; metered usage), the credit for the current plan's unused time (customer_credits, negative
 * when it offsets the charge), and the tax. They add up to Dodo's total_amount.
 */
export function linesOfPreview(charge: ImmediateCharge, periodStartMs: number, periodEndMs: number): LineDraft[] {
  const lines: LineDraft[] = [];
  for (const item of charge.line_items) {
    if (item.type === "meter") {
      lines.push({ kind: "metered", description: item.name, quantity: 1, amountMinor: item.subtotal });
      continue;
    }
    const factor = item.proration_factor;
    const amount = Math.round(item.unit_price * item.quantity * factor);
    const name = item.name ?? "Plan";
    const part = factor < 1 ? ` (${(factor * 100).toFixed(1)}% of the period)` : "";
    lines.push({ kind: factor < 1 ? "proration_charge" : "plan", description: `${name}${part}`, quantity: item.quantity, amountMinor: amount, periodStartMs, periodEndMs });
  }
  const summary = charge.summary;
  if (summary.customer_credits < 0) lines.push({ kind: "proration_credit", description: "Credit for the unused time on your current plan", quantity: 1, amountMinor: summary.customer_credits });
  if (summary.tax) lines.push({ kind: "proration_charge", description: "Tax", quantity: 1, amountMinor: summary.tax });
  return lines;
}
