import type { CatalogData } from "./catalog-file";
import type { MeterTerms, Plan, PlanId } from "./plans";

/**
 * The catalog the server runs on and the portal renders: built from a checked catalog file
 * (`parseCatalog` in `catalog-file.ts`, which holds the file's schema) or from the server's answer.
 * It holds no validation itself, so the portal can use it without the schema library.
 */
export type { CatalogData } from "./catalog-file";
export type CatalogMeter = CatalogData["meters"][number];
type PlanData = CatalogData["plans"][number];

/** The part of a plan that makes a version: what a customer pays and gets. Name, summary, visibility and mode are not terms. */
export type PlanTermsData = Pick<PlanData, "price" | "yearlyQuota" | "limits">;

/** One recorded version of a plan's terms. */
export interface PlanVersionData {
  planId: string;
  version: number;
  terms: PlanTermsData;
  createdAtMs: number;
}

/** A plan's terms from its file entry. */
export function termsOf(p: PlanData): PlanTermsData {
  return { price: p.price, yearlyQuota: p.yearlyQuota, limits: p.limits };
}

/** The same terms give the same key, whatever the order of their fields. */
export function termsKey(t: PlanTermsData): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(t));
}

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

  private readonly versions: ReadonlyMap<PlanId, readonly PlanVersionData[]>;
  private readonly older = new Map<string, Plan>();

  /**
   * `versions`: the recorded versions of the plans' terms, any order (none: every plan is at version
   * 1). A plan's current version is its latest; the file's terms must be that version's.
   */
  constructor(
    readonly data: CatalogData,
    versions: readonly PlanVersionData[] = [],
  ) {
    this.currency = data.currency;
    this.meters = data.meters;
    const byPlan = new Map<PlanId, PlanVersionData[]>();
    for (const v of [...versions].sort((a, b) => a.version - b.version)) byPlan.set(v.planId, [...(byPlan.get(v.planId) ?? []), v]);
    this.versions = byPlan;
    this.plans = data.plans.map((p) => this.build(p, termsOf(p), byPlan.get(p.id)?.at(-1)?.version ?? 1));
    this.publicPlans = this.plans.filter((p) => p.public);
    this.byId = new Map(this.plans.map((p) => [p.id, p]));
  }

  /** A plan at some version: the file's name, words, visibility and mode with that version's terms. */
  private build(p: PlanData, terms: PlanTermsData, version: number): Plan {
    const meters = Object.fromEntries(this.data.meters.map((m) => [m.id, meterTerms(terms.limits[m.id] ?? {})]));
    const main = meters[this.data.meters[0]!.id]!;
    return {
      id: p.id,
      version,
      name: p.name,
      summary: p.summary,
      // Plans sold only by the year compare (and rank) at a twelfth of it.
      priceMinor: terms.price.month ?? Math.ceil((terms.price.year ?? 0) / 12),
      prices: { ...terms.price },
      yearlyQuota: terms.yearlyQuota,
      currency: this.data.currency,
      ...main,
      meters,
      public: p.public,
      enforcement: p.enforcement,
      thresholds: p.thresholds,
    };
  }

  /** The recorded versions of a plan, oldest first (empty when none were recorded). */
  versionsOf(id: PlanId): readonly PlanVersionData[] {
    return this.versions.get(id) ?? [];
  }

  /**
   * The plan at the version an account is on. The current version is `plan(id)`; an older one keeps
   * its own prices and caps (with the file's current name and words).
   */
  planAt(id: PlanId, version: number): Plan {
    const current = this.plan(id);
    if (version === current.version) return current;
    const key = `${id}@${version}`;
    let plan = this.older.get(key);
    if (!plan) {
      const recorded = this.versionsOf(id).find((v) => v.version === version);
      if (!recorded) throw new RangeError(`The catalog has no version ${version} of plan "${id}".`);
      plan = this.build(this.data.plans.find((p) => p.id === id)!, recorded.terms, version);
      this.older.set(key, plan);
    }
    return plan;
  }

  /** The plan an account (or any row with a plan and a version) is on. */
  planOf(row: { planId: PlanId; planVersion: number }): Plan {
    return this.planAt(row.planId, row.planVersion);
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
