import { describe, expect, it } from "vitest";
import { Catalog } from "../../../../shared/catalog";
import type { AuditRowData } from "../console-data";
import { capOf, csvRow, sortRows } from "./audit-columns";

const plan = (id: string, name: string, month: number, calls: { minute?: number; day?: number; month?: number }) => ({
  id,
  name,
  summary: "",
  public: true,
  enforcement: "shadow" as const,
  thresholds: [0.8, 1],
  price: { month },
  yearlyQuota: "monthly" as const,
  limits: { calls },
});
const catalog = new Catalog({ currency: "USD", keyCeiling: "shared", meters: [{ id: "calls", unit: "API calls" }], plans: [plan("big", "Big", 9_900, { minute: 600 }), plan("small", "Small", 900, { minute: 60, day: 1_000 })] });

const row = (name: string, planId: string): AuditRowData => ({
  accountId: `acc_${name}`,
  name,
  email: `${name}@example.com`,
  planId,
  mode: "shadow",
  peakMinute: 0,
  peakDay: 0,
  periodUsage: 0,
  wouldThrottle: 0,
  throttled: 0,
  daysOver: 0,
  recommended: null,
  notices: [],
  lastPlanChange: null,
});

describe("shadow audit columns", () => {
  it("sorts plans by their price in the catalog, a plan it does not hold first", () => {
    const rows = [row("a", "big"), row("b", "small"), row("c", "retired")];
    expect(sortRows(catalog, rows, { column: "plan", dir: "asc" }).map((r) => r.planId)).toEqual(["retired", "small", "big"]);
  });

  it("reads caps from the catalog: an uncapped window, or a plan it does not hold, has none", () => {
    expect(capOf(catalog, "small", "day")).toBe(1_000);
    expect(capOf(catalog, "big", "day")).toBeNull();
    expect(capOf(catalog, "retired", "minute")).toBeNull();
  });

  it("names the plan in the CSV, or gives its id when the catalog does not hold it", () => {
    expect(csvRow(catalog, row("a", "small")).slice(3, 7)).toEqual(["Small", "shadow", 0, 60]);
    expect(csvRow(catalog, row("c", "retired"))[3]).toBe("retired");
  });
});
