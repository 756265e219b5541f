import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import Stripe from "stripe";
import { checkParams, refusal, type StripeRefusal } from "./stripe-schemas";

const SDK_API_VERSION: string = Stripe.API_VERSION;

/**
 * A local stand-in for Stripe's API, for tests: the real `stripe` SDK is pointed at it
 * (STRIPE_API_BASE). It records what the SDK sends (method, path, form-encoded params,
 * Idempotency-Key, Stripe-Version), keeps just enough state to answer with Stripe-shaped objects
 * (customers, prices, subscriptions with items, invoice previews with proration lines, invoices,
 * renewal invoices that bill each metered item's usage of the period, schedules, Checkout Sessions,
 * refunds, meter events), replays a stored answer for a reused Idempotency-Key as Stripe does, and
 * plays scripted failures (a 500, a 402, a timeout, a 429).
 */

// The double's objects are plain JSON, as on the wire.
// biome-ignore lint/suspicious/noExplicitAny: wire objects of any shape, read and written by path
type Obj = Record<string, any>;

export interface RecordedRequest {
  method: string;
  path: string;
  params: Obj;
  idempotencyKey: string | null;
  stripeVersion: string | null;
  authorization: string | null;
  /** Answered from the idempotency store (a retry of a request already processed). */
  replayed: boolean;
}

export type ScriptedFailure =
  /**
   * An error answer. A 5xx or a 402 happens while the endpoint runs: it is saved for the request's
   * Idempotency-Key and replayed (unless `saved: false`); others (a 429, a 400) come before execution
   * and are not saved. `effectApplied`: the endpoint's work was done before the 5xx (saved or not).
   */
  | { status: number; error?: Obj; headers?: Record<string, string>; saved?: boolean; effectApplied?: boolean }
  /** Never answers: the SDK times out. Nothing was processed. */
  | { hang: true }
  /** Processes the request (and stores the answer for its key), then never answers: the answer is lost on the way. */
  | { hangAfterProcessing: true };

interface Script {
  method: string;
  path: RegExp;
  failure: ScriptedFailure;
  times: number;
}

/** Parses Stripe's form encoding (`items[0][price]=…`) into nested objects and arrays. */
export function parseStripeForm(search: string): Obj {
  const out: Obj = {};
  for (const [rawKey, value] of new URLSearchParams(search)) {
    const m = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(rawKey);
    if (!m) continue;
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!)];
    // biome-ignore lint/suspicious/noExplicitAny: walks a form-encoded bracket path into nested objects and arrays
    let node: any = out;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
      if (last) node[seg] = value;
      else {
        node[seg] ??= nextIsIndex ? [] : {};
        node = node[seg];
      }
    }
  }
  return out;
}

const DAY_S = 86_400;
/** How long the double remembers an idempotency key (Stripe: at least 24 hours). */
export const IDEMPOTENCY_KEY_TTL_S = DAY_S;

/** Whether a scripted error answer is saved for the key (it happened while the endpoint ran). */
function savedFailure(f: { status: number; saved?: boolean }, key: string | null): boolean {
  if (!key) return false;
  return f.saved ?? (f.status >= 500 || f.status === 402);
}
/** A decimal string as an integer and a power of ten: "0.05" → 5 / 10², "150" → 150 / 10⁰. */
function decimalOf(s: string): { n: bigint; scale: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(s).trim());
  if (!m) throw new Error(`double: not a decimal amount: ${s}`);
  const digits = BigInt(`${m[2]}${m[3] ?? ""}`);
  return { n: m[1] ? -digits : digits, scale: (m[3] ?? "").length };
}

/** The sum of decimal strings, exactly, as a decimal string ("1.5" + "2" → "3.5"). */
export function sumDecimals(values: readonly string[]): string {
  const parts = values.map(decimalOf);
  const scale = Math.max(0, ...parts.map((p) => p.scale));
  const total = parts.reduce((s, p) => s + p.n * 10n ** BigInt(scale - p.scale), 0n);
  if (scale === 0) return total.toString();
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(scale + 1, "0");
  const frac = digits.slice(-scale).replace(/0+$/, "");
  return `${neg ? "-" : ""}${digits.slice(0, -scale)}${frac ? `.${frac}` : ""}`;
}

/**
 * A line's amount as Stripe rounds it: quantity × unit amount (in decimal minor units) computed exactly,
 * then rounded on the line's total to the nearest minor unit, a half away from zero — 0.05 × 30 = 1.5 → 2;
 * each line is rounded before the invoice sums them. https://docs.stripe.com/billing/subscriptions/decimal-amounts#rounding
 */
export function lineAmountMinor(quantity: string, unitAmountDecimal: string): number {
  const q = decimalOf(quantity);
  const u = decimalOf(unitAmountDecimal);
  const product = q.n * u.n;
  const den = 10n ** BigInt(q.scale + u.scale);
  const abs = product < 0n ? -product : product;
  const rounded = (2n * abs + den) / (2n * den);
  return Number(product < 0n ? -rounded : rounded);
}

/** The double's period lengths: 30 days a month, 365 a year. */
const SPAN_S: Record<string, number> = { month: 30 * DAY_S, year: 365 * DAY_S };
/** What may be sent with payment_behavior=pending_if_incomplete (https://docs.stripe.com/billing/subscriptions/pending-updates). */
const PENDING_UPDATE_PARAMS = ["add_invoice_items", "billing_cycle_anchor", "expand", "items", "payment_behavior", "proration_behavior", "proration_date", "trial_end", "trial_from_plan"];
const PENDING_UPDATE_ITEM_PARAMS = ["id", "price", "price_data", "quantity"];
const MIXED_INTERVALS = "Currency and interval fields must match across all plans on this subscription. Found mismatch in interval field.";

export class StripeDouble {
  url = "";
  readonly requests: RecordedRequest[] = [];
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private scripts: Script[] = [];
  private idempotency = new Map<string, { fingerprint: string; status: number; body: unknown; headers: Record<string, string>; atS: number }>();
  private seq = 0;

  readonly customers = new Map<string, Obj>();
  readonly products = new Map<string, Obj>();
  readonly prices = new Map<string, Obj>();
  readonly meters = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly schedules = new Map<string, Obj>();
  readonly sessions = new Map<string, Obj>();
  readonly refunds: Obj[] = [];
  /** Which phase of each schedule the subscription is in (0: the first). */
  private phaseIndex = new Map<string, number>();
  /** Events Stripe would have sent, for takeEvents. */
  private outbox: Obj[] = [];
  readonly meterEvents: Obj[] = [];
  /** Meter events Stripe accepted and then refused (reported by meterErrorReport). */
  readonly meterEventsRefused: Obj[] = [];
  private v2Events = new Map<string, Obj>();
  /** Effects carried out, replays not counted: the number that must not double. */
  readonly executed = { subscriptionUpdates: 0, refunds: 0, meterEvents: 0, checkoutSessions: 0, schedules: 0 };
  /** The API version of the webhook endpoint events are sent to (the SDK's unless a test says otherwise). */
  endpointApiVersion: string = SDK_API_VERSION;
  /** Exclusive tax on every invoice, in basis points of its subtotal (0: none). */
  taxBps = 0;
  /** Added to every preview's total: a price that moved at Stripe after the customer saw the quote. */
  previewAdjustMinor = 0;
  /**
   * The next subscription updates fail to collect. With payment_behavior=pending_if_incomplete Stripe
   * answers 200: the subscription keeps its items and carries a pending_update (expiring after about 23
   * hours), its latest_invoice is open and unpaid. https://docs.stripe.com/billing/subscriptions/pending-updates
   */
  paymentFails = false;

  private constructor(private readonly clock: { now(): number }) {}

  static async start(clock: { now(): number }): Promise<StripeDouble> {
    const d = new StripeDouble(clock);
    d.server = createServer((req, res) => void d.handle(req, res));
    d.server.on("connection", (s) => {
      d.sockets.add(s);
      s.on("close", () => d.sockets.delete(s));
    });
    await new Promise<void>((resolve) => d.server!.listen(0, "127.0.0.1", resolve));
    d.url = `http://127.0.0.1:${(d.server.address() as AddressInfo).port}`;
    return d;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  nowS(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private id(prefix: string): string {
    return `${prefix}_${String(++this.seq).padStart(6, "0")}`;
  }

  /** The next `times` matching requests fail as scripted (see ScriptedFailure for which are saved for their key). */
  failNext(method: string, path: RegExp, failure: ScriptedFailure, times = 1): void {
    this.scripts.push({ method, path, failure, times });
  }

  /** Requests by method and path. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Meter events Stripe accepted but can bill to no meter: no active meter has their event name (error code no_meter). */
  noMeterFound(): Obj[] {
    return this.meterEventsRefused.filter((e) => e.error.code === "no_meter");
  }

  /**
   * Why Stripe would not bill a meter event it accepted, as the code of its error report (null: billed).
   * The timestamp must be within the past 35 days and at most 5 minutes ahead; an active meter must have
   * the event name; the payload must carry the meter's customer and value keys, a known customer, a number.
   * https://docs.stripe.com/api/billing/meter-event/create
   */
  private meterEventError(e: Obj): { code: string; message: string } | null {
    if (e.timestamp < this.nowS() - 35 * DAY_S) return { code: "timestamp_too_far_in_past", message: "Timestamp must be within the past 35 days." };
    if (e.timestamp > this.nowS() + 300) return { code: "timestamp_in_future", message: "Timestamp must be no more than 5 minutes in the future." };
    const meter = [...this.meters.values()].find((m) => m.status === "active" && m.event_name === e.event_name);
    if (!meter) return { code: "no_meter", message: `No active meter was found for event name ${e.event_name}.` };
    const customerKey = meter.customer_mapping?.event_payload_key ?? "stripe_customer_id";
    const valueKey = meter.value_settings?.event_payload_key ?? "value";
    if (!e.payload?.[customerKey]) return { code: "meter_event_no_customer_defined", message: `The payload has no ${customerKey}.` };
    if (!this.customers.has(e.payload[customerKey])) return { code: "meter_event_customer_not_found", message: `No customer ${e.payload[customerKey]}.` };
    if (!/^-?\d+(\.\d+)?$/.test(String(e.payload[valueKey] ?? ""))) return { code: "meter_event_invalid_value", message: `The payload's ${valueKey} is not a number.` };
    return null;
  }

  /**
   * The error report Stripe sends for the meter events it refused since the last report, as a thin event
   * (the notification posted to the endpoint) whose full form GET /v2/core/events/:id returns; null when
   * nothing was refused. https://docs.stripe.com/api/v2/core/events
   */
  meterErrorReport(): Obj | null {
    const refused = this.meterEventsRefused.filter((e) => !e.reported);
    if (refused.length === 0) return null;
    for (const e of refused) e.reported = true;
    const codes = [...new Set(refused.map((e) => e.error.code as string))];
    const id = this.id("evt_v2");
    const created = new Date(this.clock.now()).toISOString();
    const meter = [...this.meters.values()][0]?.id ?? "mtr_unknown";
    const related = { id: meter, type: "billing.meter", url: `/v1/billing/meters/${meter}` };
    const data = {
      developer_message_summary: `${refused.length} meter event(s) could not be processed.`,
      validation_start: created,
      validation_end: created,
      reason: {
        error_count: refused.length,
        error_types: codes.map((code) => {
          const of = refused.filter((e) => e.error.code === code);
          return { code, error_count: of.length, sample_errors: of.map((e) => ({ error_message: e.error.message, request: { identifier: e.identifier } })) };
        }),
      },
    };
    const base = { id, object: "v2.core.event", type: "v1.billing.meter.error_report_triggered", created, livemode: false, related_object: related, context: null };
    this.v2Events.set(id, { ...base, data });
    return base;
  }

  // ---- fixtures ---------------------------------------------------------------------------------

  createCustomer(email: string): Obj {
    const c = { id: this.id("cus"), object: "customer", email, metadata: {}, deleted: undefined };
    this.customers.set(c.id, c);
    return c;
  }

  priceByKey(lookupKey: string): Obj {
    const p = [...this.prices.values()].find((x) => x.lookup_key === lookupKey && x.active);
    if (!p) throw new Error(`double: no price ${lookupKey}`);
    return p;
  }

  /** An active subscription on one price, its current period [startS, endS). */
  createSubscription(customerId: string, lookupKeys: string[], period: { startS: number; endS: number }, metadata: Obj = {}, billingMode: "classic" | "flexible" = "classic"): Obj {
    const id = this.id("sub");
    const items = lookupKeys.map((k) => this.newItem(id, this.priceByKey(k).id, period));
    const sub = { id, object: "subscription", customer: customerId, status: "active", items, latest_invoice: null, pending_update: null, pause_collection: null, pendingItems: null, schedule: null, cancel_at_period_end: false, metadata, currency: "usd", created: this.nowS(), billing_mode: { type: billingMode } };
    this.subscriptions.set(id, sub);
    return this.renderSubscription(sub, []);
  }

  private newItem(subscriptionId: string, priceId: string, period: { startS: number; endS: number }): Obj {
    const price = this.prices.get(priceId)!;
    return { id: this.id("si"), object: "subscription_item", price: priceId, quantity: price.recurring?.usage_type === "metered" ? undefined : 1, current_period_start: period.startS, current_period_end: period.endS, subscription: subscriptionId };
  }

  /** A price's recurring interval ("month" unless it says otherwise). */
  intervalOf(priceId: string): string {
    return this.prices.get(priceId)?.recurring?.interval ?? "month";
  }

  /** What Stripe refuses in a subscription's items: one price twice, or items billing in more than one interval outside flexible billing mode. */
  private checkIntervals(sub: Obj, items: Obj[]): void {
    const prices = items.map((i) => i.price);
    if (new Set(prices).size !== prices.length) throw Object.assign(new Error("Cannot add multiple subscription items with the same price."), { status: 400 });
    const intervals = new Set(items.map((i) => this.intervalOf(i.price)));
    if (intervals.size > 1 && sub.billing_mode?.type !== "flexible") throw Object.assign(new Error(MIXED_INTERVALS), { status: 400 });
  }

  /** Completes a Checkout Session as if the customer paid: a customer (if needed), a subscription, a paid invoice. */
  completeCheckout(sessionId: string): { session: Obj; subscription: Obj; invoice: Obj } {
    const s = this.sessions.get(sessionId)!;
    const customer = s.customer ?? this.createCustomer(s.customer_email ?? "checkout@example.com").id;
    const startS = this.nowS();
    const sub = this.createSubscription(customer, [], { startS, endS: startS + 30 * DAY_S }, s.subscription_data?.metadata ?? {}, s.subscription_data?.billing_mode?.type === "flexible" ? "flexible" : "classic");
    const raw = this.subscriptions.get(sub.id)!;
    raw.items = (s.line_items as Obj[]).map((li) => this.newItem(sub.id, li.price, { startS, endS: startS + SPAN_S[this.intervalOf(li.price)]! }));
    this.checkIntervals(raw, raw.items);
    const lines = raw.items
      .filter((i: Obj) => this.prices.get(i.price)!.recurring?.usage_type !== "metered")
      .map((i: Obj) => this.line(this.prices.get(i.price)!.unit_amount, `1 × ${this.prices.get(i.price)!.nickname ?? i.price}`, false, i.id, sub.id, startS, i.current_period_end));
    const invoice = this.newInvoice(customer, sub.id, lines, "subscription_create", "paid");
    raw.latest_invoice = invoice.id;
    Object.assign(s, { status: "complete", payment_status: "paid", customer, subscription: sub.id });
    return { session: { ...s }, subscription: this.renderSubscription(raw, []), invoice: { ...invoice } };
  }

  /** The customer pays an open invoice: a pending update waiting for it is applied. */
  payInvoice(invoiceId: string): Obj {
    const inv = this.invoices.get(invoiceId)!;
    inv.status = "paid";
    inv.amount_paid = inv.amount_due;
    const sub = inv.parent?.subscription_details?.subscription ? this.subscriptions.get(inv.parent.subscription_details.subscription) : null;
    if (sub?.pendingItems) {
      sub.items = sub.pendingItems;
      sub.pendingItems = null;
      sub.pending_update = null;
    }
    return { ...inv };
  }

  /** Nobody paid in time: Stripe voids the pending update's invoice and discards the update. */
  expirePendingUpdate(subscriptionId: string): Obj {
    const sub = this.subscriptions.get(subscriptionId)!;
    const inv = sub.latest_invoice ? this.invoices.get(sub.latest_invoice) : undefined;
    if (inv && inv.status === "open") inv.status = "void";
    sub.pendingItems = null;
    sub.pending_update = null;
    return this.renderSubscription(sub, []);
  }

  /**
   * The period ends: a schedule moves the subscription to its next phase; a cancellation at period end
   * ends it; otherwise the renewal invoice is made (a draft, see renewalInvoice) and is the subscription's latest.
   */
  endPeriod(subscriptionId: string): Obj {
    const sub = this.subscriptions.get(subscriptionId)!;
    const endS = sub.items[0].current_period_end;
    // The items whose period ends now, as they were (a schedule's next phase replaces them): their usage is billed in arrears.
    const ended = (sub.items as Obj[]).filter((i) => i.current_period_end === endS).map((i) => ({ ...i }));
    const next = { startS: endS, endS: endS + SPAN_S[this.intervalOf(sub.items[0].price)]! };
    const renew = () => {
      for (const i of sub.items) if (i.current_period_end === endS) Object.assign(i, { current_period_start: next.startS, current_period_end: endS + SPAN_S[this.intervalOf(i.price)]! });
    };
    if (sub.cancel_at_period_end) {
      sub.status = "canceled";
      this.outbox.push(this.event("customer.subscription.deleted", this.renderSubscription(sub, [])));
    } else if (sub.schedule) {
      // Stripe keeps a schedule active through its last phase: the subscription moves into the next phase
      // (the schedule's current phase now), and only when the last phase ends does end_behavior apply
      // (release: the subscription goes on by itself). https://docs.stripe.com/billing/subscriptions/subscription-schedules
      const schedule = this.schedules.get(sub.schedule)!;
      const at = this.phaseIndex.get(schedule.id) ?? 0;
      const phase = schedule.phases[at + 1] as Obj | undefined;
      if (phase) {
        sub.items = (phase.items as Obj[]).map((i) => this.newItem(sub.id, i.price, { startS: endS, endS: endS + SPAN_S[this.intervalOf(i.price)]! }));
        const phaseEnd = phase.end_date ?? endS + SPAN_S[phase.duration?.interval ?? this.intervalOf(sub.items[0].price)]! * Number(phase.duration?.interval_count ?? 1);
        Object.assign(phase, { start_date: endS, end_date: phaseEnd });
        schedule.current_phase = { start_date: endS, end_date: phaseEnd };
        this.phaseIndex.set(schedule.id, at + 1);
        this.outbox.push(this.event("customer.subscription.updated", this.renderSubscription(sub, [])), this.event("subscription_schedule.updated", { ...schedule }));
      } else {
        renew();
        Object.assign(schedule, { status: "released", released_at: endS, released_subscription: sub.id, subscription: null, current_phase: null });
        sub.schedule = null;
        this.outbox.push(this.event("subscription_schedule.released", { ...schedule }), this.event("customer.subscription.updated", this.renderSubscription(sub, [])));
      }
    } else {
      renew();
      this.outbox.push(this.event("customer.subscription.updated", this.renderSubscription(sub, [])));
    }
    // The subscription goes on: its renewal invoice, a draft until finalizeInvoice. (A subscription that
    // ends here gets no final invoice from the double.)
    if (sub.status !== "canceled") this.renewalInvoice(sub, ended, endS);
    return this.renderSubscription(sub, []);
  }

  /** The events Stripe has sent since the last call, in order (endPeriod adds to them). */
  takeEvents(): Obj[] {
    return this.outbox.splice(0);
  }

  /**
   * A webhook event as Stripe sends it: rendered at the webhook endpoint's API version, which is set
   * when the endpoint is created and need not be the SDK's. https://docs.stripe.com/webhooks/versioning
   */
  event(type: string, object: Obj, createdS = this.nowS()): Obj {
    return { id: this.id("evt"), object: "event", api_version: this.endpointApiVersion, created: createdS, type, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, data: { object } };
  }

  subscription(id: string): Obj {
    return this.renderSubscription(this.subscriptions.get(id)!, []);
  }

  // ---- rendering ---------------------------------------------------------------------------------

  private renderSubscription(sub: Obj, expand: string[]): Obj {
    const items = (sub.items as Obj[]).map((i) => ({ ...i, price: { ...this.prices.get(i.price) } }));
    const latest = sub.latest_invoice && expand.includes("latest_invoice") ? { ...this.invoices.get(sub.latest_invoice) } : sub.latest_invoice;
    const { pendingItems: _hidden, ...rest } = sub;
    void _hidden;
    return { ...rest, items: { object: "list", data: items, has_more: false, url: `/v1/subscription_items?subscription=${sub.id}` }, latest_invoice: latest };
  }

  private line(amount: number, description: string, proration: boolean, itemId: string, subscriptionId: string, startS: number, endS: number): Obj {
    return {
      id: this.id("il"),
      object: "line_item",
      amount,
      currency: "usd",
      description,
      quantity: 1,
      period: { start: startS, end: endS },
      parent: { type: "subscription_item_details", subscription_item_details: { proration, subscription: subscriptionId, subscription_item: itemId, invoice_item: null, proration_details: null }, invoice_item_details: null },
    };
  }

  /**
   * An invoice as Stripe totals it: the lines' subtotal, exclusive tax at `taxBps` on it, and the
   * customer's balance (negative: a credit) applied to the amount due. A finalized invoice uses up the
   * credit it applied; a draft has applied none yet. https://docs.stripe.com/api/invoices/object
   */
  private newInvoice(customer: string, subscriptionId: string | null, lines: Obj[], reason: string, status: string, persist = true): Obj {
    const inv: Obj = {
      id: persist ? this.id("in") : `upcoming_${this.id("in")}`,
      object: "invoice",
      customer,
      currency: "usd",
      status,
      billing_reason: reason,
      discounts: [],
      total_discount_amounts: [],
      attempt_count: 1,
      period_start: this.nowS(),
      period_end: this.nowS(),
      parent: subscriptionId ? { type: "subscription_details", subscription_details: { subscription: subscriptionId, metadata: {} }, quote_details: null } : null,
      lines: { object: "list", data: lines, has_more: false },
      payment_intent: persist ? this.id("pi") : null,
    };
    this.total(inv, !persist ? "preview" : status === "draft" ? "draft" : "final");
    if (persist) this.invoices.set(inv.id, inv);
    return inv;
  }

  /** Sets an invoice's totals from its lines (see newInvoice); a final one takes the credit it applies off the customer's balance. */
  private total(inv: Obj, stage: "preview" | "draft" | "final"): void {
    const subtotal = (inv.lines.data as Obj[]).reduce((s, l) => s + l.amount, 0);
    const tax = subtotal > 0 ? Math.round((subtotal * this.taxBps) / 10_000) : 0;
    const total = subtotal + tax;
    const balance = stage === "draft" ? 0 : Number(this.customers.get(inv.customer)?.balance ?? 0);
    const amountDue = Math.max(0, total + balance);
    Object.assign(inv, {
      subtotal,
      subtotal_excluding_tax: subtotal,
      total_excluding_tax: subtotal,
      total_taxes: tax ? [{ amount: tax, tax_behavior: "exclusive", taxability_reason: "standard_rated", taxable_amount: subtotal, type: "tax_rate_details" }] : [],
      total,
      starting_balance: balance,
      ending_balance: stage === "final" ? Math.min(0, total + balance) : null,
      amount_due: amountDue,
      amount_paid: inv.status === "paid" ? amountDue : 0,
      next_payment_attempt: inv.status === "open" ? this.nowS() + 3 * DAY_S : null,
    });
    const c = this.customers.get(inv.customer);
    if (stage === "final" && c && balance !== 0) c.balance = inv.ending_balance;
  }

  /** What a price charges for a quantity: its unit amount (unit_amount_decimal, else unit_amount) times the quantity, rounded on the line. */
  private amountOf(price: Obj, quantity: string): number {
    return lineAmountMinor(quantity, String(price.unit_amount_decimal ?? price.unit_amount ?? 0));
  }

  /**
   * The usage a metered price bills a customer for over [startS, endS): its meter's events for the
   * customer (the meter's customer_mapping key in the payload) whose timestamp falls in the period,
   * aggregated by the meter's formula — sum of the payload's value key, count, or the last value —
   * then transform_quantity's division, rounded up or down, when the price has one.
   * https://docs.stripe.com/billing/subscriptions/usage-based/meters/configure,
   * https://docs.stripe.com/billing/subscriptions/usage-based/transform-quantities
   */
  usageOf(priceId: string, customerId: string, startS: number, endS: number): string {
    const price = this.prices.get(priceId)!;
    const meter = this.meters.get(price.recurring?.meter);
    if (!meter) return "0";
    const customerKey = meter.customer_mapping?.event_payload_key ?? "stripe_customer_id";
    const valueKey = meter.value_settings?.event_payload_key ?? "value";
    const events = this.meterEvents.filter((e) => e.event_name === meter.event_name && e.payload?.[customerKey] === customerId && e.timestamp >= startS && e.timestamp < endS);
    const formula = meter.default_aggregation?.formula ?? "sum";
    const last = [...events].sort((a, b) => a.timestamp - b.timestamp).at(-1);
    const usage = formula === "count" ? String(events.length) : formula === "last" ? String(last?.payload[valueKey] ?? "0") : sumDecimals(events.map((e) => String(e.payload[valueKey])));
    const t = price.transform_quantity;
    if (!t) return usage;
    const { n, scale } = decimalOf(usage);
    const den = BigInt(t.divide_by) * 10n ** BigInt(scale);
    return String(t.round === "up" ? (n + den - 1n) / den : n / den);
  }

  /** The line of a metered item for the usage of [startS, endS), billed in arrears. */
  private meteredLine(sub: Obj, item: Obj, startS: number, endS: number): Obj {
    const price = this.prices.get(item.price)!;
    const quantity = this.usageOf(price.id, sub.customer, startS, endS);
    const line = this.line(this.amountOf(price, quantity), `${quantity} × ${price.nickname ?? price.id} (at ${price.unit_amount_decimal ?? price.unit_amount} per unit)`, false, item.id, sub.id, startS, endS);
    return Object.assign(line, { quantity: Math.trunc(Number(quantity)), quantity_decimal: quantity, pricing: { type: "price_details", price_details: { price: price.id, product: price.product }, unit_amount_decimal: String(price.unit_amount_decimal ?? price.unit_amount) } });
  }

  /**
   * The invoice Stripe makes when a period ends (billing_reason subscription_cycle): each licensed item
   * starting its next period, charged in advance, and each metered item of the period that ended,
   * charged in arrears for its usage. It is a draft until Stripe finalizes it (finalizeInvoice).
   * https://docs.stripe.com/billing/subscriptions/usage-based/how-it-works
   */
  private renewalInvoice(sub: Obj, ended: Obj[], endS: number): Obj {
    const advance = (sub.items as Obj[])
      .filter((i) => i.current_period_start === endS && this.prices.get(i.price)!.recurring?.usage_type !== "metered")
      .map((i) => {
        const price = this.prices.get(i.price)!;
        const quantity = String(i.quantity ?? 1);
        return Object.assign(this.line(this.amountOf(price, quantity), `${quantity} × ${price.nickname ?? price.id}`, false, i.id, sub.id, i.current_period_start, i.current_period_end), { quantity: Number(quantity) });
      });
    const arrears = ended.filter((i) => this.prices.get(i.price)!.recurring?.usage_type === "metered").map((i) => this.meteredLine(sub, i, i.current_period_start, endS));
    const inv = this.newInvoice(sub.customer, sub.id, [...advance, ...arrears], "subscription_cycle", "draft");
    Object.assign(inv, { period_start: Math.min(endS, ...ended.map((i) => i.current_period_start)), period_end: endS, automatically_finalizes_at: endS + 3600 });
    sub.latest_invoice = inv.id;
    return inv;
  }

  /**
   * Stripe finalizes a subscription's draft invoice after its grace period (an hour by default): each
   * metered line is brought up to the usage reported meanwhile for its period, then the invoice is
   * charged — paid, or open when the payment fails (`paymentFails`) — and invoice.finalized and
   * invoice.paid (or invoice.payment_failed) are sent. Usage reported after that is not on it. While the
   * subscription's collection is paused with keep_as_draft the invoice stays a draft.
   * https://docs.stripe.com/billing/subscriptions/usage-based/configure-grace-period,
   * https://docs.stripe.com/billing/subscriptions/pause-payment
   */
  finalizeInvoice(invoiceId: string): Obj {
    const inv = this.invoices.get(invoiceId);
    if (!inv || inv.status !== "draft") throw new Error(`double: ${invoiceId} is not a draft invoice`);
    const sub = this.subscriptions.get(inv.parent?.subscription_details?.subscription);
    if (sub?.pause_collection?.behavior === "keep_as_draft") return { ...inv };
    inv.lines.data = (inv.lines.data as Obj[]).map((l) => {
      const priceId = l.pricing?.price_details?.price;
      if (!priceId || this.prices.get(priceId)?.recurring?.usage_type !== "metered") return l;
      const item = { id: l.parent.subscription_item_details.subscription_item, price: priceId };
      return { ...this.meteredLine({ id: inv.parent.subscription_details.subscription, customer: inv.customer }, item, l.period.start, l.period.end), id: l.id };
    });
    inv.status = this.paymentFails ? "open" : "paid";
    this.total(inv, "final");
    this.outbox.push(this.event("invoice.finalized", { ...inv, status: "open", amount_paid: 0 }), this.event(inv.status === "paid" ? "invoice.paid" : "invoice.payment_failed", { ...inv }));
    return { ...inv };
  }

  /**
   * Stripe's proration to the second, rounded per line; the double's own arithmetic. A base price of
   * another interval is Stripe's interval change: the unused time of the old price is credited, the
   * new price is charged in full (not a proration), and every item starts a new period now.
   */
  private prorate(sub: Obj, items: Obj[], prorationDateS: number, inPeriod = false): { lines: Obj[]; newItems: Obj[]; reset: boolean } {
    const lines: Obj[] = [];
    const newItems = (sub.items as Obj[]).map((i) => ({ ...i }));
    let reset = false;
    for (const it of items) {
      const existing = it.id ? newItems.find((i) => i.id === it.id) : null;
      if (it.id && !existing) throw Object.assign(new Error(`No such subscription item: '${it.id}'`), { status: 400 });
      if (!this.prices.has(it.price)) throw Object.assign(new Error(`No such price: '${it.price}'`), { status: 400 });
      if (existing) {
        const from = this.prices.get(existing.price)!;
        const to = this.prices.get(it.price)!;
        const { current_period_start: start, current_period_end: end } = existing;
        // Only the preview documents this rule; subscriptions.update documents none, and the double then
        // prorates over the part of the period the date leaves (none before it starts, all after it ends).
        if (inPeriod && (prorationDateS < start || prorationDateS > end)) throw Object.assign(new Error("subscription_details[proration_date] must be within the current subscription period."), { status: 400 });
        // unit × seconds left ÷ seconds in the period, in big integers, a half rounded up: a float share
        // would round some half cents down.
        const left = BigInt(Math.min(end - start, Math.max(0, end - prorationDateS)));
        const span = BigInt(end - start);
        const share = (unit: number) => Number((2n * BigInt(unit) * left + span) / (2n * span));
        const licensed = to.recurring?.usage_type !== "metered";
        if (from.id !== to.id && licensed && this.intervalOf(from.id) !== this.intervalOf(to.id)) {
          reset = true;
          lines.push(this.line(-share(from.unit_amount) || 0, `Unused time on ${from.nickname ?? from.id}`, true, existing.id, sub.id, prorationDateS, end));
          lines.push(this.line(to.unit_amount, `1 × ${to.nickname ?? to.id}`, false, existing.id, sub.id, this.nowS(), this.nowS() + SPAN_S[this.intervalOf(to.id)]!));
        } else if (from.id !== to.id && licensed) {
          lines.push(this.line(-share(from.unit_amount) || 0, `Unused time on ${from.nickname ?? from.id}`, true, existing.id, sub.id, prorationDateS, end));
          lines.push(this.line(share(to.unit_amount), `Remaining time on ${to.nickname ?? to.id}`, true, existing.id, sub.id, prorationDateS, end));
        }
        existing.price = to.id;
      } else {
        const base = newItems[0]!;
        newItems.push(this.newItem(sub.id, it.price, { startS: base.current_period_start, endS: base.current_period_start + SPAN_S[this.intervalOf(it.price)]! }));
      }
    }
    if (reset) {
      const startS = this.nowS();
      for (const i of newItems) Object.assign(i, { current_period_start: startS, current_period_end: startS + SPAN_S[this.intervalOf(i.price)]! });
    }
    this.checkIntervals(sub, newItems);
    return { lines, newItems, reset };
  }

  /** What Stripe refuses in an update or a preview, as it would: the billing cycle anchor in the wrong shape, or with a proration_date. */
  private checkAnchor(p: Obj, prorationDate: unknown): void {
    const anchor = p.billing_cycle_anchor;
    if (anchor === undefined) return;
    if (typeof anchor !== "object" || !["now", "unchanged"].includes(anchor.type)) throw Object.assign(new Error("Invalid billing_cycle_anchor: expected an object with type now or unchanged (API version 2026-09-30.endive and later)."), { status: 400 });
    if (anchor.type === "now" && prorationDate !== undefined) throw Object.assign(new Error("You cannot set proration_date when resetting billing_cycle_anchor to now."), { status: 400 });
  }

  // ---- HTTP --------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://double");
    const method = req.method ?? "GET";
    const params = method === "GET" || method === "DELETE" ? parseStripeForm(url.search.slice(1)) : parseStripeForm(body);
    const header = (n: string) => (typeof req.headers[n] === "string" ? (req.headers[n] as string) : null);
    const rec: RecordedRequest = { method, path: url.pathname, params, idempotencyKey: header("idempotency-key"), stripeVersion: header("stripe-version"), authorization: header("authorization"), replayed: false };
    this.requests.push(rec);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", "request-id": this.id("req"), ...headers });
      res.end(JSON.stringify(payload));
    };

    const key = method === "POST" ? rec.idempotencyKey : null;
    const fingerprint = `${method} ${url.pathname} ${body}`;
    this.forgetExpiredKeys();
    const stored = key ? this.idempotency.get(key) : undefined;

    // Failures before execution (the request never arrived, a rate limit, a refusal before the endpoint
    // runs): nothing is saved for the key, so a retry with the same key runs fresh.
    const script = this.takeScript(method, url.pathname, stored ? "before" : "any");
    const failure = script?.failure;
    if (failure && "hang" in failure) return; // the SDK gives up (timeout); the socket is destroyed at stop
    if (failure && "status" in failure && !savedFailure(failure, key)) {
      // A 5xx that nothing is saved under (a DELETE, which Stripe keeps no idempotency key for, or
      // `saved: false`) may still have come while the endpoint ran: with effectApplied its work was done.
      // https://docs.stripe.com/api/idempotent_requests
      if (failure.effectApplied && failure.status >= 500) this.route(method, url.pathname, params);
      send(failure.status, { error: failure.error ?? { type: "api_error", message: "Something went wrong on Stripe's end." } }, failure.headers);
      return;
    }

    // Stripe saves the status and body of the first request with a key once the endpoint has started
    // executing, whatever it was (a 500 included), and replays them for that key; a reuse with other
    // parameters is refused. https://docs.stripe.com/api/idempotent_requests
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        send(400, { error: { type: "idempotency_error", message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` } });
        return;
      }
      rec.replayed = true;
      // Stripe marks a replayed answer with Idempotent-Replayed: true.
      send(stored.status, stored.body, { ...stored.headers, "idempotent-replayed": "true" });
      return;
    }

    // Parameters that fail validation: refused before the endpoint runs, so nothing is saved for the key.
    // https://docs.stripe.com/api/idempotent_requests ("Results are only saved if an API endpoint begins its execution")
    const invalid = this.validate(method, url.pathname, params);
    if (invalid) {
      send(invalid.status, invalid.body);
      return;
    }

    // Under pending_if_incomplete a failed payment is no error: Stripe answers 200 with a pending update and
    // an open invoice (https://docs.stripe.com/billing/subscriptions/pending-updates). A test scripting a 402
    // there is told so, loudly, instead of passing for a reason Stripe would not give.
    if (failure && "status" in failure && failure.status === 402 && method === "POST" && /^\/v1\/subscriptions\/[^/]+$/.test(url.pathname) && params.payment_behavior === "pending_if_incomplete") {
      send(500, { error: { type: "api_error", message: "Stripe double: a decline under pending_if_incomplete is a 200 with a pending_update, not a 402; set paymentFails instead." } });
      return;
    }

    let answer: { status: number; body: unknown; headers: Record<string, string> };
    if (failure && "status" in failure) {
      // A failure during execution (a 500, a declined card): saved for the key like any result. With
      // effectApplied the endpoint's work was done before it failed (Stripe's 500 leaves the outcome unknown).
      if (failure.effectApplied) this.route(method, url.pathname, params);
      // Stripe sends Stripe-Should-Retry: false with most 500s, since a retry with the key would replay it.
      // https://docs.stripe.com/error-low-level#idempotency
      const headers = { ...(failure.status >= 500 ? { "stripe-should-retry": "false" } : {}), ...(failure.headers ?? {}) };
      answer = { status: failure.status, body: { error: failure.error ?? { type: "api_error", message: "Something went wrong on Stripe's end." } }, headers };
    } else {
      answer = { ...this.route(method, url.pathname, params), headers: {} };
    }
    if (key) this.idempotency.set(key, { fingerprint, status: answer.status, body: answer.body, headers: answer.headers, atS: this.nowS() });
    if (failure && "hangAfterProcessing" in failure) return;
    send(answer.status, answer.body, answer.headers);
  }

  /**
   * What Stripe refuses before an endpoint runs: parameters outside the SDK's request types (see
   * stripe-schemas), and the rules below that depend on the account's objects.
   */
  private validate(method: string, path: string, p: Obj): StripeRefusal | null {
    const bad = checkParams(method, path, p);
    if (bad) return bad;
    const seg = path.split("/").filter(Boolean);
    if (method === "POST" && seg[1] === "subscriptions" && seg[2] && !seg[3]) {
      // Only the attributes in Stripe's pending updates reference may be sent with pending_if_incomplete.
      // https://docs.stripe.com/billing/subscriptions/pending-updates
      if (p.payment_behavior === "pending_if_incomplete") {
        const top = Object.keys(p).find((k) => !PENDING_UPDATE_PARAMS.includes(k));
        if (top) return refusal(top, `You cannot update \`${top}\` with payment_behavior=pending_if_incomplete. Only these parameters are supported: ${PENDING_UPDATE_PARAMS.join(", ")}.`);
        for (const [i, item] of ((p.items ?? []) as Obj[]).entries()) {
          const k = Object.keys(item).find((x) => !PENDING_UPDATE_ITEM_PARAMS.includes(x));
          if (k) return refusal(`items[${i}][${k}]`, `You cannot update \`items[${i}][${k}]\` with payment_behavior=pending_if_incomplete. Only these item parameters are supported: ${PENDING_UPDATE_ITEM_PARAMS.join(", ")}.`);
        }
      }
      // A subscription run by a schedule takes its cancellation from the schedule.
      // https://docs.stripe.com/billing/subscriptions/subscription-schedules
      const sub = this.subscriptions.get(seg[2]);
      if (sub?.schedule && p.cancel_at_period_end !== undefined) {
        return refusal("cancel_at_period_end", `The subscription is managed by the subscription schedule \`${sub.schedule}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`);
      }
    }
    if (method === "POST" && path === "/v1/prices" && p.lookup_key !== undefined && p.transfer_lookup_key !== "true") {
      // A lookup key belongs to one price; taking it over needs transfer_lookup_key. https://docs.stripe.com/api/prices/create
      const holder = [...this.prices.values()].find((x) => x.lookup_key === p.lookup_key);
      if (holder) return refusal("lookup_key", `A price (\`${holder.id}\`) already uses that lookup key.`);
    }
    if (method === "POST" && path === "/v1/products" && p.id !== undefined && this.products.has(p.id)) {
      return refusal("id", "Product already exists.", "resource_already_exists");
    }
    return null;
  }

  /**
   * Stripe prunes a key after at least 24 hours; the double forgets it after exactly 24 hours of its
   * clock, after which the same key runs the request again. https://docs.stripe.com/api/idempotent_requests
   */
  private forgetExpiredKeys(): void {
    const now = this.nowS();
    for (const [k, v] of this.idempotency) if (now - v.atS >= IDEMPOTENCY_KEY_TTL_S) this.idempotency.delete(k);
  }

  /** Idempotency keys the double still remembers (for tests). */
  remembers(key: string): boolean {
    this.forgetExpiredKeys();
    return this.idempotency.has(key);
  }

  /** The next script matching this request; a failure during execution is not taken by a request that is replayed. */
  private takeScript(method: string, path: string, phase: "before" | "any"): Script | undefined {
    const during = (f: ScriptedFailure) => "hangAfterProcessing" in f || ("status" in f && savedFailure(f, "key"));
    const script = this.scripts.find((s) => s.method === method && s.path.test(path) && s.times > 0 && (phase === "any" || !during(s.failure)));
    if (script) script.times--;
    return script;
  }

  private route(method: string, path: string, p: Obj): { status: number; body: unknown } {
    const ok = (body: unknown) => ({ status: 200, body });
    const missing = (what: string) => ({ status: 404, body: { error: { type: "invalid_request_error", code: "resource_missing", message: `No such ${what}` } } });
    const seg = path.split("/").filter(Boolean); // ["v1", ...]
    const expand: string[] = Array.isArray(p.expand) ? p.expand : [];
    try {
      // customers
      if (method === "GET" && seg[1] === "customers" && seg[2]) return this.customers.has(seg[2]) ? ok(this.customers.get(seg[2])) : missing(`customer: '${seg[2]}'`);
      if (method === "POST" && path === "/v1/customers") return ok(this.createCustomer(p.email ?? "x@example.com"));
      // meters
      if (method === "GET" && path === "/v1/billing/meters") return ok({ object: "list", data: [...this.meters.values()], has_more: false });
      if (method === "POST" && path === "/v1/billing/meters") {
        const m = { id: this.id("mtr"), object: "billing.meter", event_name: p.event_name, display_name: p.display_name, status: "active", default_aggregation: p.default_aggregation, customer_mapping: p.customer_mapping, value_settings: p.value_settings };
        this.meters.set(m.id, m);
        return ok(m);
      }
      if (method === "POST" && path === "/v1/billing/meter_events") {
        // Stripe enforces an identifier's uniqueness over a rolling period of at least 24 hours: an event sent
        // again with the same identifier (under any idempotency key) is not counted again. How a duplicate is
        // answered is not documented; the double answers with the event first recorded.
        // https://docs.stripe.com/api/billing/meter-event/create
        const first = p.identifier ? [...this.meterEvents, ...this.meterEventsRefused].find((e) => e.identifier === p.identifier && this.nowS() - e.created < DAY_S) : undefined;
        if (first) return ok(first);
        const e = { object: "billing.meter_event", event_name: p.event_name, identifier: p.identifier ?? this.id("mev"), payload: p.payload, timestamp: Number(p.timestamp ?? this.nowS()), created: this.nowS(), livemode: false };
        // What Stripe checks after accepting the event (the timestamp window, the meter, the payload keys) is
        // reported later as v1.billing.meter.error_report_triggered with these codes (the SDK's
        // V1BillingMeterErrorReportTriggeredEvent); the event is not billed.
        const error = this.meterEventError(e);
        if (error) {
          this.meterEventsRefused.push({ ...e, error });
          return ok(e);
        }
        this.executed.meterEvents++;
        this.meterEvents.push(e);
        return ok(e);
      }
      // v2 events (thin events' full form)
      if (method === "GET" && seg[0] === "v2" && seg[1] === "core" && seg[2] === "events" && seg[3]) {
        const ev = this.v2Events.get(seg[3]);
        return ev ? ok(ev) : missing(`event: '${seg[3]}'`);
      }
      // products
      if (seg[1] === "products") {
        if (method === "GET" && seg[2]) return this.products.has(seg[2]) ? ok(this.products.get(seg[2])) : missing(`product: '${seg[2]}'`);
        if (method === "POST" && !seg[2]) {
          const prod = { id: p.id ?? this.id("prod"), object: "product", name: p.name, description: p.description ?? null, active: true, metadata: p.metadata ?? {} };
          this.products.set(prod.id, prod);
          return ok(prod);
        }
        if (method === "POST" && seg[2]) {
          const prod = this.products.get(seg[2]);
          if (!prod) return missing(`product: '${seg[2]}'`);
          Object.assign(prod, { ...p, active: p.active === undefined ? prod.active : p.active === "true" });
          return ok(prod);
        }
      }
      // prices
      if (seg[1] === "prices") {
        if (method === "GET" && !seg[2]) {
          const keys: string[] = p.lookup_keys ?? [];
          if (keys.length > 10) return { status: 400, body: { error: { type: "invalid_request_error", param: "lookup_keys", message: "Invalid array: lookup_keys must have at most 10 elements." } } };
          const data = [...this.prices.values()].filter((x) => (keys.length === 0 || keys.includes(x.lookup_key)) && (p.active === undefined || String(x.active) === p.active));
          return ok({ object: "list", data, has_more: false });
        }
        if (method === "POST" && !seg[2]) {
          // Metered prices count a billing meter's events (API versions from 2025-03-31 have no other kind).
          if (p.recurring?.usage_type === "metered" && !this.meters.has(p.recurring.meter)) {
            return { status: 400, body: { error: { type: "invalid_request_error", param: "recurring[meter]", message: p.recurring.meter ? `No such billing meter: '${p.recurring.meter}'` : "A metered price must be backed by a billing meter: recurring[meter] is required." } } };
          }
          if (p.transfer_lookup_key === "true") for (const old of this.prices.values()) if (old.lookup_key === p.lookup_key) old.lookup_key = null;
          const price = {
            id: this.id("price"),
            object: "price",
            active: true,
            currency: p.currency,
            product: p.product,
            lookup_key: p.lookup_key ?? null,
            nickname: p.nickname ?? null,
            unit_amount: p.unit_amount !== undefined ? Number(p.unit_amount) : null,
            unit_amount_decimal: p.unit_amount_decimal ?? (p.unit_amount !== undefined ? String(p.unit_amount) : null),
            transform_quantity: p.transform_quantity ? { divide_by: Number(p.transform_quantity.divide_by), round: p.transform_quantity.round } : null,
            recurring: p.recurring ? { interval: p.recurring.interval, interval_count: 1, usage_type: p.recurring.usage_type ?? "licensed", meter: p.recurring.meter ?? null } : null,
            metadata: p.metadata ?? {},
          };
          this.prices.set(price.id, price);
          return ok(price);
        }
        if (method === "GET" && seg[2]) return this.prices.has(seg[2]) ? ok(this.prices.get(seg[2])) : missing(`price: '${seg[2]}'`);
        if (method === "POST" && seg[2]) {
          const price = this.prices.get(seg[2]);
          if (!price) return missing(`price: '${seg[2]}'`);
          if (p.active !== undefined) price.active = p.active === "true";
          return ok(price);
        }
      }
      // subscriptions
      if (seg[1] === "subscriptions") {
        if (method === "GET" && !seg[2]) {
          const data = [...this.subscriptions.values()].filter((s) => !p.customer || s.customer === p.customer).map((s) => this.renderSubscription(s, expand));
          return ok({ object: "list", data, has_more: false });
        }
        const sub = seg[2] ? this.subscriptions.get(seg[2]) : undefined;
        if (!sub) return missing(`subscription: '${seg[2]}'`);
        if (method === "GET") return ok(this.renderSubscription(sub, expand));
        if (method === "POST" && seg[3] === "migrate") {
          if (p.billing_mode?.type !== "flexible") return { status: 400, body: { error: { type: "invalid_request_error", message: "billing_mode[type] must be flexible." } } };
          sub.billing_mode = { type: "flexible", updated_at: this.nowS() };
          return ok(this.renderSubscription(sub, expand));
        }
        if (method === "DELETE") {
          sub.status = "canceled";
          return ok(this.renderSubscription(sub, expand));
        }
        if (method === "POST") return ok(this.updateSubscription(sub, p, expand));
      }
      if (method === "POST" && path === "/v1/subscription_items") {
        const sub = this.subscriptions.get(p.subscription);
        if (!sub) return missing(`subscription: '${p.subscription}'`);
        const base = sub.items[0];
        const item = this.newItem(sub.id, p.price, { startS: base.current_period_start, endS: base.current_period_start + SPAN_S[this.intervalOf(p.price)]! });
        this.checkIntervals(sub, [...sub.items, item]);
        sub.items.push(item);
        return ok({ ...item, price: this.prices.get(item.price) });
      }
      // invoices
      if (method === "POST" && path === "/v1/invoices/create_preview") {
        const sub = this.subscriptions.get(p.subscription);
        if (!sub) return missing(`subscription: '${p.subscription}'`);
        const d = p.subscription_details ?? {};
        this.checkAnchor(d, d.proration_date);
        const behavior = d.proration_behavior ?? "create_prorations";
        // https://docs.stripe.com/api/invoices/create_preview: a proration_date needs items, cannot go with
        // proration_behavior=none, and must be within the current period.
        if (d.proration_date !== undefined && !d.items) return { status: 400, body: { error: { type: "invalid_request_error", code: "parameter_missing", param: "subscription_details[items]", message: "subscription_details[items] is required when subscription_details[proration_date] is set." } } };
        if (d.proration_date !== undefined && behavior === "none") return { status: 400, body: { error: { type: "invalid_request_error", param: "subscription_details[proration_date]", message: "subscription_details[proration_date] cannot be set when subscription_details[proration_behavior] is none." } } };
        // A preview may be made in another billing mode (as the subscription would be after a migration).
        const as = d.billing_mode?.type ? { ...sub, billing_mode: { type: d.billing_mode.type } } : sub;
        const { lines: prorations, newItems, reset } = this.prorate(as, d.items ?? [], Number(d.proration_date ?? this.nowS()), true);
        if (this.previewAdjustMinor) prorations.push(this.line(this.previewAdjustMinor, "Price adjustment", true, sub.items[0].id, sub.id, this.nowS(), sub.items[0].current_period_end));
        // always_invoice: the invoice the change issues now. Otherwise the next invoice: the next period of
        // each licensed item, with the prorations waiting for it (create_prorations) or none.
        const next = reset
          ? []
          : newItems
              .filter((i) => this.prices.get(i.price)!.recurring?.usage_type !== "metered")
              .map((i) => {
                const price = this.prices.get(i.price)!;
                return this.line(price.unit_amount, `1 × ${price.nickname ?? price.id}`, false, i.id, sub.id, i.current_period_end, i.current_period_end + SPAN_S[this.intervalOf(i.price)]!);
              });
        const lines = behavior === "always_invoice" ? prorations : behavior === "none" ? next : [...prorations, ...next];
        const inv = this.newInvoice(p.customer, sub.id, lines, "upcoming", "draft", false);
        if (d.proration_date !== undefined) inv.parent.subscription_details.subscription_proration_date = Number(d.proration_date);
        return ok(inv);
      }
      if (method === "GET" && seg[1] === "invoices" && seg[2]) return this.invoices.has(seg[2]) ? ok(this.invoices.get(seg[2])) : missing(`invoice: '${seg[2]}'`);
      if (method === "GET" && path === "/v1/invoice_payments") {
        const inv = this.invoices.get(p.invoice);
        // An invoice paid by a charge (set `charge` on it in a test) has a payment of type charge.
        const payment = inv?.payment_intent ? { type: "payment_intent", payment_intent: inv.payment_intent } : { type: "charge", charge: inv?.charge };
        const data = inv && inv.status === "paid" ? [{ id: `inpay_${inv.id}`, object: "invoice_payment", invoice: inv.id, amount_paid: inv.amount_paid, status: "paid", is_default: true, payment }] : [];
        return ok({ object: "list", data, has_more: false });
      }
      // refunds
      if (method === "GET" && path === "/v1/refunds") {
        const data = this.refunds.filter((r) => (!p.payment_intent || r.payment_intent === p.payment_intent) && (!p.charge || r.charge === p.charge));
        return ok({ object: "list", data: [...data].reverse(), has_more: false });
      }
      if (method === "POST" && path === "/v1/refunds") {
        this.executed.refunds++;
        const r = { id: this.id("re"), object: "refund", amount: Number(p.amount), payment_intent: p.payment_intent ?? null, charge: p.charge ?? null, status: "succeeded", reason: p.reason ?? null, metadata: p.metadata ?? {} };
        this.refunds.push(r);
        return ok(r);
      }
      // checkout
      if (method === "POST" && path === "/v1/checkout/sessions") {
        this.executed.checkoutSessions++;
        const id = this.id("cs_test");
        const s = {
          id,
          object: "checkout.session",
          mode: p.mode,
          url: `https://checkout.stripe.test/c/pay/${id}`,
          status: "open",
          payment_status: "unpaid",
          customer: p.customer ?? null,
          customer_email: p.customer_email ?? null,
          client_reference_id: p.client_reference_id ?? null,
          metadata: p.metadata ?? {},
          subscription: null,
          subscription_data: p.subscription_data ?? {},
          line_items: p.line_items ?? [],
          success_url: p.success_url,
          cancel_url: p.cancel_url,
        };
        this.sessions.set(id, s);
        return ok(s);
      }
      // subscription schedules
      if (seg[1] === "subscription_schedules") {
        if (method === "POST" && !seg[2]) {
          const sub = this.subscriptions.get(p.from_subscription);
          if (!sub) return missing(`subscription: '${p.from_subscription}'`);
          this.executed.schedules++;
          const base = sub.items[0];
          const schedule = {
            id: this.id("sub_sched"),
            object: "subscription_schedule",
            status: "active",
            subscription: sub.id,
            released_subscription: null,
            end_behavior: "release",
            current_phase: { start_date: base.current_period_start, end_date: base.current_period_end },
            phases: [{ start_date: base.current_period_start, end_date: base.current_period_end, items: sub.items.map((i: Obj) => ({ price: i.price, quantity: i.quantity })) }],
          };
          this.schedules.set(schedule.id, schedule);
          sub.schedule = schedule.id;
          return ok(schedule);
        }
        const schedule = seg[2] ? this.schedules.get(seg[2]) : undefined;
        if (!schedule) return missing(`subscription_schedule: '${seg[2]}'`);
        if (method === "GET") return ok(schedule);
        if (method === "POST" && seg[3] === "release") {
          if (schedule.status !== "active" && schedule.status !== "not_started") return { status: 400, body: { error: { type: "invalid_request_error", message: `You cannot release a subscription schedule that is currently in the \`${schedule.status}\` status.` } } };
          const sub = this.subscriptions.get(schedule.subscription)!;
          Object.assign(schedule, { status: "released", released_subscription: sub.id, subscription: null });
          sub.schedule = null;
          return ok(schedule);
        }
        if (method === "POST") {
          if (schedule.status !== "active" && schedule.status !== "not_started") return { status: 400, body: { error: { type: "invalid_request_error", message: `You cannot update a subscription schedule that is currently in the \`${schedule.status}\` status.` } } };
          if (p.phases) {
            const phases: Obj[] = (p.phases as Obj[]).map((ph) => ({ ...ph, start_date: ph.start_date ? Number(ph.start_date) : undefined, end_date: ph.end_date ? Number(ph.end_date) : undefined }));
            // The phase running now keeps its start; each phase ends after it starts.
            if (schedule.current_phase && phases[0]!.start_date !== schedule.current_phase.start_date) {
              return { status: 400, body: { error: { type: "invalid_request_error", param: "phases[0][start_date]", message: "You can not modify the start date of the current phase." } } };
            }
            for (const [i, ph] of phases.entries()) {
              if (ph.start_date !== undefined && ph.end_date !== undefined && ph.end_date <= ph.start_date) return { status: 400, body: { error: { type: "invalid_request_error", param: `phases[${i}][end_date]`, message: "The end date of a phase must be after its start date." } } };
              if (i < phases.length - 1 && ph.end_date === undefined && ph.duration === undefined) return { status: 400, body: { error: { type: "invalid_request_error", param: `phases[${i}][end_date]`, message: "Every phase but the last needs an end_date or a duration." } } };
            }
            schedule.phases = phases;
            this.phaseIndex.set(schedule.id, 0);
          }
          if (p.end_behavior) schedule.end_behavior = p.end_behavior;
          return ok(schedule);
        }
      }
      return { status: 404, body: { error: { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` } } };
    } catch (err) {
      const e = err as Error & { status?: number };
      return { status: e.status ?? 500, body: { error: { type: e.status ? "invalid_request_error" : "api_error", message: e.message } } };
    }
  }

  private updateSubscription(sub: Obj, p: Obj, expand: string[]): Obj {
    if (p.cancel_at_period_end !== undefined) sub.cancel_at_period_end = p.cancel_at_period_end === "true";
    // pause_collection: a hash sets it, "" clears it. https://docs.stripe.com/billing/subscriptions/pause-payment
    if (p.pause_collection !== undefined) sub.pause_collection = p.pause_collection === "" ? null : { behavior: p.pause_collection.behavior, resumes_at: p.pause_collection.resumes_at ? Number(p.pause_collection.resumes_at) : null };
    if (!p.items) return this.renderSubscription(sub, expand);
    this.checkAnchor(p, p.proration_date);
    const prorationDate = Number(p.proration_date ?? this.nowS());
    const { lines, newItems } = this.prorate(sub, p.items, prorationDate);
    this.executed.subscriptionUpdates++;
    const invoice = p.proration_behavior === "always_invoice" ? this.newInvoice(sub.customer, sub.id, lines, "subscription_update", this.paymentFails ? "open" : "paid") : null;
    if (invoice) sub.latest_invoice = invoice.id;
    if (this.paymentFails && p.payment_behavior === "pending_if_incomplete") {
      sub.pendingItems = newItems;
      sub.pending_update = { expires_at: this.nowS() + 23 * 3600, subscription_items: newItems, billing_cycle_anchor: null, trial_end: null, trial_from_plan: null };
    } else {
      sub.items = newItems;
    }
    return this.renderSubscription(sub, expand);
  }
}
