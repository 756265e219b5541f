import { describe, expect, it } from "vitest";
import type { TermsRow } from "../db/queries/metering";
import { PLANS } from "../../shared/testing/demo-catalog";
import { resolveTerms } from "./terms";

const now = Date.parse("2026-11-25T12:00:00Z");
const row = (over: Partial<TermsRow> = {}): TermsRow => ({
  id: "acc_1",
  name: "Acme",
  planId: "pro",
  planVersion: 1,
  billingAnchorMs: Date.parse("2026-11-01T00:00:00Z"),
  billingInterval: "month",
  planStartedAtMs: null,
  enforcementOverride: null,
  capOverridesJson: null,
  grandfatheredUntilMs: null,
  overageOptIn: 0,
  ...over,
});

describe("resolveTerms", () => {
  it("takes the account's own mode, else the plan's setting, else the catalog's", () => {
    expect(resolveTerms(row(), { plan: PLANS.pro, planMode: undefined, deliveredNotices: [], nowMs: now }).mode).toBe("shadow");
    expect(resolveTerms(row(), { plan: PLANS.pro, planMode: "enforce", deliveredNotices: [], nowMs: now }).mode).toBe("enforce");
    expect(resolveTerms(row({ enforcementOverride: "off" }), { plan: PLANS.pro, planMode: "enforce", deliveredNotices: [], nowMs: now }).mode).toBe("off");
  });

  it("keeps a grandfathered account in shadow until its date, and says when to look again", () => {
    const until = now + 86_400_000;
    const t = resolveTerms(row({ grandfatheredUntilMs: until }), { plan: PLANS.pro, planMode: "enforce", deliveredNotices: [], nowMs: now });
    expect(t).toMatchObject({ mode: "shadow", reloadAtMs: until });
    expect(resolveTerms(row({ grandfatheredUntilMs: until }), { plan: PLANS.pro, planMode: "enforce", deliveredNotices: [], nowMs: until }).mode).toBe("enforce");
  });

  it("drops the monthly cap for an account that opted into overage, and applies cap overrides", () => {
    expect(resolveTerms(row(), { plan: PLANS.pro, planMode: undefined, deliveredNotices: [], nowMs: now }).caps).toEqual({ minute: 600, month: 10_000 });
    expect(resolveTerms(row({ overageOptIn: 1 }), { plan: PLANS.pro, planMode: undefined, deliveredNotices: [], nowMs: now }).caps).toEqual({ minute: 600 });
    expect(resolveTerms(row({ capOverridesJson: JSON.stringify({ minute: 900 }) }), { plan: PLANS.pro, planMode: undefined, deliveredNotices: [], nowMs: now }).caps).toEqual({ minute: 900, month: 10_000 });
  });

  it("reads a notice without a window as one about every cap, and keeps the earliest delivery per cap", () => {
    const t = resolveTerms(row(), { plan: PLANS.pro, planMode: undefined, deliveredNotices: [{ window: "minute", at: 500 }, { window: null, at: 700 }, { window: "month", at: 900 }], nowMs: now });
    expect(t.noticeDeliveredAtMs).toEqual({ minute: 500, day: 700, month: 700 });
  });
});
