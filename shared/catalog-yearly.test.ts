import { describe, expect, it } from "vitest";
import file from "./testing/yearly.catalog.json";
import { CatalogError, parseCatalog } from "./catalog-file";
import { monthlyEquivalentMinor, yearlySaving } from "./billing-interval";

/** The yearly test catalog with one plan's fields replaced. */
const withPlan = (id: string, patch: Record<string, unknown>) => ({ ...file, plans: file.plans.map((p) => (p.id === id ? { ...p, ...patch } : p)) });
const problem = (input: unknown) => {
  try {
    parseCatalog(input);
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogError);
    return (e as Error).message;
  }
  throw new Error("expected a CatalogError");
};

describe("yearly prices in the catalog file", () => {
  it("are read next to the monthly ones; a plan sold only by the year ranks at a twelfth of it", () => {
    const catalog = parseCatalog(withPlan("business", { price: { year: 199_000 } }));
    expect(catalog.plan("pro")).toMatchObject({ priceMinor: 4_900, prices: { month: 4_900, year: 44_100 }, yearlyQuota: "monthly" });
    expect(catalog.plan("business")).toMatchObject({ priceMinor: 16_584, prices: { year: 199_000 } });
    expect(monthlyEquivalentMinor(catalog.plan("pro"), "year")).toBe(3_675);
    expect(catalog.plan("starter").yearlyQuota).toBe("monthly");
  });

  it("refuses a yearly price that is negative, not whole, or an interval the file does not know, naming the plan and field", () => {
    expect(problem(withPlan("pro", { price: { month: 4_900, year: -1 } }))).toBe('plan "pro": price.year: expected a price ≥ 0');
    expect(problem(withPlan("pro", { price: { year: 441.5 } }))).toBe('plan "pro": price.year: expected a price as a whole number');
    expect(problem(withPlan("pro", { price: {} }))).toMatch(/^plan "pro": price: expected a price for at least one interval/);
    expect(problem(withPlan("pro", { price: { month: 4_900, week: 1_000 } }))).toBe('plan "pro": price: unknown field "week"');
    expect(problem(withPlan("pro", { yearlyQuota: "weekly" }))).toMatch(/^plan "pro": yearlyQuota: /);
  });

  it("says what the yearly price saves: whole months free, else a percentage rounded down", () => {
    const catalog = parseCatalog(file);
    expect(yearlySaving(catalog.plan("starter"))).toEqual({ savedMinor: 5_800, percent: 16, words: "2 months free" });
    expect(yearlySaving(catalog.plan("pro"))).toEqual({ savedMinor: 14_700, percent: 25, words: "3 months free" });
    expect(yearlySaving({ prices: { month: 4_900, year: 47_000 } })).toEqual({ savedMinor: 11_800, percent: 20, words: "save 20%" });
    expect(yearlySaving(catalog.plan("enterprise"))).toBeNull();
    expect(yearlySaving({ prices: { month: 1_000, year: 12_000 } })).toBeNull();
  });
});
