import type Stripe from "stripe";
import { z } from "zod";

/**
 * What the Stripe double accepts on each endpoint Headroom calls, as Stripe's API does: a schema per
 * endpoint over the form-encoded wire values (every scalar is a string there), derived from the
 * `stripe` SDK's request param types (generated from Stripe's OpenAPI). The helpers below make the
 * compiler hold each schema to its SDK type: a key the SDK type does not have, a required key left
 * out or left optional, an enum value the SDK lacks or one it has and the schema lacks, does not
 * compile. A parameter the SDK has and the double does not model is refused as unknown, so a test
 * shows it at once. Errors have Stripe's shape (https://docs.stripe.com/api/errors):
 * `{ error: { type: "invalid_request_error", code, param, message } }`, HTTP 400.
 */

/** The literal values of a Stripe enum type (the SDK joins them with an open `string`). */
type Literals<U> = U extends string ? (string extends U ? never : U) : never;
/** The keys an SDK params type requires. */
type RequiredKeys<P> = { [K in keyof P]-?: Record<never, never> extends Pick<P, K> ? never : K }[keyof P];
type Elem<T> = T extends readonly (infer E)[] ? E : never;
/** A field of an SDK params type, without its absent or "" (unset) forms. */
export type FieldOf<P, K extends keyof P> = Exclude<NonNullable<P[K]>, "">;
/** The element of an array field. */
export type ItemOf<P, K extends keyof P> = Elem<FieldOf<P, K>>;

/** A list of every value of U (no more, no less): a compile error otherwise. */
type Every<U, V extends readonly unknown[]> = [U] extends [V[number]] ? V : readonly ["missing", Exclude<U, V[number]>];

/** One of a Stripe enum's values; the list is checked against the SDK's type. */
export function oneOf<E>() {
  return <const V extends readonly Literals<E>[]>(values: Every<Literals<E>, V>) => z.enum(values as unknown as [string, ...string[]]);
}

export const wire = {
  str: () => z.string(),
  /** An integer, form-encoded. */
  int: () => z.string().regex(/^-?\d+$/, { error: "integer" }),
  /** A decimal amount (unit_amount_decimal). */
  decimal: () => z.string().regex(/^\d+(\.\d+)?$/, { error: "decimal" }),
  bool: () => z.enum(["true", "false"]),
  list: <T extends z.ZodType>(item: T) => z.array(item),
  metadata: () => z.record(z.string(), z.string()),
  expand: () => z.array(z.string()),
};

/**
 * The schema of an SDK params type P: `shape` may name only P's keys, `required` lists exactly the
 * keys P requires (each must be in the shape); every other key is optional, and unknown keys are refused.
 */
export function params<P>() {
  return <S extends { [K in keyof P]?: z.ZodType } & Record<RequiredKeys<P>, z.ZodType>, const R extends readonly RequiredKeys<P>[]>(
    shape: S & Record<Exclude<keyof S, keyof P>, never>,
    required: Every<RequiredKeys<P>, R>,
  ) => {
    const req = new Set<string>(required as readonly string[]);
    const entries = Object.entries(shape as Record<string, z.ZodType>).map(([k, v]) => [k, req.has(k) ? v : v.optional()] as const);
    return z.strictObject(Object.fromEntries(entries));
  };
}

type SubUpdate = Stripe.SubscriptionUpdateParams;
type SubItem = ItemOf<SubUpdate, "items">;
type Preview = Stripe.InvoiceCreatePreviewParams;
type PreviewDetails = FieldOf<Preview, "subscription_details">;
type Phase = ItemOf<Stripe.SubscriptionScheduleUpdateParams, "phases">;
type PriceCreate = Stripe.PriceCreateParams;
type Session = Stripe.Checkout.SessionCreateParams;
type MeterCreate = Stripe.Billing.MeterCreateParams;

const prorationBehavior = oneOf<FieldOf<SubUpdate, "proration_behavior">>()(["always_invoice", "create_prorations", "none"]);
const billingMode = params<FieldOf<Stripe.SubscriptionMigrateParams, "billing_mode">>()({ type: oneOf<FieldOf<Stripe.SubscriptionMigrateParams, "billing_mode">["type"]>()(["flexible"]) }, ["type"]);
const interval = oneOf<FieldOf<PriceCreate, "recurring">["interval"]>()(["day", "month", "week", "year"]);

const subscriptionItem = params<SubItem>()({ id: wire.str(), price: wire.str(), quantity: wire.int(), deleted: wire.bool(), metadata: wire.metadata() }, []);
const anchor = params<Exclude<FieldOf<SubUpdate, "billing_cycle_anchor">, string>>()({ type: oneOf<Exclude<FieldOf<SubUpdate, "billing_cycle_anchor">, string>["type"]>()(["now", "unchanged"]) }, ["type"]);

const subscriptionUpdate = params<SubUpdate>()(
  {
    items: wire.list(subscriptionItem),
    proration_behavior: prorationBehavior,
    proration_date: wire.int(),
    payment_behavior: oneOf<FieldOf<SubUpdate, "payment_behavior">>()(["allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"]),
    billing_cycle_anchor: anchor,
    cancel_at_period_end: wire.bool(),
    pause_collection: params<Exclude<FieldOf<SubUpdate, "pause_collection">, "">>()({ behavior: oneOf<Exclude<FieldOf<SubUpdate, "pause_collection">, "">["behavior"]>()(["keep_as_draft", "mark_uncollectible", "void"]), resumes_at: wire.int() }, ["behavior"]).or(z.literal("")),
    metadata: wire.metadata(),
    expand: wire.expand(),
  },
  [],
);

const previewItem = params<ItemOf<PreviewDetails, "items">>()({ id: wire.str(), price: wire.str(), quantity: wire.int(), deleted: wire.bool() }, []);
const preview = params<Preview>()(
  {
    customer: wire.str(),
    subscription: wire.str(),
    subscription_details: params<PreviewDetails>()(
      {
        items: wire.list(previewItem),
        proration_behavior: oneOf<FieldOf<PreviewDetails, "proration_behavior">>()(["always_invoice", "create_prorations", "none"]),
        proration_date: wire.int(),
        billing_mode: params<FieldOf<PreviewDetails, "billing_mode">>()({ type: oneOf<FieldOf<PreviewDetails, "billing_mode">["type"]>()(["classic", "flexible"]) }, ["type"]),
        billing_cycle_anchor: params<FieldOf<PreviewDetails, "billing_cycle_anchor">>()({ type: oneOf<FieldOf<PreviewDetails, "billing_cycle_anchor">["type"]>()(["now", "timestamp", "unchanged"]), timestamp: wire.int() }, ["type"]),
      },
      [],
    ),
    expand: wire.expand(),
  },
  [],
);

const phaseItem = params<ItemOf<Phase, "items">>()({ price: wire.str(), quantity: wire.int() }, []);
const scheduleUpdate = params<Stripe.SubscriptionScheduleUpdateParams>()(
  {
    end_behavior: oneOf<FieldOf<Stripe.SubscriptionScheduleUpdateParams, "end_behavior">>()(["cancel", "none", "release", "renew"]),
    phases: wire.list(
      params<Phase>()(
        {
          items: wire.list(phaseItem),
          start_date: wire.int().or(z.literal("now")),
          end_date: wire.int().or(z.literal("now")),
          duration: params<FieldOf<Phase, "duration">>()({ interval: oneOf<FieldOf<Phase, "duration">["interval"]>()(["day", "month", "week", "year"]), interval_count: wire.int() }, ["interval"]),
          proration_behavior: oneOf<FieldOf<Phase, "proration_behavior">>()(["always_invoice", "create_prorations", "none"]),
        },
        ["items"],
      ),
    ),
    expand: wire.expand(),
  },
  [],
);

const priceCreate = params<PriceCreate>()(
  {
    currency: wire.str(),
    product: wire.str(),
    lookup_key: wire.str(),
    transfer_lookup_key: wire.bool(),
    unit_amount: wire.int(),
    unit_amount_decimal: wire.decimal(),
    nickname: wire.str(),
    metadata: wire.metadata(),
    recurring: params<FieldOf<PriceCreate, "recurring">>()(
      {
        interval,
        interval_count: wire.int(),
        usage_type: oneOf<FieldOf<FieldOf<PriceCreate, "recurring">, "usage_type">>()(["licensed", "metered"]),
        meter: wire.str(),
      },
      ["interval"],
    ),
    transform_quantity: params<FieldOf<PriceCreate, "transform_quantity">>()({ divide_by: wire.int(), round: oneOf<FieldOf<PriceCreate, "transform_quantity">["round"]>()(["down", "up"]) }, ["divide_by", "round"]),
  },
  ["currency"],
);

const sessionCreate = params<Session>()(
  {
    mode: oneOf<FieldOf<Session, "mode">>()(["payment", "setup", "subscription"]),
    customer: wire.str(),
    customer_email: wire.str(),
    client_reference_id: wire.str(),
    line_items: wire.list(params<ItemOf<Session, "line_items">>()({ price: wire.str(), quantity: wire.int() }, [])),
    metadata: wire.metadata(),
    subscription_data: params<FieldOf<Session, "subscription_data">>()(
      {
        metadata: wire.metadata(),
        billing_mode: params<FieldOf<FieldOf<Session, "subscription_data">, "billing_mode">>()({ type: oneOf<FieldOf<FieldOf<Session, "subscription_data">, "billing_mode">["type"]>()(["classic", "flexible"]) }, ["type"]),
      },
      [],
    ),
    success_url: wire.str(),
    cancel_url: wire.str(),
  },
  [],
);

const meterCreate = params<MeterCreate>()(
  {
    display_name: wire.str(),
    event_name: wire.str(),
    default_aggregation: params<MeterCreate["default_aggregation"]>()({ formula: oneOf<MeterCreate["default_aggregation"]["formula"]>()(["count", "last", "sum"]) }, ["formula"]),
    customer_mapping: params<FieldOf<MeterCreate, "customer_mapping">>()({ type: oneOf<FieldOf<MeterCreate, "customer_mapping">["type"]>()(["by_id"]), event_payload_key: wire.str() }, ["event_payload_key", "type"]),
    value_settings: params<FieldOf<MeterCreate, "value_settings">>()({ event_payload_key: wire.str() }, ["event_payload_key"]),
  },
  ["default_aggregation", "display_name", "event_name"],
);

const list = { limit: wire.int(), starting_after: wire.str(), ending_before: wire.str(), expand: wire.expand() };

/** The endpoints Headroom calls, each with its schema. */
export const ENDPOINTS: Array<{ method: string; path: RegExp; schema: z.ZodType }> = [
  { method: "POST", path: /^\/v1\/subscriptions\/[^/]+$/, schema: subscriptionUpdate },
  { method: "GET", path: /^\/v1\/subscriptions\/[^/]+$/, schema: params<Stripe.SubscriptionRetrieveParams>()({ expand: wire.expand() }, []) },
  { method: "DELETE", path: /^\/v1\/subscriptions\/[^/]+$/, schema: params<Stripe.SubscriptionCancelParams>()({ prorate: wire.bool(), invoice_now: wire.bool(), expand: wire.expand() }, []) },
  { method: "POST", path: /^\/v1\/subscriptions\/[^/]+\/migrate$/, schema: params<Stripe.SubscriptionMigrateParams>()({ billing_mode: billingMode, expand: wire.expand() }, ["billing_mode"]) },
  {
    method: "GET",
    path: /^\/v1\/subscriptions$/,
    schema: params<Stripe.SubscriptionListParams>()({ ...list, customer: wire.str(), status: oneOf<FieldOf<Stripe.SubscriptionListParams, "status">>()(["active", "all", "canceled", "ended", "incomplete", "incomplete_expired", "past_due", "paused", "trialing", "unpaid"]) }, []),
  },
  { method: "POST", path: /^\/v1\/subscription_items$/, schema: params<Stripe.SubscriptionItemCreateParams>()({ subscription: wire.str(), price: wire.str(), quantity: wire.int(), proration_behavior: prorationBehavior }, ["subscription"]) },
  { method: "POST", path: /^\/v1\/invoices\/create_preview$/, schema: preview },
  { method: "GET", path: /^\/v1\/invoices\/[^/]+$/, schema: params<Stripe.InvoiceRetrieveParams>()({ expand: wire.expand() }, []) },
  {
    method: "GET",
    path: /^\/v1\/invoice_payments$/,
    schema: params<Stripe.InvoicePaymentListParams>()({ ...list, invoice: wire.str(), status: oneOf<FieldOf<Stripe.InvoicePaymentListParams, "status">>()(["canceled", "open", "paid"]) }, []),
  },
  {
    method: "POST",
    path: /^\/v1\/refunds$/,
    schema: params<Stripe.RefundCreateParams>()(
      { payment_intent: wire.str(), charge: wire.str(), amount: wire.int(), reason: oneOf<FieldOf<Stripe.RefundCreateParams, "reason">>()(["duplicate", "fraudulent", "requested_by_customer"]), metadata: wire.metadata() },
      [],
    ),
  },
  { method: "GET", path: /^\/v1\/refunds$/, schema: params<Stripe.RefundListParams>()({ ...list, payment_intent: wire.str(), charge: wire.str() }, []) },
  { method: "POST", path: /^\/v1\/checkout\/sessions$/, schema: sessionCreate },
  { method: "POST", path: /^\/v1\/subscription_schedules$/, schema: params<Stripe.SubscriptionScheduleCreateParams>()({ from_subscription: wire.str(), expand: wire.expand() }, []) },
  { method: "GET", path: /^\/v1\/subscription_schedules\/[^/]+$/, schema: params<Stripe.SubscriptionScheduleRetrieveParams>()({ expand: wire.expand() }, []) },
  { method: "POST", path: /^\/v1\/subscription_schedules\/[^/]+\/release$/, schema: params<Stripe.SubscriptionScheduleReleaseParams>()({ preserve_cancel_date: wire.bool(), expand: wire.expand() }, []) },
  { method: "POST", path: /^\/v1\/subscription_schedules\/[^/]+$/, schema: scheduleUpdate },
  { method: "GET", path: /^\/v1\/billing\/meters$/, schema: params<Stripe.Billing.MeterListParams>()({ ...list, status: oneOf<FieldOf<Stripe.Billing.MeterListParams, "status">>()(["active", "inactive"]) }, []) },
  { method: "POST", path: /^\/v1\/billing\/meters$/, schema: meterCreate },
  {
    method: "POST",
    path: /^\/v1\/billing\/meter_events$/,
    schema: params<Stripe.Billing.MeterEventCreateParams>()({ event_name: wire.str(), payload: wire.metadata(), identifier: wire.str(), timestamp: wire.int() }, ["event_name", "payload"]),
  },
  { method: "GET", path: /^\/v1\/products\/[^/]+$/, schema: params<Stripe.ProductRetrieveParams>()({ expand: wire.expand() }, []) },
  { method: "POST", path: /^\/v1\/products$/, schema: params<Stripe.ProductCreateParams>()({ id: wire.str(), name: wire.str(), description: wire.str(), metadata: wire.metadata(), active: wire.bool() }, ["name"]) },
  { method: "POST", path: /^\/v1\/products\/[^/]+$/, schema: params<Stripe.ProductUpdateParams>()({ name: wire.str(), description: wire.str(), active: wire.bool(), metadata: wire.metadata() }, []) },
  { method: "GET", path: /^\/v1\/prices$/, schema: params<Stripe.PriceListParams>()({ ...list, lookup_keys: wire.list(wire.str()), active: wire.bool() }, []) },
  { method: "GET", path: /^\/v1\/prices\/[^/]+$/, schema: params<Stripe.PriceRetrieveParams>()({ expand: wire.expand() }, []) },
  { method: "POST", path: /^\/v1\/prices$/, schema: priceCreate },
  { method: "POST", path: /^\/v1\/prices\/[^/]+$/, schema: params<Stripe.PriceUpdateParams>()({ active: wire.bool(), lookup_key: wire.str(), transfer_lookup_key: wire.bool(), nickname: wire.str(), metadata: wire.metadata() }, []) },
  { method: "GET", path: /^\/v1\/customers\/[^/]+$/, schema: params<Stripe.CustomerRetrieveParams>()({ expand: wire.expand() }, []) },
  { method: "POST", path: /^\/v1\/customers$/, schema: params<Stripe.CustomerCreateParams>()({ email: wire.str(), name: wire.str(), metadata: wire.metadata() }, []) },
];

/** A bracket path as Stripe names a parameter: items[0][price]. */
function paramName(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (i === 0 ? String(p) : `[${String(p)}]`)).join("");
}

export interface StripeRefusal {
  status: 400;
  body: { error: { type: "invalid_request_error"; code?: string; param?: string; message: string } };
}

export function refusal(param: string | undefined, message: string, code?: string): StripeRefusal {
  return { status: 400, body: { error: { type: "invalid_request_error", ...(code ? { code } : {}), ...(param ? { param } : {}), message } } };
}

/** The first issue in the request's parameters, as Stripe words it (null: valid, or an endpoint without a schema). */
export function checkParams(method: string, path: string, p: Record<string, unknown>): StripeRefusal | null {
  const endpoint = ENDPOINTS.find((e) => e.method === method && e.path.test(path));
  if (!endpoint) return null;
  const parsed = endpoint.schema.safeParse(p, { reportInput: true });
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const param = paramName([...issue.path, issue.keys[0]!]);
    return refusal(param, `Received unknown parameter: ${param}`, "parameter_unknown");
  }
  const param = paramName(issue.path);
  if (issue.input === undefined) return refusal(param, `Missing required param: ${param}.`, "parameter_missing");
  if (issue.code === "invalid_value") return refusal(param, `Invalid ${param}: must be one of ${issue.values.map(String).join(", ")}`);
  if (issue.code === "invalid_format" && issue.message === "integer") return refusal(param, `Invalid integer: ${String(issue.input)}`, "parameter_invalid_integer");
  if (issue.code === "invalid_type" && issue.expected === "object") return refusal(param, `Invalid object: ${param} must be a hash`);
  if (issue.code === "invalid_type" && issue.expected === "array") return refusal(param, `Invalid array: ${param} must be a list`);
  return refusal(param, `Invalid ${param}: ${String(issue.input)}`);
}
