import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A local stand-in for Dodo Payments' API, for tests: the real `dodopayments` SDK is pointed at it
 * (DODO_PAYMENTS_BASE_URL). It records what the SDK sends, keeps just enough state to answer with
 * Dodo-shaped objects (products, customers, subscriptions with a scheduled change, plan-change
 * previews with Dodo's proration modes, payments, checkout sessions, portal links, usage events),
 * refuses what Dodo refuses (an unknown field, a change on a subscription that is not active, more
 * than 1,000 events or a duplicate event_id in one request, an event outside the timestamp window),
 * and plays scripted failures: a declined card, an error answer, a request that never answers
 * (after its effect, or before). Webhooks are signed as Dodo signs them (Standard Webhooks).
 *
 * https://docs.dodopayments.com/api-reference/subscriptions/change-plan
 * https://docs.dodopayments.com/api-reference/subscriptions/preview-change-plan
 * https://docs.dodopayments.com/api-reference/usage-events/ingest-events
 * https://docs.dodopayments.com/developer-resources/webhooks
 */

// The double's objects are plain JSON, as on the wire.
// biome-ignore lint/suspicious/noExplicitAny: wire objects of any shape, read and written by path
type Obj = Record<string, any>;

export interface DodoRecordedRequest {
  method: string;
  path: string;
  body: Obj | null;
  authorization: string | null;
}

export type DodoScriptedFailure =
  /** An error answer before anything is done. */
  | { status: number; message?: string }
  /** Never answers: the SDK times out. `effectApplied`: the work was done first (a crash between Dodo's answer and ours). */
  | { hang: true; effectApplied: boolean };

export interface DodoProduct {
  product_id: string;
  name: string;
  /** Minor units per interval. */
  price: number;
  currency: string;
  interval: "Month" | "Year";
  metadata: Record<string, string>;
}

/** Fields Dodo's change-plan body knows (the preview shares it); anything else is refused. */
const CHANGE_PLAN_FIELDS = new Set([
  "product_id",
  "proration_billing_mode",
  "quantity",
  "adaptive_currency_fees_inclusive",
  "addons",
  "cancel_scheduled_change_plan",
  "collect_via_payment_link",
  "discount_code",
  "discount_codes",
  "effective_at",
  "metadata",
  "on_payment_failure",
]);
/** Fields of PATCH /subscriptions/{id}. */
const UPDATE_FIELDS = new Set(["billing", "cancel_at_next_billing_date", "cancel_reason", "cancellation_comment", "cancellation_feedback", "credit_entitlement_cart", "customer_business_name", "customer_name", "disable_on_demand", "metadata", "next_billing_date", "pause", "status", "subscription_period_count", "subscription_period_interval", "tax_id"]);
const EVENT_FIELDS = new Set(["customer_id", "event_id", "event_name", "metadata", "timestamp"]);
const CHECKOUT_FIELDS = new Set(["product_cart", "customer", "metadata", "return_url", "cancel_url", "subscription_data", "billing_currency", "confirm", "short_link"]);
const MODES = new Set(["prorated_immediately", "full_immediately", "difference_immediately", "do_not_bill"]);
/** Usage events are accepted up to an hour old and a few minutes ahead (the window: "sent within the hour"). */
export const EVENT_MAX_AGE_MS = 3_600_000;
export const EVENT_MAX_AHEAD_MS = 5 * 60_000;

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function unknownFields(body: Obj, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(body)) if (!allowed.has(k)) throw new Refusal(422, `Failed to deserialize the JSON body into the target type: ${where}: unknown field \`${k}\``);
}

export class DodoDouble {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  readonly requests: DodoRecordedRequest[] = [];
  readonly products = new Map<string, DodoProduct>();
  readonly customers = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly payments = new Map<string, Obj>();
  readonly checkouts = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  /** Usage meters: each sums `metadata.value` of the events with its event name. */
  readonly meters = new Map<string, { id: string; name: string; event_name: string; measurement_unit?: string; aggregation?: Obj }>();
  /** Usage events kept, by event_id (a resent id is counted once). */
  readonly events = new Map<string, Obj>();
  /** Plan changes Dodo carried out (immediately, or at the next billing date), in order. */
  readonly changes: Array<{ subscriptionId: string; from: string; to: string; mode: string }> = [];
  /** What the subscription waits for after a declined plan-change payment (prevent_change). */
  private readonly pendingChanges = new Map<string, { paymentId: string; productId: string; quantity: number; mode: string }>();
  private readonly failures: Array<{ method: string; path: RegExp; failure: DodoScriptedFailure }> = [];
  private readonly declines = new Set<string>();
  private seq = 0;
  /** Webhook signing key, Standard Webhooks form (whsec_ + base64). */
  readonly webhookKey = `whsec_${randomBytes(24).toString("base64")}`;
  /** Tax Dodo adds on a plan change's charge (a merchant of record collects it), as a fraction. */
  taxRate = 0;
  baseUrl = "";

  constructor(
    /** Dodo's clock (unix ms): the tests' ManualClock. */
    readonly nowMs: () => number = Date.now,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private id(prefix: string): string {
    this.seq++;
    return `${prefix}_${this.seq.toString(36).padStart(6, "0")}`;
  }

  // ---- scripting -------------------------------------------------------------------------

  failNext(method: string, path: RegExp, failure: DodoScriptedFailure): void {
    this.failures.push({ method, path, failure });
  }

  /** The next charge on this subscription's card is declined. */
  declineNext(subscriptionId: string): void {
    this.declines.add(subscriptionId);
  }

  calls(method: string, path: RegExp): DodoRecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  // ---- state set up by tests ---------------------------------------------------------------

  createProduct(p: Omit<DodoProduct, "product_id" | "currency" | "interval"> & { currency?: string; interval?: "Month" | "Year" }): DodoProduct {
    const product: DodoProduct = { product_id: this.id("pdt"), currency: "USD", interval: "Month", ...p };
    this.products.set(product.product_id, product);
    return product;
  }

  createMeter(eventName: string): { id: string; name: string; event_name: string } {
    const meter = { id: this.id("mtr"), name: eventName, event_name: eventName };
    this.meters.set(meter.id, meter);
    return meter;
  }

  createCustomer(email: string): Obj {
    const c = { customer_id: this.id("cus"), email, name: email, business_id: "bus_double", created_at: iso(this.nowMs()), metadata: {} };
    this.customers.set(c.customer_id, c);
    return c;
  }

  /** An active subscription on a product, its period from `periodStartMs` to `periodEndMs`. */
  createSubscription(customerId: string, productId: string, period: { startMs: number; endMs: number }, metadata: Record<string, string> = {}): Obj {
    const product = this.mustProduct(productId);
    const customer = this.customers.get(customerId);
    if (!customer) throw new Error(`no customer ${customerId}`);
    const sub: Obj = {
      subscription_id: this.id("sub"),
      status: "active",
      product_id: productId,
      quantity: 1,
      currency: product.currency,
      recurring_pre_tax_amount: product.price,
      customer: { customer_id: customerId, email: customer.email, name: customer.name, metadata: customer.metadata },
      metadata,
      previous_billing_date: iso(period.startMs),
      next_billing_date: iso(period.endMs),
      payment_frequency_interval: product.interval,
      payment_frequency_count: 1,
      subscription_period_interval: "Year",
      subscription_period_count: 10,
      cancel_at_next_billing_date: false,
      scheduled_change: null,
      has_payment_method: true,
      on_demand: false,
      tax_inclusive: false,
      trial_period_days: 0,
      addons: [],
      meters: [],
      created_at: iso(period.startMs),
    };
    this.subscriptions.set(sub.subscription_id, sub);
    return sub;
  }

  /** The customer pays at a checkout: Dodo creates the subscription (active) for the checkout's customer and product. */
  completeCheckout(sessionId: string, period: { startMs: number; endMs: number }): Obj {
    const session = this.checkouts.get(sessionId);
    if (!session) throw new Error(`no checkout ${sessionId}`);
    const item = session.body.product_cart[0];
    return this.createSubscription(session.body.customer.customer_id, item.product_id, period);
  }

  /** Dodo puts a subscription on hold (a renewal failed), or back. */
  setStatus(subscriptionId: string, status: string): Obj {
    const sub = this.mustSubscription(subscriptionId);
    sub.status = status;
    return sub;
  }

  /** The customer pays the plan change that waited for its payment: Dodo applies it. */
  payPending(subscriptionId: string): Obj {
    const pending = this.pendingChanges.get(subscriptionId);
    if (!pending) throw new Error(`no pending change on ${subscriptionId}`);
    this.pendingChanges.delete(subscriptionId);
    this.payments.get(pending.paymentId)!.status = "succeeded";
    this.applyNow(this.mustSubscription(subscriptionId), pending.productId, pending.quantity, pending.mode);
    return this.mustSubscription(subscriptionId);
  }

  /** The period ends: a scheduled change takes effect and the subscription renews. */
  renew(subscriptionId: string): Obj {
    const sub = this.mustSubscription(subscriptionId);
    if (sub.cancel_at_next_billing_date) {
      sub.status = "cancelled";
      sub.cancelled_at = sub.next_billing_date;
      return sub;
    }
    const start = Date.parse(sub.next_billing_date);
    const end = start + (Date.parse(sub.next_billing_date) - Date.parse(sub.previous_billing_date));
    if (sub.scheduled_change) {
      this.changes.push({ subscriptionId, from: sub.product_id, to: sub.scheduled_change.product_id, mode: "next_billing_date" });
      sub.product_id = sub.scheduled_change.product_id;
      sub.quantity = sub.scheduled_change.quantity;
      sub.recurring_pre_tax_amount = this.mustProduct(sub.product_id).price;
      sub.scheduled_change = null;
    }
    sub.previous_billing_date = iso(start);
    sub.next_billing_date = iso(end);
    return sub;
  }

  // ---- webhooks ----------------------------------------------------------------------------

  /**
   * A webhook as Dodo sends it: the JSON body and the Standard Webhooks headers, signed with
   * HMAC-SHA256 over `id.timestamp.body` with the base64-decoded key. `timestampS` backdates it (a
   * stale delivery); `key` signs it with another key (a forgery).
   */
  webhook(type: string, data: Obj, opts: { id?: string; timestampS?: number; key?: string } = {}): { body: string; headers: Record<string, string> } {
    const id = opts.id ?? this.id("msg");
    const ts = opts.timestampS ?? Math.floor(this.nowMs() / 1000);
    const body = JSON.stringify({ business_id: "bus_double", type, timestamp: iso(ts * 1000), data });
    const secret = Buffer.from((opts.key ?? this.webhookKey).replace(/^whsec_/, ""), "base64");
    const signature = createHmac("sha256", secret).update(`${id}.${ts}.${body}`).digest("base64");
    return { body, headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `v1,${signature}` } };
  }

  /** The subscription as a webhook's data (a snapshot: a late delivery carries an old one). */
  subscriptionPayload(subscriptionId: string): Obj {
    return { payload_type: "Subscription", ...structuredClone(this.mustSubscription(subscriptionId)) };
  }

  // ---- the API -----------------------------------------------------------------------------

  private mustProduct(id: string): DodoProduct {
    const p = this.products.get(id);
    if (!p) throw new Refusal(404, `Product ${id} not found`);
    return p;
  }

  private mustSubscription(id: string): Obj {
    const s = this.subscriptions.get(id);
    if (!s) throw new Refusal(404, `Subscription ${id} not found`);
    return s;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://double");
    const raw = Buffer.concat(chunks).toString("utf8");
    const method = req.method ?? "GET";
    let body: Obj | null = null;
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(payload === undefined ? "" : JSON.stringify(payload));
    };
    try {
      body = raw ? (JSON.parse(raw) as Obj) : null;
    } catch {
      return send(400, { code: "INVALID_REQUEST_BODY", message: "Body is not JSON" });
    }
    this.requests.push({ method, path: url.pathname, body, authorization: req.headers.authorization ?? null });
    if (!req.headers.authorization?.startsWith("Bearer ")) return send(401, { code: "UNAUTHORIZED", message: "Missing bearer token" });
    const i = this.failures.findIndex((f) => f.method === method && f.path.test(url.pathname));
    const failure = i >= 0 ? this.failures.splice(i, 1)[0]!.failure : null;
    if (failure && "status" in failure) return send(failure.status, { code: "SCRIPTED", message: failure.message ?? "Scripted failure" });
    if (failure && !failure.effectApplied) return; // never answers
    try {
      const answer = this.route(method, url, body ?? {});
      if (failure) return; // done, but the answer is lost
      send(200, answer ?? {});
    } catch (err) {
      if (failure) return;
      if (err instanceof Refusal) return send(err.status, { code: err.status === 404 ? "NOT_FOUND" : "UNPROCESSABLE", message: err.message });
      send(500, { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) });
    }
  }

  private route(method: string, url: URL, body: Obj): unknown {
    const p = url.pathname;
    let m: RegExpMatchArray | null;
    if (method === "GET" && (m = p.match(/^\/subscriptions\/([^/]+)$/))) return this.mustSubscription(m[1]!);
    if (method === "PATCH" && (m = p.match(/^\/subscriptions\/([^/]+)$/))) return this.updateSubscription(m[1]!, body);
    if (method === "POST" && (m = p.match(/^\/subscriptions\/([^/]+)\/change-plan\/preview$/))) return this.previewChange(m[1]!, body);
    if (method === "POST" && (m = p.match(/^\/subscriptions\/([^/]+)\/change-plan$/))) return this.changePlan(m[1]!, body);
    if (method === "DELETE" && (m = p.match(/^\/subscriptions\/([^/]+)\/change-plan\/scheduled$/))) {
      const sub = this.mustSubscription(m[1]!);
      if (!sub.scheduled_change) throw new Refusal(404, "No scheduled plan change");
      sub.scheduled_change = null;
      return undefined;
    }
    if (method === "GET" && p === "/payments") {
      if (Number(url.searchParams.get("page_number") ?? "1") > 1) return { items: [] };
      const q = url.searchParams;
      const since = q.get("created_at_gte") ? Date.parse(q.get("created_at_gte")!) : -Infinity;
      return {
        items: [...this.payments.values()]
          .filter((x) => (!q.get("subscription_id") || x.subscription_id === q.get("subscription_id")) && (!q.get("status") || x.status === q.get("status")) && Date.parse(x.created_at) >= since)
          .map((x) => ({ ...x, subscription_ids: [x.subscription_id] })),
      };
    }
    if (method === "GET" && (m = p.match(/^\/payments\/([^/]+)$/))) {
      const pay = this.payments.get(m[1]!);
      if (!pay) throw new Refusal(404, "Payment not found");
      return pay;
    }
    // One page: the SDK asks for the next page until one comes back empty.
    if (method === "GET" && p === "/products" && Number(url.searchParams.get("page_number") ?? "1") > 1) return { items: [] };
    if (method === "GET" && p === "/products") return { items: [...this.products.values()].map((x) => ({ ...x, is_recurring: true, price: x.price, business_id: "bus_double", created_at: iso(0), updated_at: iso(0), tax_category: "saas" })) };
    if (method === "POST" && p === "/checkouts") return this.checkout(body);
    if (method === "GET" && p === "/customers") {
      const email = url.searchParams.get("email");
      const page = Number(url.searchParams.get("page_number") ?? "1");
      return { items: page > 1 ? [] : [...this.customers.values()].filter((c) => !email || c.email === email) };
    }
    if (method === "POST" && p === "/customers") {
      unknownFields(body, new Set(["email", "name", "metadata", "phone_number"]), "customers");
      if (typeof body.email !== "string" || typeof body.name !== "string") throw new Refusal(422, "customers: email and name are required");
      const c = this.createCustomer(body.email);
      Object.assign(c, { name: body.name, metadata: body.metadata ?? {} });
      return c;
    }
    if (method === "POST" && (m = p.match(/^\/customers\/([^/]+)\/customer-portal\/session$/))) {
      if (!this.customers.has(m[1]!)) throw new Refusal(404, "Customer not found");
      return { link: `${this.baseUrl}/portal/${m[1]}?return_url=${encodeURIComponent(url.searchParams.get("return_url") ?? "")}` };
    }
    if (method === "POST" && p === "/events/ingest") return this.ingest(body);
    if (method === "GET" && p === "/refunds") {
      if (Number(url.searchParams.get("page_number") ?? "1") > 1) return { items: [] };
      const customer = url.searchParams.get("customer_id");
      return { items: [...this.refunds.values()].filter((r) => !customer || r.customer?.customer_id === customer).map(({ metadata: _m, customer: _c, ...item }) => item) };
    }
    if (method === "GET" && (m = p.match(/^\/refunds\/([^/]+)$/))) {
      const r = this.refunds.get(m[1]!);
      if (!r) throw new Refusal(404, "Refund not found");
      return r;
    }
    if (method === "POST" && p === "/refunds") {
      unknownFields(body, new Set(["payment_id", "items", "metadata", "reason"]), "refunds");
      const pay = this.payments.get(body.payment_id);
      if (!pay) throw new Refusal(404, "Payment not found");
      if (pay.status !== "succeeded") throw new Refusal(422, "Only a succeeded payment can be refunded");
      if ([...this.refunds.values()].some((r) => r.payment_id === pay.payment_id)) throw new Refusal(422, "This payment is already refunded");
      const refund = { refund_id: this.id("ref"), payment_id: pay.payment_id, amount: pay.total_amount, currency: pay.currency, status: "succeeded", is_partial: false, metadata: body.metadata ?? {}, reason: body.reason ?? null, created_at: iso(this.nowMs()), business_id: "bus_double", brand_id: "brd_double", customer: pay.customer };
      this.refunds.set(refund.refund_id, refund);
      return refund;
    }
    if (method === "GET" && p === "/meters") {
      if (Number(url.searchParams.get("page_number") ?? "1") > 1) return { items: [] };
      return { items: [...this.meters.values()].map((meter) => ({ aggregation: { type: "sum", key: "value" }, measurement_unit: "calls", ...meter, business_id: "bus_double", created_at: iso(0), updated_at: iso(0) })) };
    }
    if (method === "POST" && p === "/meters") {
      unknownFields(body, new Set(["name", "event_name", "measurement_unit", "aggregation", "description", "filter"]), "meters");
      for (const field of ["name", "event_name", "measurement_unit"]) if (typeof body[field] !== "string" || !body[field]) throw new Refusal(422, `meters: ${field} is required`);
      const aggregation = body.aggregation as Obj | undefined;
      if (!aggregation || !["count", "sum", "max", "last"].includes(String(aggregation.type))) throw new Refusal(422, "meters: aggregation.type must be count, sum, max or last");
      if (aggregation.type !== "count" && !aggregation.key) throw new Refusal(422, "meters: aggregation.key is required unless the type is count");
      if ([...this.meters.values()].some((x) => x.event_name === body.event_name)) throw new Refusal(409, `A meter for the event ${String(body.event_name)} exists already`);
      const meter = { id: this.id("mtr"), name: String(body.name), event_name: String(body.event_name), measurement_unit: String(body.measurement_unit), aggregation };
      this.meters.set(meter.id, meter);
      return { ...meter, business_id: "bus_double", created_at: iso(this.nowMs()), updated_at: iso(this.nowMs()), description: body.description ?? null, filter: null };
    }
    if (method === "GET" && (m = p.match(/^\/meters\/([^/]+)$/))) {
      const meter = this.meters.get(m[1]!);
      if (!meter) throw new Refusal(404, "Meter not found");
      return { ...meter, aggregation: { type: "sum", key: "value" }, business_id: "bus_double", created_at: iso(0), updated_at: iso(0), measurement_unit: "calls" };
    }
    if (method === "GET" && (m = p.match(/^\/subscriptions\/([^/]+)\/usage-history$/))) {
      const sub = this.mustSubscription(m[1]!);
      if (Number(url.searchParams.get("page_number") ?? "1") > 1) return { items: [] };
      const start = Date.parse(sub.previous_billing_date);
      const end = Date.parse(sub.next_billing_date);
      const meters = [...this.meters.values()].map((meter) => {
        const units = this.usageOf(sub.customer.customer_id, meter.event_name, start, end);
        return { id: meter.id, name: meter.name, consumed_units: String(units), chargeable_units: String(units), free_threshold: 0, price_per_unit: "0", total_price: 0, currency: sub.currency };
      });
      return { items: [{ start_date: sub.previous_billing_date, end_date: sub.next_billing_date, meters }] };
    }
    throw new Refusal(404, `No route ${method} ${p}`);
  }

  /** The amounts of a change now, as Dodo's preview states them (line items, credits, tax, total). */
  private quoteChange(sub: Obj, productId: string, quantity: number, mode: string): { lineAmount: number; credit: number; tax: number; total: number; factor: number } {
    const from = this.mustProduct(sub.product_id);
    const to = this.mustProduct(productId);
    const start = Date.parse(sub.previous_billing_date);
    const end = Date.parse(sub.next_billing_date);
    const factor = mode === "prorated_immediately" ? Math.max(0, Math.min(1, (end - this.nowMs()) / (end - start))) : 1;
    const lineAmount = mode === "do_not_bill" ? 0 : Math.round(to.price * quantity * factor);
    const credit = mode === "prorated_immediately" || mode === "difference_immediately" ? Math.round(from.price * sub.quantity * factor) : 0;
    const net = Math.max(0, lineAmount - credit);
    const tax = Math.round(net * this.taxRate);
    return { lineAmount, credit: Math.min(credit, lineAmount), tax, total: net + tax, factor };
  }

  private checkChange(subscriptionId: string, body: Obj): Obj {
    unknownFields(body, CHANGE_PLAN_FIELDS, "change-plan");
    if (typeof body.product_id !== "string") throw new Refusal(422, "product_id: missing field");
    if (!MODES.has(body.proration_billing_mode)) throw new Refusal(422, "proration_billing_mode: unknown variant");
    if (!Number.isInteger(body.quantity) || body.quantity < 1) throw new Refusal(422, "quantity: must be at least 1");
    if (body.effective_at !== undefined && body.effective_at !== "immediately" && body.effective_at !== "next_billing_date") throw new Refusal(422, "effective_at: unknown variant");
    if (body.on_payment_failure != null && body.on_payment_failure !== "prevent_change" && body.on_payment_failure !== "apply_change") throw new Refusal(422, "on_payment_failure: unknown variant");
    const sub = this.mustSubscription(subscriptionId);
    this.mustProduct(body.product_id);
    if (sub.status !== "active") throw new Refusal(422, `Subscription is ${sub.status}; only an active subscription can change plan`);
    if (this.pendingChanges.has(subscriptionId)) throw new Refusal(409, "A plan change is pending payment");
    if (sub.scheduled_change && !body.cancel_scheduled_change_plan) throw new Refusal(409, "A plan change is already scheduled");
    return sub;
  }

  private previewChange(subscriptionId: string, body: Obj): Obj {
    const sub = this.checkChange(subscriptionId, body);
    const to = this.mustProduct(body.product_id);
    const q = this.quoteChange(sub, body.product_id, body.quantity, body.proration_billing_mode);
    const effective = body.effective_at === "next_billing_date" ? sub.next_billing_date : iso(this.nowMs());
    return {
      immediate_charge: {
        effective_at: effective,
        line_items:
          body.effective_at === "next_billing_date"
            ? []
            : [{ type: "subscription", id: this.id("li"), product_id: to.product_id, name: to.name, currency: to.currency, proration_factor: q.factor, quantity: body.quantity, unit_price: to.price, tax_inclusive: false, tax: q.tax, tax_rate: this.taxRate }],
        summary: body.effective_at === "next_billing_date" ? { currency: to.currency, customer_credits: 0, settlement_amount: 0, settlement_currency: to.currency, total_amount: 0, tax: 0 } : { currency: to.currency, customer_credits: -q.credit, settlement_amount: q.total, settlement_currency: to.currency, total_amount: q.total, tax: q.tax, settlement_tax: q.tax },
      },
      new_plan: { ...structuredClone(sub), product_id: to.product_id, quantity: body.quantity, recurring_pre_tax_amount: to.price },
    };
  }

  private applyNow(sub: Obj, productId: string, quantity: number, mode: string): void {
    this.changes.push({ subscriptionId: sub.subscription_id, from: sub.product_id, to: productId, mode });
    sub.product_id = productId;
    sub.quantity = quantity;
    sub.recurring_pre_tax_amount = this.mustProduct(productId).price;
    sub.scheduled_change = null;
  }

  private changePlan(subscriptionId: string, body: Obj): Obj {
    const sub = this.checkChange(subscriptionId, body);
    if (body.effective_at === "next_billing_date") {
      const to = this.mustProduct(body.product_id);
      sub.scheduled_change = { id: this.id("spc"), product_id: to.product_id, product_name: to.name, quantity: body.quantity, effective_at: sub.next_billing_date, created_at: iso(this.nowMs()), addons: [] };
      return {};
    }
    const q = this.quoteChange(sub, body.product_id, body.quantity, body.proration_billing_mode);
    if (q.total === 0) {
      this.applyNow(sub, body.product_id, body.quantity, body.proration_billing_mode);
      return {};
    }
    const declined = this.declines.delete(subscriptionId);
    const payment = { payment_id: this.id("pay"), subscription_id: subscriptionId, total_amount: q.total, tax: q.tax, currency: sub.currency, status: declined ? "failed" : "succeeded", error_code: declined ? "CARD_DECLINED" : null, error_message: declined ? "Your card was declined." : null, created_at: iso(this.nowMs()), customer: sub.customer };
    this.payments.set(payment.payment_id, payment);
    if (!declined || body.on_payment_failure === "apply_change") this.applyNow(sub, body.product_id, body.quantity, body.proration_billing_mode);
    else this.pendingChanges.set(subscriptionId, { paymentId: payment.payment_id, productId: body.product_id, quantity: body.quantity, mode: body.proration_billing_mode });
    return { payment_id: payment.payment_id };
  }

  private updateSubscription(subscriptionId: string, body: Obj): Obj {
    unknownFields(body, UPDATE_FIELDS, "subscriptions");
    const sub = this.mustSubscription(subscriptionId);
    if (body.cancel_at_next_billing_date != null) {
      if (sub.status !== "active" && sub.status !== "on_hold") throw new Refusal(422, `Subscription is ${sub.status}`);
      sub.cancel_at_next_billing_date = Boolean(body.cancel_at_next_billing_date);
    }
    if (body.pause != null) {
      if (body.pause && sub.status !== "active") throw new Refusal(422, `Only an active subscription can be paused (it is ${sub.status})`);
      if (!body.pause && sub.status !== "paused") throw new Refusal(422, `Only a paused subscription can be resumed (it is ${sub.status})`);
      sub.status = body.pause ? "paused" : "active";
      sub.paused_at = body.pause ? iso(this.nowMs()) : null;
    }
    if (body.metadata != null) sub.metadata = body.metadata;
    return sub;
  }

  private checkout(body: Obj): Obj {
    unknownFields(body, CHECKOUT_FIELDS, "checkouts");
    if (!Array.isArray(body.product_cart) || body.product_cart.length === 0) throw new Refusal(422, "product_cart: at least one product");
    for (const item of body.product_cart) {
      unknownFields(item, new Set(["product_id", "quantity", "addons", "amount"]), "product_cart");
      this.mustProduct(item.product_id);
    }
    const session = { session_id: this.id("cks"), checkout_url: `${this.baseUrl}/checkout/${this.seq}`, body };
    this.checkouts.set(session.session_id, session);
    return { session_id: session.session_id, checkout_url: session.checkout_url };
  }

  private ingest(body: Obj): Obj {
    unknownFields(body, new Set(["events"]), "events/ingest");
    const events = body.events;
    if (!Array.isArray(events) || events.length < 1 || events.length > 1000) throw new Refusal(422, "events: expected 1 to 1000 elements");
    const seen = new Set<string>();
    const now = this.nowMs();
    for (const e of events) {
      unknownFields(e, EVENT_FIELDS, "events[]");
      if (typeof e.event_id !== "string" || typeof e.customer_id !== "string" || typeof e.event_name !== "string") throw new Refusal(422, "events[]: event_id, customer_id and event_name are required");
      if (seen.has(e.event_id)) throw new Refusal(422, `events[]: duplicate event_id ${e.event_id} in one request`);
      seen.add(e.event_id);
      if (!this.customers.has(e.customer_id)) throw new Refusal(422, `events[]: unknown customer ${e.customer_id}`);
      if (e.timestamp != null) {
        const at = Date.parse(e.timestamp);
        if (!Number.isFinite(at) || at < now - EVENT_MAX_AGE_MS || at > now + EVENT_MAX_AHEAD_MS) throw new Refusal(422, `events[]: timestamp ${e.timestamp} is outside the accepted window`);
      }
    }
    let n = 0;
    for (const e of events) {
      if (this.events.has(e.event_id)) continue;
      this.events.set(e.event_id, e);
      n++;
    }
    return { ingested_count: n };
  }

  /** Units ingested for a customer and event name (each event_id once), optionally stamped in [fromMs, toMs). */
  usageOf(customerId: string, eventName: string, fromMs = -Infinity, toMs = Infinity): number {
    let n = 0;
    for (const e of this.events.values()) {
      const at = e.timestamp ? Date.parse(e.timestamp) : 0;
      if (e.customer_id === customerId && e.event_name === eventName && at >= fromMs && at < toMs) n += Number(e.metadata?.value ?? 1);
    }
    return n;
  }
}
