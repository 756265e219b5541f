/**
 * How a provider that is a merchant of record (Dodo Payments) charges a change made now, in the
 * words the customer agrees to. The amount in the consent is the provider's; this sentence says how
 * it was reached, so the three modes an operator can choose never read alike.
 * https://docs.dodopayments.com/developer-resources/subscription-upgrade-downgrade
 */
export const PRORATION_MODES = ["prorated_immediately", "difference_immediately", "full_immediately"] as const;
export type ProrationMode = (typeof PRORATION_MODES)[number];

export function isProrationMode(v: string | null | undefined): v is ProrationMode {
  return (PRORATION_MODES as readonly string[]).includes(v ?? "");
}

/** The sentence that explains the amount charged now (`amountNow`, formatted) under `mode`, naming both plans. */
export function prorationModeWords(mode: ProrationMode, from: { name: string }, to: { name: string }, amountNow: string): string {
  switch (mode) {
    case "prorated_immediately":
      return `The ${amountNow} charged now is the ${to.name} plan's price for the rest of my current billing period, less a credit for the unused time on my ${from.name} plan.`;
    case "difference_immediately":
      return `The ${amountNow} charged now is the difference between the ${to.name} plan's full price and the ${from.name} plan's, not prorated for the time left in my billing period.`;
    case "full_immediately":
      return `The ${amountNow} charged now is the ${to.name} plan's full price; the unused time on my ${from.name} plan is not credited.`;
  }
}
