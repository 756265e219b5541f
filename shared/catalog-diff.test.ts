import { describe, expect, it } from "vitest";
import demo from "../headroom.catalog.json";
import yearlyFile from "./testing/yearly.catalog.json";
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

  it("names a yearly price added, raised or dropped and a change of how month caps apply on it: each gives the plan a new version", () => {
    const yearly = (): CatalogData => structuredClone(parseCatalog(yearlyFile).data);
    const before = yearly();
    const after = yearly();
    const plan = (id: string) => after.plans.find((p) => p.id === id)!;
    plan("starter").price = { month: 2_900, year: 35_000 };
    plan("pro").yearlyQuota = "yearly";
    plan("business").price = { month: 19_900 };
    plan("enterprise").price = { month: 99_000, year: 990_000 };
    after.plans.push({ id: "scale", name: "Scale", summary: "", public: true, enforcement: "shadow", thresholds: [0.8, 1], price: { year: 479_000 }, yearlyQuota: "yearly", limits: { calls: { month: 100_000 } } });
    expect(catalogDiffLines(diffCatalogs(before, after))).toEqual([
      '~ plan "starter": price per year: $290.00 → $350.00',
      "~ plan \"pro\": month caps on the yearly price: an allowance each billing month → twelve months' allowance for the billing year",
      '~ plan "business": price per year: $1,990.00 → none',
      '~ plan "enterprise": price per year: none → $9,900.00',
      "+ plan \"scale\": Scale, $4,790.00 a year; API calls: 100,000 per billing month; month caps on the yearly price: twelve months' allowance for the billing year",
    ]);
  });

  it("says a plan's prices in both intervals when it is added or removed", () => {
    const before = data();
    const after = data();
    after.plans.push({ id: "team", name: "Team", summary: "", public: true, enforcement: "shadow", thresholds: [0.8, 1], price: { month: 9_900, year: 99_000 }, yearlyQuota: "monthly", limits: { calls: { minute: 1_000 } } });
    expect(catalogDiffLines(diffCatalogs(before, after))).toEqual(['+ plan "team": Team, $99.00 a month or $990.00 a year; API calls: 1,000 per minute']);
  });
});
