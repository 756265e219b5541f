/**
 * Stripe's time-based proration, to the second: credit for the unused time on the old price, charge
 * for the remaining time on the new price, each line's exact value rounded once to the minor unit on
 * its own, halves away from zero.
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

/**
 * price × remainingSeconds ÷ periodSeconds, rounded once to the minor unit, halves away from zero.
 * Integer arithmetic throughout: a share computed in floating point lands just below an exact half
 * cent (3993.4999… for 3993.5) and rounds the wrong way.
 */
function shareOfPriceMinor(priceMinor: number, remainingSeconds: number, periodSeconds: number): number {
  const product = priceMinor * remainingSeconds;
  if (Number.isSafeInteger(product)) {
    // Both operands are whole and within 2^53, so % and the division of (product − rest) are exact.
    const rest = product % periodSeconds;
    const whole = (product - rest) / periodSeconds;
    return 2 * rest >= periodSeconds ? whole + 1 : whole;
  }
  const period = BigInt(periodSeconds);
  const exact = BigInt(priceMinor) * BigInt(remainingSeconds);
  const whole = exact / period;
  return Number(2n * (exact % period) >= period ? whole + 1n : whole);
}

export function prorate(input: ProrationInput): Proration {
  const { periodStartMs, periodEndMs, atMs } = input;
  if (!(periodEndMs > periodStartMs)) throw new RangeError("the period must end after it starts");
  if (!(atMs >= periodStartMs && atMs <= periodEndMs)) throw new RangeError("the change must fall within the period");
  if (![input.oldPriceMinor, input.newPriceMinor].every((p) => Number.isSafeInteger(p) && p >= 0)) throw new RangeError("prices must be whole minor units ≥ 0");
  const periodSeconds = Math.round((periodEndMs - periodStartMs) / 1000);
  if (periodSeconds < 1) throw new RangeError("the period must last at least a second");
  // Stripe prorates to the second: a change within a second counts from that second.
  const remainingSeconds = Math.floor((periodEndMs - atMs) / 1000);
  const oldShareMinor = shareOfPriceMinor(input.oldPriceMinor, remainingSeconds, periodSeconds);
  // The credit is the old price's rounded share, negated; never −0.
  const creditMinor = oldShareMinor === 0 ? 0 : -oldShareMinor;
  const chargeMinor = shareOfPriceMinor(input.newPriceMinor, remainingSeconds, periodSeconds);
  return { creditMinor, chargeMinor, netMinor: creditMinor + chargeMinor, remainingSeconds, periodSeconds };
}
