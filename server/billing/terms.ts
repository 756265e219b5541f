import { createHash } from "node:crypto";
import type { Catalog } from "../../shared/catalog";
import type { AccountRow } from "../db/queries/plan-changes";

const fingerprints = new WeakMap<Catalog, string>();

/** Changes when any price or cap in the catalog changes: a quote made before is void. */
export function catalogFingerprint(catalog: Catalog): string {
  let fp = fingerprints.get(catalog);
  if (fp === undefined) {
    const prices = catalog.plans
      // Every meter's caps and prices, and the version: a new version of a plan voids the quotes made on the one before.
      .map((p) => `${p.id}@${p.version}:${p.priceMinor}:${p.currency}:${JSON.stringify(catalog.meters.map((m) => p.meters[m.id] ?? null))}:${p.prices.year ?? "-"}:${p.yearlyQuota}`)
      .join("|");
    fp = createHash("sha256").update(prices).digest("hex").slice(0, 32);
    fingerprints.set(catalog, fp);
  }
  return fp;
}

/** Changes when anything a quote depends on changes for the account. */
export function accountFingerprint(row: Pick<AccountRow, "planId" | "planVersion" | "billingAnchorMs" | "billingInterval" | "grandfatheredUntilMs" | "overageOptIn" | "currency" | "stripeSubscriptionId">): string {
  // The Stripe subscription too: a quote previewed on one subscription is void once another bills the account.
  return [row.planId, row.planVersion, row.billingAnchorMs, row.grandfatheredUntilMs ?? "-", row.overageOptIn ? 1 : 0, row.currency, row.stripeSubscriptionId ?? "-", row.billingInterval].join("|");
}
