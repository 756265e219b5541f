import type DodoPayments from "dodopayments";
import type { BillingInterval, PlanId } from "../../../shared/plans";
import { DomainError } from "../../lib/domain-error";
import { basePriceKey } from "../stripe/stripe-catalog";

/** The metadata key that ties a Dodo product to one of the catalog's plan prices. */
export const PRICE_KEY_METADATA = "headroom_price_key";

/**
 * Plans ↔ Dodo products. A Dodo subscription product has one price and one interval, so each plan
 * price (plan, version, interval) is a product of its own, found by the metadata
 * `headroom_price_key` with the same key the Stripe prices have (`headroom_starter_monthly`,
 * `headroom_starter_v2_yearly`). The catalog file stays provider-neutral: the operator creates the
 * products in Dodo's dashboard (or API) with that metadata, and the mapping is read back from Dodo.
 */
export class DodoProductBook {
  private byKey: Map<string, string> | null = null;
  private byProduct = new Map<string, string>();

  constructor(private readonly dodo: DodoPayments) {}

  /** Re-reads the products (after the operator added one). */
  forget(): void {
    this.byKey = null;
  }

  private async load(): Promise<Map<string, string>> {
    if (this.byKey) return this.byKey;
    const byKey = new Map<string, string>();
    const byProduct = new Map<string, string>();
    for await (const p of this.dodo.products.list({ recurring: true, archived: false })) {
      const key = p.metadata?.[PRICE_KEY_METADATA];
      if (typeof key === "string" && key) {
        byKey.set(key, p.product_id);
        byProduct.set(p.product_id, key);
      }
    }
    this.byKey = byKey;
    this.byProduct = byProduct;
    return byKey;
  }

  /** The Dodo product that bills a plan's base price in an interval (its version's own product). */
  async productFor(planId: PlanId, interval: BillingInterval, version = 1): Promise<string> {
    const key = basePriceKey(planId, interval, version);
    const found = (await this.load()).get(key);
    if (!found) throw new DomainError("PRECONDITION_FAILED", `Dodo Payments has no product for this plan (metadata ${PRICE_KEY_METADATA}=${key}). Nothing was changed; please contact us.`);
    return found;
  }

  /** The price key of one of our products (null: not ours). */
  async keyOf(productId: string): Promise<string | null> {
    await this.load();
    return this.byProduct.get(productId) ?? null;
  }
}
