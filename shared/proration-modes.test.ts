import { describe, expect, it } from "vitest";
import { isProrationMode, PRORATION_MODES, prorationModeWords } from "./proration-modes";

const from = { name: "Starter" };
const to = { name: "Business" };

describe("the consent's words for Dodo's proration modes", () => {
  it("explain each mode in its own words, naming both plans", () => {
    expect(prorationModeWords("prorated_immediately", from, to, "$85.00")).toBe("The $85.00 charged now is the Business plan's price for the rest of my current billing period, less a credit for the unused time on my Starter plan.");
    expect(prorationModeWords("difference_immediately", from, to, "$170.00")).toBe("The $170.00 charged now is the difference between the Business plan's full price and the Starter plan's, not prorated for the time left in my billing period.");
    expect(prorationModeWords("full_immediately", from, to, "$199.00")).toBe("The $199.00 charged now is the Business plan's full price; the unused time on my Starter plan is not credited.");
    expect(new Set(PRORATION_MODES.map((m) => prorationModeWords(m, from, to, "$1.00"))).size).toBe(3);
  });

  it("recognises only Dodo's three modes (not Stripe's proration behaviours)", () => {
    expect(PRORATION_MODES.every(isProrationMode)).toBe(true);
    for (const other of ["always_invoice", "create_prorations", "none", "do_not_bill", "", null]) expect(isProrationMode(other)).toBe(false);
  });
});
