/** Money is an integer amount of the currency's minor unit plus an ISO 4217 code. */
export interface Money {
  amountMinor: number;
  currency: string;
}

const digitsCache = new Map<string, number>();

/** Number of minor-unit digits of a currency (2 for USD, 0 for JPY, 3 for KWD). */
export function minorUnitDigits(currency: string): number {
  const code = currency.toUpperCase();
  const cached = digitsCache.get(code);
  if (cached !== undefined) return cached;
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
    .maximumFractionDigits ?? 2;
  digitsCache.set(code, digits);
  return digits;
}

/** Formats minor units for display, e.g. (5720, "USD") → "$57.20", (500, "JPY") → "¥500". */
export function formatMoney(amountMinor: number, currency: string, locale = "en-US"): string {
  if (!Number.isInteger(amountMinor)) throw new RangeError(`amountMinor must be an integer, got ${amountMinor}`);
  const digits = minorUnitDigits(currency);
  return moneyFormat(locale, currency.toUpperCase(), digits).format(amountMinor / 10 ** digits);
}

// An Intl.NumberFormat costs far more to build than to use: one per locale and currency.
const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(locale: string, code: string, digits: number): Intl.NumberFormat {
  const key = `${locale}|${code}`;
  let fmt = moneyFormats.get(key);
  if (!fmt) {
    fmt = new Intl.NumberFormat(locale, { style: "currency", currency: code, minimumFractionDigits: digits, maximumFractionDigits: digits });
    moneyFormats.set(key, fmt);
  }
  return fmt;
}

/** "$29.00/month" or "Free" for a zero price. */
export function formatPrice(amountMinor: number, currency: string, locale = "en-US"): string {
  return amountMinor === 0 ? "Free" : `${formatMoney(amountMinor, currency, locale)}/month`;
}

/**
 * What `calls` cost at `per1000Minor` per 1,000 calls, every call billed, as Stripe invoices a price
 * per call in decimal minor units: the line's total rounded to the nearest minor unit, a half up
 * (0.05 × 30 = 1.5 → 2, 0.05 × 24 = 1.2 → 1; https://docs.stripe.com/billing/subscriptions/decimal-amounts#rounding).
 * The local provider's invoice is then what Stripe's would be. Exact in integers: ⌊(calls ×
 * per1000Minor + 500) ÷ 1,000⌋, in big integers once the product passes 2^53.
 */
export function perThousandCostMinor(calls: number, per1000Minor: number): number {
  if (!(Number.isSafeInteger(calls) && calls >= 0 && Number.isSafeInteger(per1000Minor) && per1000Minor >= 0)) {
    throw new RangeError(`calls and price must be whole numbers ≥ 0, got ${calls} × ${per1000Minor}`);
  }
  const product = calls * per1000Minor;
  if (Number.isSafeInteger(product + 500)) return Math.floor((product + 500) / 1000);
  return Number((BigInt(calls) * BigInt(per1000Minor) + 500n) / 1000n);
}
