import { describe, expect, it } from "vitest";
import { termsLine } from "./plan-terms";
import { yearlyCatalog } from "./testing/yearly-catalog";

describe("a plan version's terms in words", () => {
  it("says a month cap as is on a yearly price whose quota starts over each month", () => {
    const catalog = yearlyCatalog({ proYearlyQuota: "monthly" });
    expect(termsLine(catalog.plan("pro"), catalog)).toBe("$49.00/month or $441.00/year; API calls: 600 per minute, 10,000 per billing month; $3.00 per 1,000 over the quota");
  });

  it("says the year's allowance beside a month cap counted over the billing year, so two versions that differ only in that do not read the same", () => {
    const monthly = yearlyCatalog({ proYearlyQuota: "monthly" });
    const yearly = yearlyCatalog({ proYearlyQuota: "yearly" });
    expect(termsLine(yearly.plan("pro"), yearly)).toBe(
      "$49.00/month or $441.00/year; API calls: 600 per minute, 10,000 per billing month (120,000 per billing year on the yearly price); $3.00 per 1,000 over the quota",
    );
    expect(termsLine(yearly.plan("pro"), yearly)).not.toBe(termsLine(monthly.plan("pro"), monthly));
  });

  it("says nothing of a yearly quota for a plan sold monthly only", () => {
    const catalog = yearlyCatalog({ proYearlyQuota: "yearly" });
    expect(termsLine(catalog.plan("free"), catalog)).toBe("Free; API calls: 1,000 per billing month");
  });
});
