import type Stripe from "stripe";
import type { Unit } from "../../db/queries/unit";
import { formatDateUtc } from "../../../shared/messages";
import { formatMoney } from "../../../shared/money";
import type { Catalog } from "../../../shared/catalog";
import type { BillingInterval, PlanId } from "../../../shared/plans";
import type { AccountRow } from "../../db/queries/stripe";
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
import { planOfPrice, StripePriceBook } from "./stripe-catalog";
import { DEFAULT_RETRY, isStripeRefusal, plainStripeRefusal, stripeMutation, withStripeRetries, type Reread, type RetryPolicy } from "./stripe-client";

export interface StripeProviderOptions {
  retry?: RetryPolicy;
  /** The portal's base URL, for Checkout's return links. */
  baseUrl: () => string;
  /** The plans whose prices the subscriptions carry. */
  catalog: Catalog;
}

type UpdateItem = { id?: string; price: string; quantity?: number };

const LIVE = new Set(["active", "trialing", "past_due", "unpaid", "incomplete", "paused"]);
const sec = (ms: number) => Math.floor(ms / 1000);
const priceIdOf = (p: string | { id: string }) => (typeof p === "string" ? p : p.id);

/** Whether subscription items already carry every item of an update (an item by id with its new price, a new item by its price). */
export function itemsReflect(current: readonly Pick<Stripe.SubscriptionItem, "id" | "price">[], update: readonly UpdateItem[]): boolean {
  return update.every((u) => current.some((i) => (u.id === undefined || i.id === u.id) && priceIdOf(i.price) === u.price));
}

/** A subscription's state as far as a retried change is concerned: its items, its pending update, its latest invoice. */
function subscriptionState(sub: Stripe.Subscription): string {
  const items = (list: readonly Pick<Stripe.SubscriptionItem, "id" | "price">[]) => list.map((i) => `${i.id}=${priceIdOf(i.price)}`).join(",");
  const latest = sub.latest_invoice === null ? "-" : priceIdOf(sub.latest_invoice);
  return `${sub.status}|${items(sub.items.data)}|${sub.pending_update ? items(sub.pending_update.subscription_items ?? []) : "-"}|${latest}|${sub.cancel_at_period_end}|${priceIdOf(sub.schedule ?? "-")}`;
}

/** A Stripe invoice as a local invoice: lines in minor units, prorations marked as such. */
export function invoiceMirrorOf(inv: Stripe.Invoice): InvoiceMirror {
  const lines: LineDraft[] = inv.lines.data.map((l) => {
    const proration = l.parent?.subscription_item_details?.proration === true || l.parent?.invoice_item_details?.proration === true;
    return {
      kind: proration ? (l.amount < 0 ? "proration_credit" : "proration_charge") : "plan",
      description: l.description ?? "",
      quantity: l.quantity ?? 1,
      amountMinor: l.amount,
      periodStartMs: l.period.start * 1000,
      periodEndMs: l.period.end * 1000,
    };
  });
  const starts = lines.map((l) => l.periodStartMs!).filter(Number.isFinite);
  const ends = lines.map((l) => l.periodEndMs!).filter(Number.isFinite);
  return {
    remoteId: inv.id,
    totalMinor: inv.total,
    currency: inv.currency.toUpperCase(),
    status: inv.status === "paid" ? "paid" : inv.status === "void" || inv.status === "uncollectible" ? "void" : "open",
    periodStartMs: starts.length ? Math.min(...starts) : inv.period_start * 1000,
    periodEndMs: ends.length ? Math.max(...ends) : inv.period_end * 1000,
    lines,
  };
}

/** The subscription's item that carries the plan's monthly price (one of ours by lookup key, else the first licensed one). */
export function baseItemOf(sub: Stripe.Subscription): Stripe.SubscriptionItem | null {
  return sub.items.data.find((i) => planOfPrice(i.price) !== null) ?? sub.items.data.find((i) => i.price.recurring?.usage_type !== "metered") ?? null;
}

/**
 * Billing through the provider's Stripe account. Invoices Stripe issues are mirrored into the local
 * ledger (so the portal and console read one table); plan changes are previewed with
 * invoices.createPreview and applied with subscriptions.update at the previewed proration_date,
 * always with the idempotency key stored with the consent.
 */
export class StripeBillingProvider implements BillingProvider, RemoteBilling {
  readonly name = "stripe" as const;
  /** The local ledger: mirrored invoices. */
  readonly ledger = new LocalBillingProvider();
  readonly prices: StripePriceBook;
  readonly retry: RetryPolicy;

  constructor(
    readonly stripe: Stripe,
    private readonly options: StripeProviderOptions,
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.prices = new StripePriceBook(stripe, this.retry, options.catalog);
  }

  get remote(): RemoteBilling {
    return this;
  }

  invoice(draft: InvoiceDraft, nowMs: number): Unit<ChargeResult> {
    return this.ledger.invoice(draft, nowMs);
  }

  /** Every Stripe call: retried with the same idempotency key on network errors, timeouts, 409, 429 and 5xx. */
  call<T>(fn: () => Promise<T>): Promise<T> {
    return withStripeRetries(fn, this.retry);
  }

  /** A mutating call that stays correct after a 5xx Stripe saved for its key, or after Stripe forgot the key (see stripeMutation). */
  mutate<T>(key: string, send: (key: string) => Promise<T>, reread: () => Promise<Reread<T>>, opts: { resend?: boolean } = {}): Promise<T> {
    return stripeMutation(this.retry, key, send, reread, opts);
  }

  private readSubscription(id: string, expandInvoice = false): Promise<Stripe.Subscription> {
    return this.call(() => this.stripe.subscriptions.retrieve(id, expandInvoice ? { expand: ["latest_invoice"] } : {}));
  }

  /** Re-reads a subscription: done when `made` holds, else its state. */
  private rereadSubscription(id: string, made: (sub: Stripe.Subscription) => boolean, expandInvoice = false): () => Promise<Reread<Stripe.Subscription>> {
    return async () => {
      const now = await this.readSubscription(id, expandInvoice);
      return made(now) ? { done: now } : { state: subscriptionState(now) };
    };
  }

  /** The account's subscription if it still bills (not canceled, not expired). */
  async liveSubscription(account: Pick<AccountRow, "stripeSubscriptionId">): Promise<Stripe.Subscription | null> {
    if (!account.stripeSubscriptionId) return null;
    const sub = await this.call(() => this.stripe.subscriptions.retrieve(account.stripeSubscriptionId!));
    return LIVE.has(sub.status) ? sub : null;
  }

  /**
   * The metered prices to put on a subscription, each on the item already counting its Stripe meter
   * when there is one (two items on one meter would bill its usage twice), else as a new item. A
   * price already on the subscription needs nothing.
   */
  private async meteredItems(sub: Stripe.Subscription, prices: readonly string[], skip: readonly string[] = []): Promise<UpdateItem[]> {
    const items: UpdateItem[] = [];
    for (const price of prices) {
      if (sub.items.data.some((i) => i.price.id === price)) continue;
      const meter = (await this.prices.price(price))?.recurring?.meter ?? null;
      const sameMeter = meter ? sub.items.data.find((i) => !skip.includes(i.id) && i.price.recurring?.meter === meter) : undefined;
      // Metered items of a former plan stay (pending updates cannot remove items); their meter gets no more events.
      items.push(sameMeter ? { id: sameMeter.id, price } : { price });
    }
    return items;
  }

  /**
   * The items of a change now: the base item switched to the new plan version's price (in the interval
   * chosen), plus the metered price of each meter that version bills usage on.
   */
  private async upgradeItems(sub: Stripe.Subscription, to: { planId: PlanId; version?: number; interval: BillingInterval }): Promise<UpdateItem[]> {
    const base = baseItemOf(sub);
    if (!base) throw new DomainError("PRECONDITION_FAILED", "Your Stripe subscription has no plan item to change. Please contact us.");
    const metered = await this.prices.meteredPrices(to.planId, to.interval, to.version);
    return [{ id: base.id, price: await this.prices.basePrice(to.planId, to.interval, to.version) }, ...(await this.meteredItems(sub, metered, [base.id]))];
  }

  /**
   * The subscription's items would bill in more than one interval after the change (a yearly plan
   * price with usage billed monthly): Stripe allows that only in flexible billing mode.
   */
  private async mixesIntervals(sub: Stripe.Subscription, items: UpdateItem[]): Promise<boolean> {
    const intervals = new Set<string>();
    for (const i of sub.items.data) if (!items.some((u) => u.id === i.id)) intervals.add(i.price.recurring?.interval ?? "month");
    for (const u of items) intervals.add((await this.prices.price(u.price))?.recurring?.interval ?? "month");
    return intervals.size > 1;
  }

  private isFlexible(sub: Stripe.Subscription): boolean {
    return sub.billing_mode?.type === "flexible";
  }

  /**
   * A classic subscription cannot hold mixed intervals: it is moved to flexible billing mode when the
   * change is applied, so its preview is made as flexible too (nothing is changed by a preview).
   */
  private async previewMode(sub: Stripe.Subscription, items: UpdateItem[]): Promise<"flexible" | null> {
    return !this.isFlexible(sub) && (await this.mixesIntervals(sub, items)) ? "flexible" : null;
  }

  private preview(customer: string, subscription: string, items: UpdateItem[], behavior: RemotePricing["prorationBehavior"], prorationDate: number, mode: "flexible" | null = null): Promise<Stripe.Invoice> {
    return this.call(() =>
      this.stripe.invoices.createPreview({
        customer,
        subscription,
        subscription_details: { items, proration_behavior: behavior, proration_date: prorationDate, ...(mode ? { billing_mode: { type: mode } } : {}) },
      }),
    );
  }

  /**
   * Stripe's numbers for a change charged now. The same interval: the proration of the remaining
   * period. Another interval: Stripe credits the unused time, charges the new interval's full price
   * and resets the billing date to the change by itself — no `billing_cycle_anchor` is sent (Stripe
   * requires none for an interval change, and it must not be combined with the `proration_date`
   * that makes the charge exactly the previewed one).
   */
  async priceChange(account: AccountRow, change: { toPlanId: string; toPlanVersion?: number; toInterval?: BillingInterval; timing: "now" | "period_end"; atMs: number }): Promise<RemotePricing | null> {
    // Nothing charged now (a downgrade), or no subscription yet (Checkout shows the full price): the local quote stands.
    if (change.timing !== "now" || !this.options.catalog.has(change.toPlanId) || this.planAt(change.toPlanId, change.toPlanVersion).priceMinor === 0) return null;
    const sub = await this.liveSubscription(account);
    if (!sub) return null;
    const customer = typeof sub.customer === "string" ? sub.customer : sub.customer.id;
    const items = await this.upgradeItems(sub, { planId: change.toPlanId, version: change.toPlanVersion, interval: change.toInterval ?? account.billingInterval });
    const prorationDate = sec(change.atMs);
    const preview = await this.preview(customer, sub.id, items, "always_invoice", prorationDate, await this.previewMode(sub, items));
    const lines = invoiceMirrorOf(preview).lines.filter((l) => l.amountMinor !== 0 || l.kind !== "plan");
    const base = baseItemOf(sub)!;
    return {
      prorationAtMs: prorationDate * 1000,
      periodStartMs: base.current_period_start * 1000,
      periodEndMs: base.current_period_end * 1000,
      creditMinor: lines.filter((l) => l.amountMinor < 0).reduce((s, l) => s + l.amountMinor, 0),
      // The remaining period at the new price, or (another interval) the new interval's full price.
      chargeMinor: lines.filter((l) => l.amountMinor > 0).reduce((s, l) => s + l.amountMinor, 0),
      amountDueNowMinor: Math.max(0, preview.amount_due),
      lines,
      subscriptionId: sub.id,
      itemsJson: JSON.stringify(items),
      prorationBehavior: "always_invoice",
    };
  }

  async repriceQuote(_account: AccountRow, quote: QuoteRow): Promise<number> {
    if (!quote.stripeSubscriptionId || !quote.stripeItemsJson) return quote.amountDueNowMinor;
    const sub = await this.call(() => this.stripe.subscriptions.retrieve(quote.stripeSubscriptionId!));
    const customer = typeof sub.customer === "string" ? sub.customer : sub.customer.id;
    const behavior = (quote.stripeProrationBehavior ?? "always_invoice") as RemotePricing["prorationBehavior"];
    const items = JSON.parse(quote.stripeItemsJson) as UpdateItem[];
    const preview = await this.preview(customer, sub.id, items, behavior, sec(quote.prorationAtMs), await this.previewMode(sub, items));
    return Math.max(0, preview.amount_due);
  }

  async applyChange(account: AccountRow, change: PlanChangeRow, quote: QuoteRow, key: string): Promise<RemoteApplyOutcome> {
    const what = `your switch to the ${this.options.catalog.nameOf(quote.toPlanId)} plan`;
    try {
      if (quote.kind === "overage_opt_out") return { kind: "applied", invoice: null };
      if (quote.kind === "overage_opt_in") return await this.addOverageItem(account, quote, key);
      if (quote.timing === "period_end") return await this.scheduleDowngrade(account, quote, key);
      return await this.changeNow(account, change, quote, key, what);
    } catch (err) {
      // A 4xx: Stripe said no. Network errors and 5xx were retried; past that the outcome is unknown and the change stays "applying".
      if (isStripeRefusal(err)) return { kind: "failed", message: plainStripeRefusal(err, what) };
      if (err instanceof DomainError) return { kind: "failed", message: err.message };
      throw err;
    }
  }

  private async changeNow(account: AccountRow, change: PlanChangeRow, quote: QuoteRow, key: string, what: string): Promise<RemoteApplyOutcome> {
    const toPlanId = quote.toPlanId as PlanId;
    // Sent before (resumed later): Stripe may have forgotten the key, so each call re-reads first.
    const resend = change.providerSentAtMs !== null;
    const sub = await this.liveSubscription(account);
    if (this.planAt(toPlanId, quote.toPlanVersion).priceMinor === 0) {
      // Leaving grandfathered terms for Free: the subscription ends now, nothing charged.
      if (sub) await this.mutate(key, (k) => this.stripe.subscriptions.cancel(sub.id, { prorate: false }, { idempotencyKey: k }), this.rereadSubscription(sub.id, (s) => !LIVE.has(s.status)), { resend });
      return { kind: "applied", invoice: null, subscriptionId: null };
    }
    if (!sub) return this.startCheckout(account, change, quote, key, resend);
    if (quote.pricedBy !== "stripe" || quote.stripeSubscriptionId !== sub.id || !quote.stripeItemsJson) {
      return { kind: "failed", message: `The preview of ${what} no longer matches your subscription. Nothing was charged and your plan is unchanged; please preview the change again.` };
    }
    const items = JSON.parse(quote.stripeItemsJson) as UpdateItem[];
    // A yearly price with usage billed monthly: the subscription moves to flexible billing mode first (nothing is charged by that).
    if (!this.isFlexible(sub) && (await this.mixesIntervals(sub, items))) {
      await this.mutate(`${key}:flexible`, (k) => this.stripe.subscriptions.migrate(sub.id, { billing_mode: { type: "flexible" } }, { idempotencyKey: k }), this.rereadSubscription(sub.id, (s) => this.isFlexible(s)), { resend });
    }
    const params: Stripe.SubscriptionUpdateParams = {
      items,
      proration_behavior: (quote.stripeProrationBehavior ?? "always_invoice") as RemotePricing["prorationBehavior"],
      proration_date: sec(quote.prorationAtMs),
      // The change happens only if its invoice is paid; otherwise the subscription stays as it was.
      payment_behavior: "pending_if_incomplete",
      expand: ["latest_invoice"],
    };
    // Made already: the subscription carries the new items, or holds them as a pending update.
    const made = (s: Stripe.Subscription) => itemsReflect(s.items.data, items) || (s.pending_update !== null && itemsReflect(s.pending_update.subscription_items ?? [], items));
    const updated = await this.mutate(key, (k) => this.stripe.subscriptions.update(sub.id, params, { idempotencyKey: k }), this.rereadSubscription(sub.id, made, true), { resend });
    const latest = typeof updated.latest_invoice === "object" && updated.latest_invoice !== null ? updated.latest_invoice : null;
    const invoice = latest && latest.billing_reason === "subscription_update" ? invoiceMirrorOf(latest) : null;
    if (updated.pending_update) {
      const expires = formatDateUtc(updated.pending_update.expires_at * 1000);
      return {
        kind: "payment_pending",
        invoice,
        message: `The payment of ${formatMoney(quote.amountDueNowMinor, quote.currency)} for ${what} did not go through, so your plan is unchanged. Stripe keeps the change waiting until ${expires}: if the invoice is paid by then (for example after you update your card), the switch happens for exactly the amount you agreed to; otherwise nothing changes.`,
      };
    }
    // A downgrade waiting at the period end is replaced by this choice, once it has gone through.
    await this.clearPendingDowngrade(sub, key);
    // Another interval: Stripe started a new billing period at the change; the account's period follows it.
    const newBase = quote.toInterval !== quote.fromInterval ? baseItemOf(updated) : null;
    return { kind: "applied", invoice, subscriptionId: updated.id, ...(newBase ? { periodStartMs: newBase.current_period_start * 1000 } : {}) };
  }

  /** Withdraws a downgrade scheduled at Stripe: releases the schedule, or keeps the subscription past the period end. */
  private async clearPendingDowngrade(sub: Stripe.Subscription, key: string, keep: "schedule" | "cancellation" | null = null): Promise<void> {
    const scheduleId = typeof sub.schedule === "string" ? sub.schedule : (sub.schedule?.id ?? null);
    if (scheduleId && keep !== "schedule") {
      const schedule = await this.call(() => this.stripe.subscriptionSchedules.retrieve(scheduleId));
      if (schedule.status === "active" || schedule.status === "not_started") await this.releaseSchedule(scheduleId, `${key}:release`);
    }
    if (sub.cancel_at_period_end && keep !== "cancellation") await this.setCancelAtPeriodEnd(sub.id, false, `${key}:keep`);
  }

  /** Releases a schedule (already read as active or not started). */
  private releaseSchedule(id: string, key: string): Promise<Stripe.SubscriptionSchedule> {
    return this.mutate<Stripe.SubscriptionSchedule>(
      key,
      (k) => this.stripe.subscriptionSchedules.release(id, {}, { idempotencyKey: k }),
      async () => {
        const now = await this.call(() => this.stripe.subscriptionSchedules.retrieve(id));
        return now.status === "active" || now.status === "not_started" ? { state: now.status } : { done: now };
      },
    );
  }

  private setCancelAtPeriodEnd(subscriptionId: string, value: boolean, key: string, resend = false): Promise<Stripe.Subscription> {
    return this.mutate(key, (k) => this.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: value }, { idempotencyKey: k }), this.rereadSubscription(subscriptionId, (s) => s.cancel_at_period_end === value), { resend });
  }

  /** No subscription (a Free customer, no card): Stripe Checkout in subscription mode; the plan changes on checkout.session.completed. */
  private async startCheckout(account: AccountRow, change: PlanChangeRow, quote: QuoteRow, key: string, resend = false): Promise<RemoteApplyOutcome> {
    const toPlanId = quote.toPlanId as PlanId;
    const base = await this.prices.basePrice(toPlanId, quote.toInterval, quote.toPlanVersion);
    const metered = await this.prices.meteredPrices(toPlanId, quote.toInterval, quote.toPlanVersion);
    // A yearly price with usage billed monthly needs flexible billing mode from the start.
    const baseInterval = (await this.prices.price(base))?.recurring?.interval;
    let mixed = false;
    for (const m of metered) if ((await this.prices.price(m))?.recurring?.interval !== baseInterval) mixed = true;
    const metadata = { headroom_account_id: account.id, headroom_plan_change_id: change.id, headroom_quote_id: quote.id };
    const portal = this.options.baseUrl();
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: "subscription",
      ...(account.stripeCustomerId ? { customer: account.stripeCustomerId } : { customer_email: account.email }),
      client_reference_id: account.id,
      line_items: [{ price: base, quantity: 1 }, ...metered.map((price) => ({ price }))],
      metadata,
      subscription_data: { metadata, ...(mixed ? { billing_mode: { type: "flexible" as const } } : {}) },
      success_url: `${portal}/billing?checkout=complete`,
      cancel_url: `${portal}/plans?checkout=cancelled`,
    };
    // A session whose creation failed with a 500 never reached the customer (its URL is its only way in),
    // so a new one, under a new key, cannot be paid twice: there is nothing to re-read.
    const session = await this.mutate(key, (k) => this.stripe.checkout.sessions.create(params, { idempotencyKey: k }), async () => ({ state: `checkout:${change.id}` }), { resend });
    if (!session.url) throw new DomainError("PRECONDITION_FAILED", "Stripe did not return a payment page. Nothing was charged; please try again.");
    return { kind: "payment_required", ref: `checkout:${session.id}`, checkoutUrl: session.url };
  }

  /** A downgrade at the period end: a subscription schedule whose next phase has the new plan (or, to Free, cancel at period end). */
  private async scheduleDowngrade(account: AccountRow, quote: QuoteRow, key: string): Promise<RemoteApplyOutcome> {
    const toPlanId = quote.toPlanId as PlanId;
    const sub = await this.liveSubscription(account);
    if (!sub) return { kind: "scheduled", ref: null };
    if (this.planAt(toPlanId, quote.toPlanVersion).priceMinor === 0) {
      // A schedule would override the cancellation (and Stripe refuses it on a scheduled subscription): it goes first.
      await this.clearPendingDowngrade(sub, key, "cancellation");
      await this.setCancelAtPeriodEnd(sub.id, true, key);
      return { kind: "scheduled", ref: `cancel_at_period_end:${sub.id}` };
    }
    const base = baseItemOf(sub);
    if (!base) throw new DomainError("PRECONDITION_FAILED", "Your Stripe subscription has no plan item to change. Please contact us.");
    await this.clearPendingDowngrade(sub, key, "schedule");
    const existing = typeof sub.schedule === "string" ? sub.schedule : (sub.schedule?.id ?? null);
    const schedule = existing
      ? await this.call(() => this.stripe.subscriptionSchedules.retrieve(existing))
      : await this.mutate<Stripe.SubscriptionSchedule>(
          `${key}:schedule`,
          (k) => this.stripe.subscriptionSchedules.create({ from_subscription: sub.id }, { idempotencyKey: k }),
          async () => {
            const now = await this.readSubscription(sub.id);
            const made = now.schedule === null ? null : priceIdOf(now.schedule);
            return made ? { done: await this.call(() => this.stripe.subscriptionSchedules.retrieve(made)) } : { state: subscriptionState(now) };
          },
        );
    const phaseItem = (i: Stripe.SubscriptionItem) => (i.price.recurring?.usage_type === "metered" ? { price: i.price.id } : { price: i.price.id, quantity: i.quantity ?? 1 });
    // A downgrade keeps the interval (another interval is a change charged now).
    const metered = await this.prices.meteredPrices(toPlanId, quote.toInterval, quote.toPlanVersion);
    const nextItems = [{ price: await this.prices.basePrice(toPlanId, quote.toInterval, quote.toPlanVersion), quantity: 1 }, ...metered.map((price) => ({ price }))];
    const start = schedule.current_phase?.start_date ?? schedule.phases[0]?.start_date ?? base.current_period_start;
    const phases: Stripe.SubscriptionScheduleUpdateParams = {
      end_behavior: "release",
      phases: [
        { items: sub.items.data.map(phaseItem), start_date: start, end_date: base.current_period_end, proration_behavior: "none" },
        { items: nextItems, duration: { interval: quote.toInterval, interval_count: 1 }, proration_behavior: "none" },
      ],
    };
    // Setting the same phases twice changes nothing; after a saved 5xx they are set again under a key of the schedule's state.
    await this.mutate<Stripe.SubscriptionSchedule>(
      `${key}:phases`,
      (k) => this.stripe.subscriptionSchedules.update(schedule.id, phases, { idempotencyKey: k }),
      async () => {
        const now = await this.call(() => this.stripe.subscriptionSchedules.retrieve(schedule.id));
        return { state: JSON.stringify([now.status, now.phases.map((p) => p.items.map((i) => priceIdOf(i.price)))]) };
      },
    );
    return { kind: "scheduled", ref: `schedule:${schedule.id}` };
  }

  /** The overage opt-in: the overage price of every meter the plan bills overage on, on the subscription (one item per Stripe meter). */
  private async addOverageItem(account: AccountRow, quote: QuoteRow, key: string): Promise<RemoteApplyOutcome> {
    const sub = await this.liveSubscription(account);
    if (!sub) return { kind: "failed", message: "Overage billing needs an active Stripe subscription for your plan. Nothing was changed; please contact us." };
    const prices = await this.prices.meteredPrices(quote.toPlanId as PlanId, account.billingInterval, quote.toPlanVersion, "overage");
    if (prices.length === 0) return { kind: "failed", message: "This plan has no overage price in Stripe. Nothing was changed; please contact us." };
    const base = baseItemOf(sub);
    const items = await this.meteredItems(sub, prices, base ? [base.id] : []);
    // An item already on one of these meters (a former plan's) takes the new price in place; the others
    // are added, each with a key of its own that a retry repeats (the default meter's: the quote's key).
    const moved = items.filter((i) => i.id);
    if (moved.length > 0) {
      await this.mutate(`${key}:items`, (k) => this.stripe.subscriptions.update(sub.id, { items: moved, proration_behavior: "none" }, { idempotencyKey: k }), this.rereadSubscription(sub.id, (s) => itemsReflect(s.items.data, moved)));
    }
    for (const item of items.filter((i) => !i.id)) {
      const meter = (await this.prices.price(item.price))?.metadata?.headroom_meter;
      const other = meter !== undefined && meter !== this.options.catalog.defaultMeter.id;
      await this.mutate(
        other ? `${key}:${meter}` : key,
        (k) => this.stripe.subscriptionItems.create({ subscription: sub.id, price: item.price }, { idempotencyKey: k }),
        async () => {
          const now = await this.readSubscription(sub.id);
          const found = now.items.data.find((i) => i.price.id === item.price);
          return found ? { done: found } : { state: subscriptionState(now) };
        },
      );
    }
    return { kind: "applied", invoice: null };
  }

  /** A plan at a version (absent: its current one). */
  private planAt(planId: PlanId, version?: number) {
    return version === undefined ? this.options.catalog.plan(planId) : this.options.catalog.planAt(planId, version);
  }

  async cancelScheduledChange(_account: AccountRow, change: PlanChangeRow, key: string): Promise<void> {
    const [kind, id] = (change.providerRef ?? "").split(/:(.*)/s) as [string, string | undefined];
    try {
      if (kind === "schedule" && id) {
        const schedule = await this.call(() => this.stripe.subscriptionSchedules.retrieve(id));
        if (schedule.status === "active" || schedule.status === "not_started") await this.releaseSchedule(id, key);
      } else if (kind === "cancel_at_period_end" && id) {
        await this.setCancelAtPeriodEnd(id, false, key, true);
      }
    } catch (err) {
      if (isStripeRefusal(err)) throw new DomainError("PRECONDITION_FAILED", `Stripe could not cancel the scheduled change (${err.message}). It is still scheduled; please contact us.`);
      throw err;
    }
  }

  /**
   * Billing paused: Stripe's own renewals must not be charged either. Each live subscription gets
   * pause_collection (keep_as_draft: its invoices wait as drafts, collected when billing resumes),
   * or loses it on resume. Each is re-read first (already as asked: nothing sent), sent under a key of
   * this switch, retried; one that fails is reported and the others go on.
   * https://docs.stripe.com/billing/subscriptions/pause-payment
   */
  async setCollectionPaused(subscriptions: ReadonlyArray<{ accountId: string; subscriptionId: string }>, paused: boolean, key: string): Promise<CollectionPauseReport> {
    const report: CollectionPauseReport = { done: 0, failed: [] };
    const asked = (s: Stripe.Subscription) => !LIVE.has(s.status) || (paused ? s.pause_collection?.behavior === "keep_as_draft" : s.pause_collection === null);
    for (const { accountId, subscriptionId } of subscriptions) {
      try {
        await this.mutate(
          `${key}:${subscriptionId}`,
          (k) => this.stripe.subscriptions.update(subscriptionId, { pause_collection: paused ? { behavior: "keep_as_draft" } : "" }, { idempotencyKey: k }),
          this.rereadSubscription(subscriptionId, asked),
          { resend: true },
        );
        report.done++;
      } catch (err) {
        report.failed.push({ accountId, subscriptionId, message: err instanceof Error ? err.message : String(err) });
      }
    }
    return report;
  }

  async refund(invoice: InvoiceRow, amountMinor: number, key: string, reason: string): Promise<{ refundId: string }> {
    if (!invoice.stripeInvoiceId) throw new DomainError("PRECONDITION_FAILED", `${invoice.number} was not paid through Stripe, so there is no payment to refund.`);
    try {
      const payments = await this.call(() => this.stripe.invoicePayments.list({ invoice: invoice.stripeInvoiceId!, status: "paid", limit: 10 }));
      const paid = payments.data.find((p) => p.payment.payment_intent || p.payment.charge);
      if (!paid) throw new DomainError("PRECONDITION_FAILED", `Stripe has no paid payment for ${invoice.number} to refund.`);
      const pi = paid.payment.payment_intent;
      const charge = paid.payment.charge;
      const target = pi ? { payment_intent: typeof pi === "string" ? pi : pi.id } : { charge: typeof charge === "string" ? charge : charge!.id };
      // The key rides in the refund's metadata: a refund retried after Stripe forgot the key (24 hours), or
      // after a saved 5xx, is found among the payment's refunds instead of being made twice.
      const reread = async (): Promise<Reread<Stripe.Refund>> => {
        const listed = await this.call(() => this.stripe.refunds.list({ ...target, limit: 100 }));
        const found = listed.data.find((r) => r.metadata?.headroom_key === key);
        return found ? { done: found } : { state: listed.data.map((r) => r.id).join(",") };
      };
      const refund = await this.mutate(
        key,
        (k) => this.stripe.refunds.create({ ...target, amount: amountMinor, reason: "requested_by_customer", metadata: { headroom_invoice: invoice.number, headroom_reason: reason.slice(0, 450), headroom_key: key } }, { idempotencyKey: k }),
        reread,
        { resend: true },
      );
      return { refundId: refund.id };
    } catch (err) {
      if (isStripeRefusal(err)) throw new DomainError("PRECONDITION_FAILED", `Stripe refused the refund: ${err.message}`);
      throw err;
    }
  }
}
