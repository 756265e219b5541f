import type Stripe from "stripe";
import { stripeSdk } from "./stripe-sdk";
import type { Catalog } from "../../../shared/catalog";
import { INTERVAL_WORDS, intervalsOf, quotaWindow } from "../../../shared/billing-interval";
import type { BillingInterval, Plan, PlanId } from "../../../shared/plans";
import { planVersionsInUse } from "../../db/queries/catalog";
import type { Store } from "../../db/queries/store";
import { DomainError } from "../../lib/domain-error";
import { billedMeters, type BilledMeter, type MeterBilling } from "../../../shared/meter-billing";
import { DEFAULT_RETRY, keyAfter, stripeMutation, withStripeRetries, type Reread, type RetryPolicy } from "./stripe-client";

/**
 * Plans ↔ Stripe. Each paid plan is a product `headroom_<plan>` with a price per interval it is sold
 * in, found by its lookup key (`headroom_<plan>_monthly`, `headroom_<plan>_yearly`); each meter a plan
 * bills usage on has a metered price of its own on a Stripe meter of its own: every unit (metered) or
 * the units beyond the monthly quota (overage, with the opt-in). One Stripe meter per catalog meter and
 * kind, so a subscription that still carries a metered item of a former plan is never billed twice. A
 * metered price bills at the end of the window its quota is counted in: monthly (`…_metered`), or
 * yearly for a yearly quota on a yearly price (`…_metered_per_year`).
 *
 * A plan's version has prices of its own: version 1 keeps the keys above, version n ≥ 2 has `_v<n>`
 * after the plan id (`headroom_starter_v2_monthly`), so a new version's price never changes what a
 * subscription on an older one pays.
 */

/** A price of ours is a plan's base price, or the metered price of one of its meters. */
export type PriceKind = "base" | "metered";

/**
 * The lookup key of one of a plan's prices: its base price in an interval, or a meter's metered price
 * for usage billed per that interval. `version`: the plan version (1, the default, has the keys
 * written before versions); `meter`: a meter other than the catalog's first (whose keys have no
 * meter in them). Every key is written here.
 */
export function priceLookupKey(planId: PlanId, interval: BillingInterval, kind: PriceKind = "base", opts: { version?: number; meter?: string | null } = {}): string {
  const plan = opts.version !== undefined && opts.version > 1 ? `${planId}_v${opts.version}` : planId;
  if (kind === "base") return `headroom_${plan}_${interval === "year" ? "yearly" : "monthly"}`;
  const meter = opts.meter ? `_${opts.meter}` : "";
  // Not "…_yearly": a metered key never reads as a base price's.
  return interval === "year" ? `headroom_${plan}${meter}_metered_per_year` : `headroom_${plan}${meter}_metered`;
}
export const basePriceKey = (planId: PlanId, interval: BillingInterval = "month", version = 1) => priceLookupKey(planId, interval, "base", { version });
export const meteredPriceKey = (planId: PlanId, interval: BillingInterval = "month", opts: { version?: number; meter?: string | null } = {}) => priceLookupKey(planId, interval, "metered", opts);
export const productIdOf = (planId: PlanId) => `headroom_${planId}`;

/** The default meter's Stripe meters, named before there were several: every call, and calls over the quota. */
export const METER_ALL_CALLS = "headroom_api_calls";
export const METER_OVERAGE_CALLS = "headroom_overage_calls";

/**
 * The event name of the Stripe meter a catalog meter's usage goes to: the default meter keeps
 * `headroom_api_calls` (metered) and `headroom_overage_calls` (overage); another meter has
 * `headroom_<meter>_calls` and `headroom_<meter>_overage` — except that a meter whose id would give
 * one of the default meter's names ("api", "overage") counts metered units on `headroom_<meter>_metered`.
 */
export function meterEventName(meter: Pick<BilledMeter, "id" | "isDefault">, billing: MeterBilling): string {
  if (meter.isDefault) return billing === "metered" ? METER_ALL_CALLS : METER_OVERAGE_CALLS;
  if (billing === "overage") return `headroom_${meter.id}_overage`;
  const name = `headroom_${meter.id}_calls`;
  return name === METER_ALL_CALLS || name === METER_OVERAGE_CALLS ? `headroom_${meter.id}_metered` : name;
}

/** A plan's base price, read back from a Stripe price of ours. */
export interface BaseTerms {
  planId: PlanId;
  version: number;
  interval: BillingInterval;
}

/**
 * The plan, version and interval a Stripe base price stands for, from its lookup key (null: not one
 * of ours, or a metered price). The plan id in our prices' metadata settles a key that could be read
 * two ways (a plan "pro_v2" and version 2 of "pro"); without it the shortest plan id is read. The id
 * and version are read, not checked: whether the catalog holds them is the caller's question.
 */
export function baseTermsOfPrice(price: (Pick<Stripe.Price, "lookup_key"> & { metadata?: Stripe.Metadata | null }) | null | undefined): BaseTerms | null {
  const key = price?.lookup_key ?? "";
  const read = (m: RegExpExecArray | null, planId?: string): BaseTerms | null =>
    m ? { planId: planId ?? m[1]!, version: m[planId ? 1 : 2] ? Number(m[planId ? 1 : 2]) : 1, interval: m[planId ? 2 : 3] === "yearly" ? "year" : "month" } : null;
  const named = price?.metadata?.headroom_plan_id;
  if (named && /^[a-z0-9][a-z0-9_-]*$/.test(named)) {
    const terms = read(new RegExp(`^headroom_${named}(?:_v([1-9][0-9]*))?_(monthly|yearly)$`).exec(key), named);
    if (terms) return terms;
  }
  return read(/^headroom_([a-z0-9][a-z0-9_-]*?)(?:_v([1-9][0-9]*))?_(monthly|yearly)$/.exec(key));
}

/** The plan id a Stripe base price stands for (see baseTermsOfPrice). */
export function planOfPrice(price: Parameters<typeof baseTermsOfPrice>[0]): PlanId | null {
  return baseTermsOfPrice(price)?.planId ?? null;
}

/** A plan at a version: the one whose prices are meant. */
export interface PlanVersionRef {
  planId: PlanId;
  version: number;
}

interface DesiredPrice {
  lookupKey: string;
  planId: PlanId;
  version: number;
  /** The catalog meter of a metered price (null: a base price). */
  meterId: string | null;
  create: Omit<Stripe.PriceCreateParams, "product" | "lookup_key" | "recurring"> & { recurring: { interval: BillingInterval; usage_type: "licensed" | "metered" } };
  meterEvent: { name: string; displayName: string } | null;
}

/** The metered prices a plan needs: one per quota window it is sold with (a month; a year for a yearly quota on a yearly price). */
function meteredWindows(plan: Plan): BillingInterval[] {
  return [...new Set(intervalsOf(plan).map((i) => quotaWindow(plan, i)))];
}

/** The metered window of a plan's usage for an account billed per `interval`: its quota window (a month where the plan is not sold in that interval). */
function meteredWindowFor(plan: Plan, interval: BillingInterval): BillingInterval {
  return plan.prices[interval] !== undefined ? quotaWindow(plan, interval) : "month";
}

/** The lookup key of a billed meter's metered price on a plan version. */
function meteredKeyOf(plan: Plan, meter: BilledMeter, window: BillingInterval): string {
  return meteredPriceKey(plan.id, window, { version: plan.version, meter: meter.isDefault ? null : meter.id });
}

/**
 * The plan versions whose prices Stripe needs: each plan's current version, and the older versions
 * named in `inUse` (accounts on them, changes waiting to take them) that the catalog still has.
 */
function versionsToPrice(catalog: Catalog, inUse: readonly PlanVersionRef[]): Plan[] {
  const out = new Map<string, Plan>();
  for (const plan of catalog.plans) out.set(`${plan.id}@${plan.version}`, plan);
  for (const v of inUse) {
    if (!catalog.has(v.planId) || out.has(`${v.planId}@${v.version}`)) continue;
    try {
      out.set(`${v.planId}@${v.version}`, catalog.planAt(v.planId, v.version));
    } catch (err) {
      // A version the database does not have (rows written before versions were recorded): there is nothing to price.
      if (!(err instanceof RangeError)) throw err;
    }
  }
  return [...out.values()];
}

/**
 * The usage events a provider must count for the catalog (event name → a name for people and the unit): one per
 * billed meter and kind of billing (metered, or overage past the quota) of a paid plan, the plan versions
 * accounts are on included. Stripe's meters and Dodo's are made from this one list.
 */
export function billedMeterEvents(catalog: Catalog, inUse: readonly PlanVersionRef[] = []): Map<string, { displayName: string; unit: string }> {
  const out = new Map<string, { displayName: string; unit: string }>();
  for (const p of desiredPrices(catalog, versionsToPrice(catalog, inUse))) {
    if (p.meterEvent && !out.has(p.meterEvent.name)) out.set(p.meterEvent.name, { displayName: p.meterEvent.displayName, unit: catalog.meters.find((m) => m.id === p.meterId)?.unit ?? "calls" });
  }
  return out;
}

function desiredPrices(catalog: Catalog, plans: readonly Plan[]): DesiredPrice[] {
  const out: DesiredPrice[] = [];
  for (const plan of plans) {
    const currency = plan.currency.toLowerCase();
    const name = plan.version > 1 ? `${plan.name} v${plan.version}` : plan.name;
    const common = { planId: plan.id, version: plan.version };
    for (const interval of intervalsOf(plan)) {
      const amount = plan.prices[interval]!;
      if (amount <= 0) continue;
      out.push({ ...common, lookupKey: basePriceKey(plan.id, interval, plan.version), meterId: null, meterEvent: null, create: { currency, unit_amount: amount, recurring: { interval, usage_type: "licensed" }, nickname: `${name} ${INTERVAL_WORDS[interval].adjective}` } });
    }
    if (plan.priceMinor <= 0) continue;
    for (const meter of billedMeters(catalog, plan)) {
      const per1000 = meter.terms.overagePer1000Minor;
      const meterEvent = { name: meterEventName(meter, meter.billing), displayName: meter.billing === "metered" ? meter.unit : `${meter.unit} over the monthly quota` };
      for (const window of meteredWindows(plan)) {
        const suffix = window === "year" ? ", yearly" : "";
        const lookupKey = meteredKeyOf(plan, meter, window);
        out.push(
          meter.billing === "metered"
            ? // Every unit at a fraction of a cent: per 1,000 ÷ 1,000.
              { ...common, lookupKey, meterId: meter.id, meterEvent, create: { currency, unit_amount_decimal: stripeSdk().Decimal.from(String(per1000 / 1000)), recurring: { interval: window, usage_type: "metered" }, nickname: `${name} ${meter.noun}${suffix}` } }
            : // Units over the quota, charged per started 1,000, as the local invoices do.
              { ...common, lookupKey, meterId: meter.id, meterEvent, create: { currency, unit_amount: per1000, transform_quantity: { divide_by: 1000, round: "up" }, recurring: { interval: window, usage_type: "metered" }, nickname: `${name} overage per 1,000 ${meter.noun}${suffix}` } },
        );
      }
    }
  }
  // Plan and meter ids are the provider's: two that would write the same key ("pro" v2 and a plan "pro_v2") cannot both be priced.
  const seen = new Map<string, DesiredPrice>();
  for (const d of out) {
    const other = seen.get(d.lookupKey);
    if (other) {
      throw new DomainError("BAD_INPUT", `Two prices would have the Stripe lookup key ${d.lookupKey}: plan "${other.planId}" (version ${other.version}) and plan "${d.planId}" (version ${d.version}). Rename one of the plans (or meters) in the catalog file.`);
    }
    seen.set(d.lookupKey, d);
  }
  return out;
}

/** Stripe lists at most 10 prices by lookup key per request. */
const LOOKUP_KEYS_PER_LIST = 10;

async function listByLookupKeys(stripe: Stripe, keys: readonly string[], call: <T>(fn: () => Promise<T>) => Promise<T>, active?: boolean): Promise<Stripe.Price[]> {
  const out: Stripe.Price[] = [];
  for (let i = 0; i < keys.length; i += LOOKUP_KEYS_PER_LIST) {
    const chunk = keys.slice(i, i + LOOKUP_KEYS_PER_LIST);
    const listed = await call(() => stripe.prices.list({ lookup_keys: [...chunk], ...(active !== undefined ? { active } : {}), limit: 100 }));
    out.push(...listed.data);
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

/** What `stripe sync` prices besides each plan's current version: the older versions accounts are on or waiting to take. */
export interface SyncOptions {
  retry?: RetryPolicy;
  /** Plan versions accounts are on, or changes waiting will put them on (their prices are created and never archived). */
  versionsInUse?: readonly PlanVersionRef[];
}

/**
 * Creates or updates the products, meters and prices of the catalog in the Stripe account: every
 * plan's current version, and each older version accounts are on. Idempotent: what exists and
 * matches is left alone, so a second run creates nothing. A price whose amount differs from its
 * version's terms is replaced (Stripe prices are immutable): the new one takes over the lookup key;
 * the old one is archived unless accounts are on that version. Each create carries an idempotency
 * key derived from what it creates.
 */
export async function syncStripeCatalog(stripe: Stripe, catalog: Catalog, opts: SyncOptions = {}): Promise<SyncAction[]> {
  const policy = opts.retry ?? DEFAULT_RETRY;
  const call = <T>(fn: () => Promise<T>) => withStripeRetries(fn, policy);
  // Every write is made after reading what exists, under a key derived from what it writes; after a 5xx
  // Stripe saved for that key, the object is read again and the write sent under a key of the state read.
  const mutate = <T>(key: string, send: (key: string) => Promise<T>, reread: () => Promise<Reread<T>>) => stripeMutation(policy, key, send, reread);
  const productNow = async (id: string): Promise<Stripe.Product | null> => {
    try {
      return await call(() => stripe.products.retrieve(id));
    } catch (err) {
      if (err instanceof stripeSdk().errors.StripeInvalidRequestError && err.statusCode === 404) return null;
      throw err;
    }
  };
  const setPriceActive = (id: string, active: boolean) =>
    mutate(
      `catalog:price:${id}:active:${active}`,
      (k) => stripe.prices.update(id, { active }, { idempotencyKey: k }),
      async () => {
        const now = await call(() => stripe.prices.retrieve(id));
        return now.active === active ? { done: now } : { state: String(now.active) };
      },
    );
  const actions: SyncAction[] = [];
  const inUse = opts.versionsInUse ?? [];
  const prices = desiredPrices(catalog, versionsToPrice(catalog, inUse));
  const used = new Set(inUse.map((v) => `${v.planId}@${v.version}`));

  // Meters, by event name.
  const meters = new Map<string, string>();
  const existingMeters = await call(() => stripe.billing.meters.list({ limit: 100 }));
  for (const m of existingMeters.data) if (m.status === "active") meters.set(m.event_name, m.id);
  const wanted = new Map(prices.flatMap((p) => (p.meterEvent ? [[p.meterEvent.name, p.meterEvent.displayName] as const] : [])));
  for (const [eventName, displayName] of wanted) {
    const found = meters.get(eventName);
    if (found) {
      actions.push({ object: "meter", key: eventName, action: "unchanged", id: found });
      continue;
    }
    const params: Stripe.Billing.MeterCreateParams = {
      display_name: displayName,
      event_name: eventName,
      default_aggregation: { formula: "sum" },
      customer_mapping: { type: "by_id", event_payload_key: "stripe_customer_id" },
      value_settings: { event_payload_key: "value" },
    };
    const created = await mutate<Stripe.Billing.Meter>(
      `catalog:meter:${eventName}`,
      (k) => stripe.billing.meters.create(params, { idempotencyKey: k }),
      async () => {
        const listed = await call(() => stripe.billing.meters.list({ limit: 100 }));
        const found = listed.data.find((m) => m.status === "active" && m.event_name === eventName);
        return found ? { done: found } : { state: listed.data.map((m) => m.id).join(",") };
      },
    );
    meters.set(eventName, created.id);
    actions.push({ object: "meter", key: eventName, action: "created", id: created.id });
  }

  // Products, by our own ids.
  for (const plan of catalog.plans.filter((p) => prices.some((d) => d.planId === p.id))) {
    const id = productIdOf(plan.id);
    const want = { name: `${plan.name} plan`, description: plan.summary };
    const product = await productNow(id);
    const matches = (p: Stripe.Product | null) => p !== null && p.name === want.name && p.description === want.description && p.active;
    if (!product) {
      await mutate(
        `catalog:product:${id}`,
        (k) => stripe.products.create({ id, ...want, metadata: { headroom_plan_id: plan.id } }, { idempotencyKey: k }),
        async () => {
          const now = await productNow(id);
          return now ? { done: now } : { state: "absent" };
        },
      );
      actions.push({ object: "product", key: id, action: "created", id });
    } else if (!matches(product)) {
      // The key names what is written: the same update again is the same request.
      const update = { ...want, active: true };
      await mutate(
        keyAfter(`catalog:product:${id}:update`, JSON.stringify(update)),
        (k) => stripe.products.update(id, update, { idempotencyKey: k }),
        async () => {
          const now = await productNow(id);
          return now && matches(now) ? { done: now } : { state: JSON.stringify([now?.name, now?.description, now?.active]) };
        },
      );
      actions.push({ object: "product", key: id, action: "updated", id, detail: "name, description or active" });
    } else {
      actions.push({ object: "product", key: id, action: "unchanged", id });
    }
  }

  // Prices, by lookup key.
  const listed = await listByLookupKeys(
    stripe,
    prices.map((p) => p.lookupKey),
    call,
  );
  const byKey = new Map(listed.map((p) => [p.lookup_key ?? "", p]));
  for (const d of prices) {
    const meterId = d.meterEvent ? meters.get(d.meterEvent.name)! : null;
    const current = byKey.get(d.lookupKey);
    if (current && samePrice(current, d, meterId)) {
      if (!current.active) await setPriceActive(current.id, true);
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
      metadata: { headroom_plan_id: d.planId, headroom_plan_version: String(d.version), ...(d.meterId ? { headroom_meter: d.meterId } : {}) },
    };
    const fingerprint = `${d.create.unit_amount ?? String(d.create.unit_amount_decimal)}:${d.create.currency}:${meterId ?? "-"}`;
    const created = await mutate<Stripe.Price>(
      `catalog:price:${d.lookupKey}:${fingerprint}:${current?.id ?? "new"}`,
      (k) => stripe.prices.create(params, { idempotencyKey: k }),
      async () => {
        const [now] = await listByLookupKeys(stripe, [d.lookupKey], call);
        return now && now.id !== current?.id && samePrice(now, d, meterId) ? { done: now } : { state: now?.id ?? "none" };
      },
    );
    // Subscriptions on a version accounts are on keep their price, and it stays usable (never archived while they are).
    const keep = current && used.has(`${d.planId}@${d.version}`);
    if (current && !keep) await setPriceActive(current.id, false);
    actions.push({ object: "price", key: d.lookupKey, action: current ? "updated" : "created", id: created.id, detail: current ? `replaces ${current.id} (${keep ? `kept active: accounts are on version ${d.version}` : "archived"})` : undefined });
  }
  return actions;
}

/**
 * `stripe sync` on the catalog in use: every plan's current version, and each older version accounts
 * are on or changes waiting will put them on (read from the database).
 */
export async function syncStripeCatalogInUse(db: Store, stripe: Stripe, catalog: Catalog, retry?: RetryPolicy): Promise<SyncAction[]> {
  return syncStripeCatalog(stripe, catalog, { retry, versionsInUse: await planVersionsInUse(db) });
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
    // The current versions' prices at once, and the one asked for (an older version's).
    const keys = [...new Set([lookupKey, ...desiredPrices(this.catalog, this.catalog.plans).map((p) => p.lookupKey)])];
    const listed = await listByLookupKeys(this.stripe, keys, (fn) => withStripeRetries(fn, this.retry), true);
    for (const p of listed) {
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

  /** The plan at a version (absent: its current one). */
  private planAt(planId: PlanId, version?: number): Plan {
    return version === undefined ? this.catalog.plan(planId) : this.catalog.planAt(planId, version);
  }

  /** The base price of a plan version in an interval (absent version: the current one). */
  basePrice(planId: PlanId, interval: BillingInterval = "month", version?: number): Promise<string> {
    return this.idOf(basePriceKey(planId, interval, this.planAt(planId, version).version));
  }

  /**
   * The metered prices of a plan version, for an account on `interval` (each billed per its quota
   * window): one per meter the plan bills usage on, in the catalog's order; `billing` keeps only the
   * meters billed that way (the overage opt-in adds the overage ones).
   */
  async meteredPrices(planId: PlanId, interval: BillingInterval = "month", version?: number, billing?: MeterBilling): Promise<string[]> {
    const plan = this.planAt(planId, version);
    const out: string[] = [];
    for (const meter of billedMeters(this.catalog, plan)) {
      if (billing && meter.billing !== billing) continue;
      out.push(await this.idOf(meteredKeyOf(plan, meter, meteredWindowFor(plan, interval))));
    }
    return out;
  }
}
