import { describe, expect, it } from "vitest";
import { addUtcMonths } from "./limits";
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
});
