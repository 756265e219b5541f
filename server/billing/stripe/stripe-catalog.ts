import type Stripe from "stripe";
import { stripeSdk } from "./stripe-sdk";
import type { Catalog } from "../../../shared/catalog";
import { INTERVAL_WORDS, intervalsOf, quotaWindow } from "../../../shared/billing-interval";
import type { BillingInterval, Plan, PlanId } from "../../../shared/plans";
import { DomainError } from "../../lib/domain-error";
import { DEFAULT_RETRY, withStripeRetries, type RetryPolicy } from "./stripe-client";

/**
 * Plans ↔ Stripe. Each paid plan is a product `headroom_<plan>` with a price per interval it is sold
 * in, found by its lookup key (`headroom_<plan>_monthly`, `headroom_<plan>_yearly`); metered usage
 * has its own meter and price: Enterprise bills every call, Pro (with overage on) the calls beyond its
 * monthly quota. Two meters, so a subscription that still carries a metered item of a former plan is
 * never billed twice. A metered price bills at the end of the window its quota is counted in: monthly
 * (`headroom_<plan>_metered`), or yearly for a yearly quota on a yearly price (`…_metered_per_year`).
 */

/**
 * The lookup key of one of a plan's prices: its base price in an interval, or its metered price for
 * usage billed per that interval. Every key is written here, so a plan version can join it later.
 */
export function priceLookupKey(planId: PlanId, interval: BillingInterval, kind: "base" | "metered" = "base"): string {
  if (kind === "base") return `headroom_${planId}_${interval === "year" ? "yearly" : "monthly"}`;
  // Not "…_yearly": a metered key never reads as a base price's.
  return interval === "year" ? `headroom_${planId}_metered_per_year` : `headroom_${planId}_metered`;
}
export const basePriceKey = (planId: PlanId, interval: BillingInterval = "month") => priceLookupKey(planId, interval, "base");
export const meteredPriceKey = (planId: PlanId, interval: BillingInterval = "month") => priceLookupKey(planId, interval, "metered");
export const productIdOf = (planId: PlanId) => `headroom_${planId}`;

export const METER_ALL_CALLS = "headroom_api_calls";
export const METER_OVERAGE_CALLS = "headroom_overage_calls";

/** The meter a plan's metered price counts on, or null for plans without usage billing. */
export function meterEventOf(plan: Plan): string | null {
  if (plan.overagePer1000Minor === undefined) return null;
  return plan.metered ? METER_ALL_CALLS : plan.caps.month !== undefined ? METER_OVERAGE_CALLS : null;
}

/**
 * The plan and interval a Stripe base price stands for, from its lookup key (null: not one of ours,
 * or a metered price). The id is read, not checked: whether the catalog holds it is the caller's question.
 */
export function baseTermsOfPrice(price: Pick<Stripe.Price, "lookup_key"> | null | undefined): { planId: PlanId; interval: BillingInterval } | null {
  const m = /^headroom_([a-z0-9][a-z0-9_-]*)_(monthly|yearly)$/.exec(price?.lookup_key ?? "");
  return m ? { planId: m[1]!, interval: m[2] === "yearly" ? "year" : "month" } : null;
}

/** The plan id a Stripe base price stands for (see baseTermsOfPrice). */
export function planOfPrice(price: Pick<Stripe.Price, "lookup_key"> | null | undefined): PlanId | null {
  return baseTermsOfPrice(price)?.planId ?? null;
}

interface DesiredPrice {
  lookupKey: string;
  planId: PlanId;
  create: Omit<Stripe.PriceCreateParams, "product" | "lookup_key" | "recurring"> & { recurring: { interval: BillingInterval; usage_type: "licensed" | "metered" } };
  meterEvent: string | null;
}

/** The metered prices a plan needs: one per quota window it is sold with (a month; a year for a yearly quota on a yearly price). */
function meteredWindows(plan: Plan): BillingInterval[] {
  return [...new Set(intervalsOf(plan).map((i) => quotaWindow(plan, i)))];
}

function desiredPrices(catalog: Catalog): DesiredPrice[] {
  const out: DesiredPrice[] = [];
  for (const plan of catalog.plans) {
    const currency = plan.currency.toLowerCase();
    for (const interval of intervalsOf(plan)) {
      const amount = plan.prices[interval]!;
      if (amount <= 0) continue;
      out.push({ lookupKey: basePriceKey(plan.id, interval), planId: plan.id, meterEvent: null, create: { currency, unit_amount: amount, recurring: { interval, usage_type: "licensed" }, nickname: `${plan.name} ${INTERVAL_WORDS[interval].adjective}` } });
    }
    if (plan.priceMinor <= 0) continue;
    const meterEvent = meterEventOf(plan);
    if (!meterEvent || plan.overagePer1000Minor === undefined) continue;
    for (const window of meteredWindows(plan)) {
      const suffix = window === "year" ? ", yearly" : "";
      out.push(
        plan.metered
          ? // Every call at a fraction of a cent: per 1,000 calls ÷ 1,000.
            { lookupKey: meteredPriceKey(plan.id, window), planId: plan.id, meterEvent, create: { currency, unit_amount_decimal: stripeSdk().Decimal.from(String(plan.overagePer1000Minor / 1000)), recurring: { interval: window, usage_type: "metered" }, nickname: `${plan.name} calls${suffix}` } }
          : // Calls over the quota, charged per started 1,000, as the local invoices do.
            { lookupKey: meteredPriceKey(plan.id, window), planId: plan.id, meterEvent, create: { currency, unit_amount: plan.overagePer1000Minor, transform_quantity: { divide_by: 1000, round: "up" }, recurring: { interval: window, usage_type: "metered" }, nickname: `${plan.name} overage per 1,000 calls${suffix}` } },
      );
    }
  }
  return out;
}

export interface SyncAction {
  object: "meter" | "product" | "price";
  key: string;
  action: "created" | "updated" | "unchanged";
  id: string;
  detail?: string;
}

function samePrice(p: Stripe.Price, d: DesiredPrice, meterId: string | null): boolean {
  const c = d.create;
  return (
    p.currency === c.currency &&
    p.recurring?.interval === c.recurring.interval &&
    (p.recurring?.usage_type ?? "licensed") === c.recurring.usage_type &&
    (meterId === null || p.recurring?.meter === meterId) &&
    (c.unit_amount === undefined || p.unit_amount === c.unit_amount) &&
    (c.unit_amount_decimal === undefined || Number(String(p.unit_amount_decimal)) === Number(String(c.unit_amount_decimal))) &&
    (c.transform_quantity === undefined || (p.transform_quantity?.divide_by === c.transform_quantity.divide_by && p.transform_quantity?.round === c.transform_quantity.round))
  );
}

/**
 * Creates or updates the products, meters and prices of the catalog in the Stripe account.
 * Idempotent: what exists and matches is left alone, so a second run creates nothing. A price whose
 * amount changed is replaced (Stripe prices are immutable): the new one takes over the lookup key,
 * the old one is archived. Each create carries an idempotency key derived from what it creates.
 */
export async function syncStripeCatalog(stripe: Stripe, catalog: Catalog, retry: RetryPolicy = DEFAULT_RETRY): Promise<SyncAction[]> {
  const call = <T>(fn: () => Promise<T>) => withStripeRetries(fn, retry);
  const actions: SyncAction[] = [];
  const prices = desiredPrices(catalog);

  // Meters, by event name.
  const meters = new Map<string, string>();
  const existingMeters = await call(() => stripe.billing.meters.list({ limit: 100 }));
  for (const m of existingMeters.data) if (m.status === "active") meters.set(m.event_name, m.id);
  for (const eventName of [...new Set(prices.map((p) => p.meterEvent).filter((e): e is string => e !== null))]) {
    const found = meters.get(eventName);
    if (found) {
      actions.push({ object: "meter", key: eventName, action: "unchanged", id: found });
      continue;
    }
    const created = await call(() =>
      stripe.billing.meters.create(
        {
          display_name: eventName === METER_ALL_CALLS ? "API calls" : "API calls over the monthly quota",
          event_name: eventName,
          default_aggregation: { formula: "sum" },
          customer_mapping: { type: "by_id", event_payload_key: "stripe_customer_id" },
          value_settings: { event_payload_key: "value" },
        },
        { idempotencyKey: `catalog:meter:${eventName}` },
      ),
    );
    meters.set(eventName, created.id);
    actions.push({ object: "meter", key: eventName, action: "created", id: created.id });
  }

  // Products, by our own ids.
  for (const plan of catalog.plans.filter((p) => intervalsOf(p).some((i) => p.prices[i]! > 0))) {
    const id = productIdOf(plan.id);
    const want = { name: `${plan.name} plan`, description: plan.summary };
    let product: Stripe.Product | null = null;
    try {
      product = await call(() => stripe.products.retrieve(id));
    } catch (err) {
      if (!(err instanceof stripeSdk().errors.StripeInvalidRequestError) || err.statusCode !== 404) throw err;
    }
    if (!product) {
      await call(() => stripe.products.create({ id, ...want, metadata: { headroom_plan_id: plan.id } }, { idempotencyKey: `catalog:product:${id}` }));
      actions.push({ object: "product", key: id, action: "created", id });
    } else if (product.name !== want.name || product.description !== want.description || !product.active) {
      await call(() => stripe.products.update(id, { ...want, active: true }));
      actions.push({ object: "product", key: id, action: "updated", id, detail: "name, description or active" });
    } else {
      actions.push({ object: "product", key: id, action: "unchanged", id });
    }
  }

  // Prices, by lookup key.
  const listed = await call(() => stripe.prices.list({ lookup_keys: prices.map((p) => p.lookupKey), limit: 100 }));
  const byKey = new Map(listed.data.map((p) => [p.lookup_key ?? "", p]));
  for (const d of prices) {
    const meterId = d.meterEvent ? meters.get(d.meterEvent)! : null;
    const current = byKey.get(d.lookupKey);
    if (current && samePrice(current, d, meterId)) {
      if (!current.active) await call(() => stripe.prices.update(current.id, { active: true }));
      actions.push({ object: "price", key: d.lookupKey, action: current.active ? "unchanged" : "updated", id: current.id, detail: current.active ? undefined : "reactivated" });
      continue;
    }
    const params: Stripe.PriceCreateParams = {
      ...d.create,
      product: productIdOf(d.planId),
      lookup_key: d.lookupKey,
      // A changed amount: the new price takes the lookup key from the old one.
      transfer_lookup_key: current ? true : undefined,
      recurring: { ...d.create.recurring, meter: meterId ?? undefined },
      metadata: { headroom_plan_id: d.planId },
    };
    const fingerprint = `${d.create.unit_amount ?? String(d.create.unit_amount_decimal)}:${d.create.currency}:${meterId ?? "-"}`;
    const created = await call(() => stripe.prices.create(params, { idempotencyKey: `catalog:price:${d.lookupKey}:${fingerprint}:${current?.id ?? "new"}` }));
    if (current) await call(() => stripe.prices.update(current.id, { active: false }));
    actions.push({ object: "price", key: d.lookupKey, action: current ? "updated" : "created", id: created.id, detail: current ? `replaces ${current.id} (archived)` : undefined });
  }
  return actions;
}

/** Price ids by lookup key, read once per process (and again when one is missing). */
export class StripePriceBook {
  private ids = new Map<string, string>();
  private byId = new Map<string, Stripe.Price>();
  constructor(
    private readonly stripe: Stripe,
    private readonly retry: RetryPolicy,
    private readonly catalog: Catalog,
  ) {}

  async idOf(lookupKey: string): Promise<string> {
    const cached = this.ids.get(lookupKey);
    if (cached) return cached;
    const keys = desiredPrices(this.catalog).map((p) => p.lookupKey);
    const listed = await withStripeRetries(() => this.stripe.prices.list({ lookup_keys: keys, active: true, limit: 100 }), this.retry);
    for (const p of listed.data) {
      if (!p.lookup_key) continue;
      this.ids.set(p.lookup_key, p.id);
      this.byId.set(p.id, p);
    }
    const id = this.ids.get(lookupKey);
    if (!id) throw new DomainError("PRECONDITION_FAILED", `This plan is not set up in Stripe yet (no active price with lookup key ${lookupKey}). Nothing was charged; the provider needs to run \`npm run headroom -- stripe sync\`.`);
    return id;
  }

  /** A price this book listed (its interval, its meter), by id. */
  async price(id: string): Promise<Stripe.Price | undefined> {
    return this.byId.get(id);
  }

  basePrice(planId: PlanId, interval: BillingInterval = "month"): Promise<string> {
    return this.idOf(basePriceKey(planId, interval));
  }

  /** The metered price of a plan with usage billing, for an account on `interval` (billed per its quota window), else null. */
  async meteredPrice(planId: PlanId, interval: BillingInterval = "month"): Promise<string | null> {
    const plan = this.catalog.plan(planId);
    return meterEventOf(plan) ? this.idOf(meteredPriceKey(planId, plan.prices[interval] !== undefined ? quotaWindow(plan, interval) : "month")) : null;
  }
}
