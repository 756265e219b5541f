import type { CatalogData } from "./catalog-file";
import type { MeterTerms, Plan, PlanId } from "./plans";

/**
 * The catalog the server runs on and the portal renders: built from a checked catalog file
 * (`parseCatalog` in `catalog-file.ts`, which holds the file's schema) or from the server's answer.
 * It holds no validation itself, so the portal can use it without the schema library.
 */
export type { CatalogData } from "./catalog-file";
export type CatalogMeter = CatalogData["meters"][number];

/** A meter's terms as the file gives them, in the shape the server and portal use. */
function meterTerms(l: CatalogData["plans"][number]["limits"][string]): MeterTerms {
  const caps = Object.fromEntries((["minute", "day", "month"] as const).flatMap((w) => (l[w] === undefined ? [] : [[w, l[w]]])));
  const metered = l.meteredPer1000Minor !== undefined;
  const price = metered ? l.meteredPer1000Minor : l.overagePer1000Minor;
  return { caps, ...(price !== undefined ? { overagePer1000Minor: price } : {}), metered };
}

/** The catalog the server runs on: its currency, its meters, its plans in the file's order. */
export class Catalog {
  readonly currency: string;
  readonly meters: readonly CatalogMeter[];
  /** Every plan, public or not, in the file's order (the order the portal shows them in). */
  readonly plans: readonly Plan[];
  /** The plans offered to customers. */
  readonly publicPlans: readonly Plan[];
  private readonly byId: ReadonlyMap<PlanId, Plan>;

  constructor(readonly data: CatalogData) {
    this.currency = data.currency;
    this.meters = data.meters;
    this.plans = data.plans.map((p): Plan => {
      const meters = Object.fromEntries(data.meters.map((m) => [m.id, meterTerms(p.limits[m.id] ?? {})]));
      const main = meters[data.meters[0]!.id]!;
      return {
        id: p.id,
        name: p.name,
        summary: p.summary,
        // Plans sold only by the year compare (and rank) at a twelfth of it.
        priceMinor: p.price.month ?? Math.ceil((p.price.year ?? 0) / 12),
        prices: { ...p.price },
        yearlyQuota: p.yearlyQuota,
        currency: data.currency,
        ...main,
        meters,
        public: p.public,
        enforcement: p.enforcement,
        thresholds: p.thresholds,
      };
    });
    this.publicPlans = this.plans.filter((p) => p.public);
    this.byId = new Map(this.plans.map((p) => [p.id, p]));
  }

  /**
   * The plan an account falls back to when its paid subscription ends: the first public plan at no
   * price, in the file's order (null: the catalog has none, and the account keeps its plan).
   */
  get freePlan(): Plan | null {
    return this.publicPlans.find((p) => p.priceMinor === 0) ?? null;
  }

  /** The meter a call counts against when it names none. */
  get defaultMeter(): CatalogMeter {
    return this.meters[0]!;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  find(id: string): Plan | undefined {
    return this.byId.get(id);
  }

  /** The plan with this id; an id the catalog does not hold is a broken invariant (start-up checks every account's plan). */
  plan(id: string): Plan {
    const plan = this.byId.get(id);
    if (!plan) throw new RangeError(`The catalog has no plan "${id}".`);
    return plan;
  }

  /** The plan's name, or the id itself for a plan the catalog no longer holds (old audit rows, old invoices). */
  nameOf(id: string): string {
    return this.byId.get(id)?.name ?? id;
  }

  /** Only the plans a viewer may see, as data for the portal. */
  view(visible: (plan: Plan) => boolean): CatalogData {
    return { ...this.data, plans: this.data.plans.filter((p) => visible(this.plan(p.id))) };
  }
}
