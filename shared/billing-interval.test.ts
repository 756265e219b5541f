import { describe, expect, it } from "vitest";
import { addInterval, quotaWindow, termsOnInterval } from "./billing-interval";
import { billingPeriodAt } from "./limits";
import { composeNotice, describeCapRefusal, describeUsageAgainstCap, planChangeNotice } from "./messages";
import { yearlyCatalog } from "./testing/yearly-catalog";

const utc = (s: string) => Date.parse(s);

describe("yearly billing periods", () => {
  it("a year from the anchor, whose months are the monthly periods of the same anchor", () => {
    const anchor = utc("2024-02-29T10:00:00Z");
    expect(billingPeriodAt(anchor, utc("2025-01-15T00:00:00Z"), "year")).toEqual({ startMs: anchor, endMs: utc("2025-02-28T10:00:00Z") });
    expect(billingPeriodAt(anchor, utc("2025-03-01T00:00:00Z"), "year")).toEqual({ startMs: utc("2025-02-28T10:00:00Z"), endMs: utc("2026-02-28T10:00:00Z") });
    expect(billingPeriodAt(anchor, utc("2028-02-29T09:59:59Z"), "year").startMs).toBe(utc("2027-02-28T10:00:00Z"));
    expect(billingPeriodAt(anchor, utc("2028-02-29T10:00:00Z"), "year").startMs).toBe(utc("2028-02-29T10:00:00Z"));
    // The twelfth month of a year ends where the year does.
    expect(billingPeriodAt(anchor, utc("2025-02-20T00:00:00Z"), "month").endMs).toBe(billingPeriodAt(anchor, utc("2025-02-20T00:00:00Z"), "year").endMs);
    expect(addInterval(utc("2026-11-16T00:00:00Z"), "year")).toBe(utc("2027-11-16T00:00:00Z"));
  });

  it("a yearly quota is the month cap times twelve on the yearly price only", () => {
    const pro = yearlyCatalog({ proYearlyQuota: "yearly" }).plan("pro");
    expect([quotaWindow(pro, "month"), quotaWindow(pro, "year")]).toEqual(["month", "year"]);
    expect(termsOnInterval(pro, "year").caps).toEqual({ minute: 600, month: 120_000 });
    expect(termsOnInterval(pro, "year").meters.calls!.caps.month).toBe(120_000);
    expect(termsOnInterval(pro, "month")).toBe(pro);
    expect(termsOnInterval(yearlyCatalog().plan("pro"), "year").caps.month).toBe(10_000);
  });
});

describe("the words of a window that spans the billing year", () => {
  it("say per billing year in the 429, the notice and the portal's sentence", () => {
    expect(describeUsageAgainstCap({ window: "month", used: 121_000, limit: 120_000, span: "year" }, "Pro")).toBe("You made 121,000 calls in this billing year; the Pro plan allows 120,000 per billing year.");
    expect(describeUsageAgainstCap({ window: "month", used: 11_000, limit: 10_000 }, "Pro")).toBe("You made 11,000 calls in this billing month; the Pro plan allows 10,000 per billing month.");
    expect(describeCapRefusal({ window: "month", limit: 120_000, used: 119_990, cost: 200_000, waitSeconds: null, span: "year" }, "Pro", 0)).toContain("never fits the Pro plan's yearly cap");
    const notice = composeNotice({ kind: "reached", planName: "Pro", window: "month", limit: 120_000, used: 120_000, resetAtMs: null, mode: "shadow", refusalsFromMs: null, recommended: null, fitsRate: "120,000 calls per billing year", span: "year" });
    expect(notice.title).toBe("You reached your Pro yearly cap");
    expect(notice.happened).toContain("per billing year");
  });

  it("a plan change notice names the new interval", () => {
    const text = planChangeNotice({ kind: "plan_change", status: "applied", toPlanName: "Pro", amountDueNowMinor: 41_650, recurringMinor: 44_100, recurringFromMs: utc("2027-11-16T00:00:00Z"), effectiveAtMs: 0, currency: "USD", fromInterval: "month", toInterval: "year" }).text;
    expect(text).toBe("Your new caps apply now. Charged today: $416.50. Next: $441.00 on 16 Nov 2027 (then every year). You are now billed yearly, from today.");
  });
});

describe("the recommendation for an account billed yearly", () => {
  it("ranks at monthly equivalents of the yearly prices, and offers the switch at the yearly price", async () => {
    const { recommendPlan, switchAdviceOf } = await import("./recommend");
    const catalog = yearlyCatalog();
    const quiet = { peaks: { minute: 10, day: 200, month: 3_000 }, days: [{ dayMs: utc("2026-11-20T00:00:00Z"), calls: 200, peakMinute: 10 }] };
    const monthly = recommendPlan(quiet, catalog.plans, { currentPlanId: "free" });
    const yearly = recommendPlan(quiet, catalog.plans, { currentPlanId: "free", interval: "year" });
    const costOf = (c: typeof monthly, id: string) => c.verdicts.find((v) => v.planId === id)!.monthlyCostMinor;
    expect([costOf(monthly, "starter"), costOf(yearly, "starter")]).toEqual([2_900, 2_417]);
    // Enterprise is sold monthly only: the same in both.
    expect(costOf(yearly, "enterprise")).toBe(costOf(monthly, "enterprise"));
    expect(yearly.recommendation).toMatchObject({ planId: "starter", monthlyCostMinor: 2_417 });
    expect(switchAdviceOf(catalog.plan("starter"), yearly.recommendation!, "year").price).toBe("$290.00/year");
    expect(switchAdviceOf(catalog.plan("starter"), monthly.recommendation!).price).toBe("$29.00/month");
  });
});
