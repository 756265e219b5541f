import { describe, expect, it } from "vitest";
import demo from "../headroom.catalog.json";
import { CatalogError, parseCatalog, type CatalogFileInput } from "./catalog-file";

const base = (): CatalogFileInput => structuredClone(demo) as CatalogFileInput;

/** The one line a bad catalog is refused with. */
function refusal(change: (c: CatalogFileInput & Record<string, unknown>) => void): string {
  const c = base() as CatalogFileInput & Record<string, unknown>;
  change(c);
  try {
    parseCatalog(c);
  } catch (err) {
    if (err instanceof CatalogError) return err.message;
    throw err;
  }
  return "accepted";
}

describe("the catalog file", () => {
  it("reads the demo catalog: five plans in the file's order, one meter, defaults filled in", () => {
    const c = parseCatalog(demo);
    expect(c.plans.map((p) => p.id)).toEqual(["free", "starter", "pro", "business", "enterprise"]);
    expect(c.defaultMeter).toEqual({ id: "calls", unit: "API calls" });
    expect(c.plan("pro")).toMatchObject({ priceMinor: 4_900, caps: { minute: 600, month: 10_000 }, overagePer1000Minor: 300, metered: false, thresholds: [0.8, 1], public: true, version: 1 });
    expect(c.plan("enterprise")).toMatchObject({ caps: {}, overagePer1000Minor: 50, metered: true, enforcement: "off" });
    expect(c.freePlan?.id).toBe("free");
  });

  it("refuses an unknown field, naming the plan and the field", () => {
    expect(refusal((c) => Object.assign(c.plans[1]!, { priceMonthly: 10 }))).toBe('plan "starter": unknown field "priceMonthly"');
    expect(refusal((c) => (c.extra = true))).toBe('unknown field "extra"');
    expect(refusal((c) => Object.assign(c.plans[2]!.limits.calls!, { hour: 5 }))).toBe('plan "pro": limits.calls: unknown field "hour"');
  });

  it("refuses a negative or fractional price or cap", () => {
    expect(refusal((c) => (c.plans[1]!.price = { month: -1 }))).toBe('plan "starter": price.month: expected a price ≥ 0');
    expect(refusal((c) => (c.plans[1]!.limits.calls!.minute = -60))).toBe('plan "starter": limits.calls.minute: expected a cap ≥ 0');
    expect(refusal((c) => (c.plans[1]!.limits.calls!.day = 10.5))).toBe('plan "starter": limits.calls.day: expected a cap as a whole number');
  });

  it("refuses a duplicate plan or meter id", () => {
    expect(refusal((c) => (c.plans[3]!.id = "starter"))).toBe('plan "starter": id: plan "starter" is declared twice');
    expect(refusal((c) => c.meters.push({ id: "calls", unit: "Calls again" }))).toBe('meter "calls": id: meter "calls" is declared twice');
  });

  it("refuses a plan without a price for any interval", () => {
    expect(refusal((c) => (c.plans[1]!.price = {}))).toBe('plan "starter": price: expected a price for at least one interval, e.g. { "month": 2900 } or { "year": 29000 }');
    expect(refusal((c) => delete (c.plans[1] as Partial<CatalogFileInput["plans"][number]>).price)).toMatch(/^plan "starter": price: /);
  });

  it("refuses terms that contradict each other or a meter that does not exist", () => {
    expect(refusal((c) => (c.plans[2]!.limits.calls = { minute: 600, overagePer1000Minor: 300 }))).toBe('plan "pro": limits.calls.overagePer1000Minor: overage is billed beyond the billing-month cap: give a month cap with it');
    expect(refusal((c) => (c.plans[4]!.limits.calls = { month: 5, meteredPer1000Minor: 50 }))).toBe('plan "enterprise": limits.calls.month: a metered meter bills every unit and has no month cap to go over');
    expect(refusal((c) => (c.plans[1]!.limits = { calls: {}, mcp: {} }))).toBe('plan "starter": limits.mcp: no meter "mcp" is declared in "meters"');
    expect(refusal((c) => (c.plans[1]!.limits = {}))).toBe('plan "starter": limits: expected the plan\'s terms for meter "calls" ({} for unlimited)');
  });

  it("refuses bad ids, currencies, thresholds and a catalog with nothing to offer", () => {
    expect(refusal((c) => (c.plans[0]!.id = "Free Plan"))).toMatch(/^plan "Free Plan": id: a plan id is 1–40 lower-case letters/);
    expect(refusal((c) => (c.currency = "usd"))).toBe('currency: expected an ISO 4217 code in capitals, e.g. "USD"');
    expect(refusal((c) => (c.currency = "ABC"))).toBe("currency: not an ISO 4217 currency this runtime knows");
    expect(refusal((c) => (c.plans[0]!.thresholds = [1, 0.8]))).toBe('plan "free": thresholds: expected ascending shares, e.g. [0.8, 1]');
    expect(refusal((c) => c.plans.forEach((p) => (p.public = false)))).toBe("plans: expected at least one public plan to offer");
  });

  it("takes any plan ids and a zero-decimal currency", () => {
    const c = parseCatalog({ currency: "JPY", meters: [{ id: "req", unit: "requests" }], plans: [{ id: "hobby-2024", name: "Hobby", price: { month: 500 }, limits: { req: { day: 100 } } }] });
    expect(c.plan("hobby-2024")).toMatchObject({ currency: "JPY", priceMinor: 500, caps: { day: 100 } });
  });
});
