import { describe, expect, it } from "vitest";
import demo from "../headroom.catalog.json";
import type { CatalogData } from "./catalog";
import { catalogDiffLines, diffCatalogs } from "./catalog-diff";
import { parseCatalog } from "./catalog-file";

const data = (): CatalogData => structuredClone(parseCatalog(demo).data);

describe("what a new catalog file changes", () => {
  it("says nothing for the same catalog", () => {
    expect(diffCatalogs(data(), data())).toEqual([]);
  });

  it("names every changed field of a plan, the plans added and removed, in words", () => {
    const before = data();
    const after = data();
    const starter = after.plans.find((p) => p.id === "starter")!;
    starter.price = { month: 3_900 };
    starter.limits.calls = { minute: 120, day: 1_000 };
    starter.public = false;
    after.plans = after.plans.filter((p) => p.id !== "enterprise");
    after.plans.push({ id: "team", name: "Team", summary: "", public: true, enforcement: "shadow", thresholds: [0.8, 1], price: { month: 9_900 }, yearlyQuota: "monthly", limits: { calls: { minute: 1_000 } } });
    expect(catalogDiffLines(diffCatalogs(before, after))).toEqual([
      '~ plan "starter": price per month: $29.00 → $39.00',
      '~ plan "starter": no longer offered to customers (accounts on it keep it)',
      '~ plan "starter": API calls per minute: 60 → 120',
      '+ plan "team": Team, $99.00 a month; API calls: 1,000 per minute',
      '- plan "enterprise": Enterprise, $990.00 a month; API calls: no caps; every 1,000 billed at $0.50',
    ]);
  });

  it("names a cap that became unlimited, a new overage price and a meter renamed", () => {
    const before = data();
    const after = data();
    after.meters[0]!.unit = "requests";
    after.plans.find((p) => p.id === "pro")!.limits.calls = { minute: 600, month: 10_000, overagePer1000Minor: 250 };
    after.plans.find((p) => p.id === "business")!.limits.calls = { minute: 300 };
    expect(catalogDiffLines(diffCatalogs(before, after))).toEqual([
      '~ meter "calls": unit: API calls → requests',
      '~ plan "pro": requests overage per 1,000: $3.00 → $2.50',
      '~ plan "business": requests per day (UTC): 5,000 → unlimited',
    ]);
  });
});
