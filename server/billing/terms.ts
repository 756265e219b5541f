import { createHash } from "node:crypto";
import { PLAN_LIST } from "../../shared/plans";
import type { AccountRow } from "../db/queries/plan-changes";

/** Changes when any price in the catalog changes: a quote made before is void. */
export function catalogFingerprint(): string {
  const prices = PLAN_LIST.map((p) => `${p.id}:${p.priceMinor}:${p.currency}:${p.overagePer1000Minor ?? "-"}:${JSON.stringify(p.caps)}`).join("|");
  return createHash("sha256").update(prices).digest("hex").slice(0, 32);
}

/** Changes when anything a quote depends on changes for the account. */
export function accountFingerprint(row: Pick<AccountRow, "planId" | "billingAnchorMs" | "grandfatheredUntilMs" | "overageOptIn" | "currency" | "stripeSubscriptionId">): string {
  // The Stripe subscription too: a quote previewed on one subscription is void once another bills the account.
  return [row.planId, row.billingAnchorMs, row.grandfatheredUntilMs ?? "-", row.overageOptIn ? 1 : 0, row.currency, row.stripeSubscriptionId ?? "-"].join("|");
}
