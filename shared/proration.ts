/**
 * Stripe's time-based proration, to the second: credit for the unused time on the old price, charge
 * for the remaining time on the new price, each line rounded to the minor unit on its own.
 * Example: $10 → $20 monthly exactly halfway: −$5.00 + $10.00 = $5.00 due now.
 */
export interface ProrationInput {
  /** Unix ms, inclusive. */
  periodStartMs: number;
  /** Unix ms, exclusive. */
  periodEndMs: number;
  /** The moment of the change, unix ms (Stripe's proration_date). */
  atMs: number;
  /** Minor units per period. */
  oldPriceMinor: number;
  newPriceMinor: number;
}

export interface Proration {
  /** ≤ 0: the unused part of what was paid for the current period. */
  creditMinor: number;
  /** ≥ 0: the remaining part of the period at the new price. */
  chargeMinor: number;
  /** credit + charge. Negative means a credit to the customer's balance. */
  netMinor: number;
  /** Whole seconds from the change to the period end, and in the period. */
  remainingSeconds: number;
  periodSeconds: number;
}

/** Rounds half away from zero, as currency amounts are. */
function roundMinor(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

export function prorate(input: ProrationInput): Proration {
  const { periodStartMs, periodEndMs, atMs } = input;
  if (!(periodEndMs > periodStartMs)) throw new RangeError("the period must end after it starts");
  if (atMs < periodStartMs || atMs > periodEndMs) throw new RangeError("the change must fall within the period");
  if (![input.oldPriceMinor, input.newPriceMinor].every((p) => Number.isInteger(p) && p >= 0)) throw new RangeError("prices must be whole minor units ≥ 0");
  const periodSeconds = Math.round((periodEndMs - periodStartMs) / 1000);
  // Stripe prorates to the second: a change within a second counts from that second.
  const remainingSeconds = Math.floor((periodEndMs - atMs) / 1000);
  const share = remainingSeconds / periodSeconds;
  const creditMinor = -roundMinor(input.oldPriceMinor * share) || 0;
  const chargeMinor = roundMinor(input.newPriceMinor * share);
  return { creditMinor, chargeMinor, netMinor: creditMinor + chargeMinor, remainingSeconds, periodSeconds };
}
