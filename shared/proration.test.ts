import { describe, expect, it } from "vitest";
import { addUtcMonths } from "./limits";
import { PLANS } from "./testing/demo-catalog";
import { prorate } from "./proration";

const utc = (s: string) => Date.parse(s);
const S = 1000;

/**
 * Hand-computed from Stripe's documented rule: credit = old × unused s ÷ period s, charge = new ×
 * remaining s ÷ period s, each rounded to the minor unit.
 */
describe("prorate", () => {
  const nov = { periodStartMs: utc("2026-11-01T00:00:00Z"), periodEndMs: utc("2026-12-01T00:00:00Z") }; // 30 days = 2,592,000 s

  it.each([
    // [case, period, at, old, new, credit, charge, net]
    ["$10 → $20 exactly halfway (Stripe's example)", nov, utc("2026-11-16T00:00:00Z"), 1000, 2000, -500, 1000, 500],
    ["Starter → Business mid-period", nov, utc("2026-11-16T00:00:00Z"), 2900, 19900, -1450, 9950, 8500],
    ["upgrade in the first second", nov, nov.periodStartMs, 2900, 19900, -2900, 19900, 17000],
    // 3,600 of 2,592,000 s left: 2,900 × 3,600 / 2,592,000 = 4.03 → 4; 19,900 × … = 27.64 → 28.
    ["upgrade in the last hour", nov, nov.periodEndMs - 3600 * S, 2900, 19900, -4, 28, 24],
    // 1 s left: both lines round to zero; nothing is due.
    ["upgrade in the last second", nov, nov.periodEndMs - 1 * S, 2900, 19900, 0, 0, 0],
    ["from Free (nothing to credit)", nov, utc("2026-11-21T00:00:00Z"), 0, 2900, 0, 967, 967],
    // 20.5 of 30 days left: 4,900 × 0.68333 = 3,348.33 → 3,348 on both lines.
    ["to a plan of the same price", nov, utc("2026-11-10T12:00:00Z"), 4900, 4900, -3348, 3348, 0],
    ["a third of the way, rounding each line", nov, utc("2026-11-11T00:00:00Z"), 2900, 4900, -1933, 3267, 1334],
  ] as const)("%s", (_name, period, at, oldP, newP, credit, charge, net) => {
    const p = prorate({ ...period, atMs: at, oldPriceMinor: oldP, newPriceMinor: newP });
    expect([p.creditMinor, p.chargeMinor, p.netMinor]).toEqual([credit, charge, net]);
  });

  it.each([
    ["February (28 days)", "2026-02-01T00:00:00Z", "2026-02-15T00:00:00Z", -1450, 9950],
    ["February in a leap year (29 days)", "2028-02-01T00:00:00Z", "2028-02-15T00:00:00Z", -1500, 10293],
    ["a 30-day month", "2026-04-01T00:00:00Z", "2026-04-16T00:00:00Z", -1450, 9950],
    // 16 of 31 days left: 2,900 × 16/31 = 1,496.77 → 1,497; 19,900 × 16/31 = 10,270.97 → 10,271.
    ["a 31-day month", "2026-01-01T00:00:00Z", "2026-01-16T00:00:00Z", -1497, 10271],
  ])("%s: Starter → Business", (_name, start, at, credit, charge) => {
    const periodStartMs = utc(start);
    const p = prorate({ periodStartMs, periodEndMs: addUtcMonths(periodStartMs, 1), atMs: utc(at), oldPriceMinor: 2900, newPriceMinor: 19900 });
    expect([p.creditMinor, p.chargeMinor]).toEqual([credit, charge]);
  });

  it("handles a currency without a minor unit (JPY)", () => {
    // ¥3,000 → ¥20,000 with 10 of 30 days left: −¥1,000 + ¥6,667.
    const p = prorate({ ...nov, atMs: utc("2026-11-21T00:00:00Z"), oldPriceMinor: 3000, newPriceMinor: 20000 });
    expect([p.creditMinor, p.chargeMinor, p.netMinor]).toEqual([-1000, 6667, 5667]);
  });

  it("counts whole seconds: a change within a second prorates from that second", () => {
    const a = prorate({ ...nov, atMs: utc("2026-11-16T00:00:00.000Z"), oldPriceMinor: 1000, newPriceMinor: 2000 });
    const b = prorate({ ...nov, atMs: utc("2026-11-16T00:00:00.999Z"), oldPriceMinor: 1000, newPriceMinor: 2000 });
    expect(b.remainingSeconds).toBe(a.remainingSeconds - 1);
  });

  it("refuses a moment outside the period and non-integer prices", () => {
    expect(() => prorate({ ...nov, atMs: nov.periodEndMs + 1, oldPriceMinor: 1, newPriceMinor: 2 })).toThrow(RangeError);
    expect(() => prorate({ ...nov, atMs: nov.periodStartMs, oldPriceMinor: 1.5, newPriceMinor: 2 })).toThrow(RangeError);
  });

  it.each([
    // [case, at, old, new, credit, charge] in January 2026 (2,678,400 s): exact half cents, which
    // floating point put a hair below the half and rounded down.
    // 2,182,896 s left: 4,900 × 2,182,896 / 2,678,400 = 3,993.5; 19,900 × … = 16,218.5.
    ["Pro → Business, both lines on a half cent", "2026-01-06T17:38:24Z", 4900, 19900, -3994, 16219],
    // 1,888,272 s left: 2,900 × … = 2,044.5; 4,900 × … = 3,454.5.
    ["Starter → Pro, both lines on a half cent", "2026-01-10T03:28:48Z", 2900, 4900, -2045, 3455],
    // 1,762,536 s left: 19,900 × … = 13,095.31; 99,000 × … = 65,147.5.
    ["Business → Enterprise, the charge on a half cent", "2026-01-11T14:24:24Z", 19900, 99000, -13095, 65148],
  ] as const)("%s: rounds the exact value, halves away from zero", (_name, at, oldP, newP, credit, charge) => {
    const jan = { periodStartMs: utc("2026-01-01T00:00:00Z"), periodEndMs: utc("2026-02-01T00:00:00Z") };
    const p = prorate({ ...jan, atMs: utc(at), oldPriceMinor: oldP, newPriceMinor: newP });
    expect([p.creditMinor, p.chargeMinor, p.netMinor]).toEqual([credit, charge, credit + charge]);
  });

  it("rounds a half cent away from zero on both lines, and never credits −0", () => {
    // 1 cent, exactly halfway: 0.5 on each line.
    const half = prorate({ ...nov, atMs: utc("2026-11-16T00:00:00Z"), oldPriceMinor: 1, newPriceMinor: 1 });
    expect([half.creditMinor, half.chargeMinor, half.netMinor]).toEqual([-1, 1, 0]);
    const fromFree = prorate({ ...nov, atMs: utc("2026-11-16T00:00:00Z"), oldPriceMinor: 0, newPriceMinor: 2900 });
    expect(Object.is(fromFree.creditMinor, 0)).toBe(true);
    const atEnd = prorate({ ...nov, atMs: nov.periodEndMs, oldPriceMinor: 2900, newPriceMinor: 19900 });
    expect(Object.is(atEnd.creditMinor, 0)).toBe(true);
    expect(atEnd.chargeMinor).toBe(0);
  });

  it("stays exact when price × seconds is beyond 2^53", () => {
    const priceMinor = Number.MAX_SAFE_INTEGER; // 2^53 − 1, halfway: 2^52 − 0.5 → 2^52
    const p = prorate({ ...nov, atMs: utc("2026-11-16T00:00:00Z"), oldPriceMinor: priceMinor, newPriceMinor: 123_456_789_012 });
    expect(p.creditMinor).toBe(-(2 ** 52));
    expect(p.chargeMinor).toBe(61_728_394_506);
    // A third of the way: (2^53 − 1) × 2/3 = 6,004,799,503,160,660.67 → …661.
    const third = prorate({ ...nov, atMs: utc("2026-11-11T00:00:00Z"), oldPriceMinor: priceMinor, newPriceMinor: 0 });
    expect(third.creditMinor).toBe(-6_004_799_503_160_661);
    expect(() => prorate({ ...nov, atMs: nov.periodStartMs, oldPriceMinor: 2 ** 53, newPriceMinor: 0 })).toThrow(RangeError);
  });

  it("matches exact big-integer proration at every second of a 31-day month, for every plan price, both lines", () => {
    const periodStartMs = utc("2026-01-01T00:00:00Z");
    const periodEndMs = utc("2026-02-01T00:00:00Z");
    const prices = [...new Set(Object.values(PLANS).map((p) => p.priceMinor))].sort((a, b) => a - b);
    expect(prices.length).toBeGreaterThan(1);
    const period = BigInt((periodEndMs - periodStartMs) / S);
    // The reference: round(price × remaining / period) half up (all terms ≥ 0) as one big-integer
    // floor division, (2·price·remaining + period) ÷ (2·period).
    const exact = (priceMinor: number, remaining: bigint) => Number((2n * BigInt(priceMinor) * remaining + period) / (2n * period));
    const differences: string[] = [];
    let checked = 0;
    for (let atMs = periodStartMs; atMs <= periodEndMs; atMs += S) {
      const remaining = BigInt((periodEndMs - atMs) / S);
      const expected = prices.map((price) => exact(price, remaining));
      // Each price is the old price (credit) of one change and the new price (charge) of another.
      for (let i = 0; i < prices.length; i++) {
        const j = (i + 1) % prices.length;
        const p = prorate({ periodStartMs, periodEndMs, atMs, oldPriceMinor: prices[i]!, newPriceMinor: prices[j]! });
        const credit = expected[i] === 0 ? 0 : -expected[i]!;
        if (!Object.is(p.creditMinor, credit) || p.chargeMinor !== expected[j] || p.netMinor !== credit + expected[j]!) {
          differences.push(`${new Date(atMs).toISOString()} ${prices[i]} → ${prices[j]}: got ${p.creditMinor} + ${p.chargeMinor}, exact ${credit} + ${expected[j]}`);
        }
        checked++;
      }
    }
    expect(checked).toBe((31 * 86_400 + 1) * prices.length);
    expect(differences.slice(0, 10)).toEqual([]);
    expect(differences.length).toBe(0);
  });
});
