import { describe, expect, it } from "vitest";
import type { CatalogData } from "../../shared/catalog";
import { catalogOf } from "./use-catalog";

const answer = (): CatalogData => ({
  currency: "USD",
  keyCeiling: "shared",
  meters: [{ id: "calls", unit: "API calls" }],
  plans: [{ id: "basic", name: "Basic", summary: "", public: true, enforcement: "shadow", thresholds: [0.8, 1], price: { month: 1_000 }, yearlyQuota: "monthly", limits: { calls: { day: 100 } } }],
});

describe("catalogOf", () => {
  it("gives the same Catalog for the same answer, so memoised values keyed on it hold", () => {
    const data = answer();
    expect(catalogOf(data)).toBe(catalogOf(data));
    expect(catalogOf(data).plan("basic").caps).toEqual({ day: 100 });
  });

  it("builds a new Catalog for a new answer", () => {
    expect(catalogOf(answer())).not.toBe(catalogOf(answer()));
  });
});
