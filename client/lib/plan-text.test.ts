import { describe, expect, it } from "vitest";
import { Catalog } from "../../shared/catalog";
import { changeTitle } from "./plan-text";

const plan = (id: string, name: string) => ({ id, name, summary: "", public: true, enforcement: "shadow" as const, thresholds: [0.8, 1], price: { month: 0 }, yearlyQuota: "monthly" as const, limits: { calls: {} } });
const catalog = new Catalog({ currency: "USD", keyCeiling: "shared", meters: [{ id: "calls", unit: "API calls" }], plans: [plan("starter", "Starter"), plan("business", "Business")] });

describe("plan text", () => {
  it("titles a plan change by what it does", () => {
    expect(changeTitle(catalog, { kind: "plan_change", fromPlanId: "starter", toPlanId: "business" })).toBe("Starter → Business");
    expect(changeTitle(catalog, { kind: "overage_opt_in", fromPlanId: "pro", toPlanId: "pro" })).toBe("Overage billing turned on");
    expect(changeTitle(catalog, { kind: "overage_opt_out", fromPlanId: "pro", toPlanId: "pro" })).toBe("Overage billing turned off");
  });

  it("shows a plan the catalog does not hold by its id", () => {
    expect(changeTitle(catalog, { kind: "plan_change", fromPlanId: "legacy_2019", toPlanId: "business" })).toBe("legacy_2019 → Business");
  });
});
