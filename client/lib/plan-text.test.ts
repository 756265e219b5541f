import { describe, expect, it } from "vitest";
import { changeTitle, planName } from "./plan-text";

describe("plan text", () => {
  it("names a plan from its id, and shows an id the catalog does not know as it is", () => {
    expect(planName("business")).toBe("Business");
    expect(planName("legacy_2019")).toBe("legacy_2019");
  });

  it("titles a plan change by what it does", () => {
    expect(changeTitle({ kind: "plan_change", fromPlanId: "starter", toPlanId: "business" })).toBe("Starter → Business");
    expect(changeTitle({ kind: "overage_opt_in", fromPlanId: "pro", toPlanId: "pro" })).toBe("Overage billing turned on");
    expect(changeTitle({ kind: "overage_opt_out", fromPlanId: "pro", toPlanId: "pro" })).toBe("Overage billing turned off");
  });
});
