import { minorUnitDigits } from "../../../../shared/money";

/** Minor units as the operator types them: 1036133 USD → "10361.33" (no symbol, no grouping). */
export function minorToInput(amountMinor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  if (digits === 0) return String(amountMinor);
  const sign = amountMinor < 0 ? "-" : "";
  const abs = Math.abs(amountMinor);
  return `${sign}${Math.floor(abs / 10 ** digits)}.${String(abs % 10 ** digits).padStart(digits, "0")}`;
}

/**
 * What the operator typed, in minor units; null when it is not an amount of this currency
 * ("12.345" has too many decimals for USD). Commas as thousands separators are allowed.
 * Parsed from the digits, never through floating point.
 */
export function inputToMinor(text: string, currency: string): number | null {
  const digits = minorUnitDigits(currency);
  const clean = text.trim().replace(/,/g, "");
  const m = /^(\d+)(?:\.(\d*))?$/.exec(clean);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > digits) return null;
  const minor = Number(m[1]) * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
  return Number.isSafeInteger(minor) ? minor : null;
}
