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
  const major = amountMinor / 10 ** digits;
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(major);
}

/** "$29.00/month" or "Free" for a zero price. */
export function formatPrice(amountMinor: number, currency: string, locale = "en-US"): string {
  return amountMinor === 0 ? "Free" : `${formatMoney(amountMinor, currency, locale)}/month`;
}
