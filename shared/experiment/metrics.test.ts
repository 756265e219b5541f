import { describe, expect, it } from "vitest";
import { DAY_MS } from "../limits";
import { billingErrorRate, churn, dailyCalls, monthlyRate, nps, npsPoints, revenueByAccount, supportResponse, upgradeRate } from "./metrics";

const start = Date.parse("2026-11-01T00:00:00Z");

describe("upgradeRate", () => {
  it("is null with nobody notified, 0 with no upgrade, 1 when every notified account upgraded", () => {
    expect(upgradeRate([], []).rate).toBeNull();
    expect(upgradeRate([{ accountId: "a", atMs: start }], []).rate).toBe(0);
    const all = upgradeRate([{ accountId: "a", atMs: start }, { accountId: "b", atMs: start }], [{ accountId: "a", atMs: start + DAY_MS }, { accountId: "b", atMs: start + 2 * DAY_MS }]);
    expect(all).toMatchObject({ notified: 2, upgraded: 2, rate: 1 });
  });
  it("counts an account once from its first notice, and an upgrade only within 14 days of it", () => {
    const r = upgradeRate(
      [{ accountId: "a", atMs: start + 5 * DAY_MS }, { accountId: "a", atMs: start }, { accountId: "b", atMs: start }, { accountId: "c", atMs: start }],
      [
        { accountId: "a", atMs: start + 13 * DAY_MS }, // within 14 days of the first notice
        { accountId: "b", atMs: start + 14 * DAY_MS }, // 14 days later: too late
        { accountId: "c", atMs: start - 1 }, // before the notice
      ],
    );
    expect(r).toMatchObject({ notified: 3, upgraded: 1 });
    expect(r.rate).toBeCloseTo(1 / 3, 10);
  });
});

describe("billingErrorRate", () => {
  it("counts open, void and refunded charges over all charges", () => {
    expect(billingErrorRate([]).rate).toBeNull();
    expect(billingErrorRate([{ status: "paid", refunded: false }, { status: "queued", refunded: false }]).rate).toBe(0);
    const r = billingErrorRate([
      { status: "paid", refunded: false },
      { status: "paid", refunded: true },
      { status: "open", refunded: false },
      { status: "void", refunded: false },
    ]);
    expect(r).toEqual({ errors: 3, charges: 4, rate: 0.75 });
  });
});

describe("churn", () => {
  const asOfMs = start + 20 * DAY_MS + 3_600_000;
  const day = (n: number) => start + n * DAY_MS;
  it("is null without active accounts and 0 when all keep calling", () => {
    expect(churn({ activeAtStart: [], startMs: start, asOfMs, cancelled: [], callDays: new Map() }).rate).toBeNull();
    const r = churn({ activeAtStart: ["a"], startMs: start, asOfMs, cancelled: [], callDays: new Map([["a", [day(19)]]]) });
    expect(r.rate).toBe(0);
  });
  it("counts 14 silent whole days, and a cancellation, but not 13 silent days", () => {
    const r = churn({
      activeAtStart: ["silent14", "silent13", "cancelled", "never"],
      startMs: start,
      asOfMs,
      cancelled: [{ accountId: "cancelled", atMs: day(3) }],
      // Today is day 20: a last call on day 5 leaves days 6–19 silent (14); on day 6, 13.
      callDays: new Map([["silent14", [day(1), day(5)]], ["silent13", [day(6)]], ["cancelled", [day(19)]]]),
    });
    expect(r.churnedIds.sort()).toEqual(["cancelled", "never", "silent14"]);
    expect(r.rate).toBe(0.75);
  });
});

describe("nps", () => {
  it("is promoters minus detractors in points, with the answers counted", () => {
    expect(nps([])).toEqual({ score: null, promoters: 0, detractors: 0, responses: 0 });
    expect(nps([10, 10, 9]).score).toBe(100);
    expect(nps([0, 6, 6]).score).toBe(-100);
    // 2 promoters, 1 passive, 1 detractor of 4: 50 − 25.
    expect(nps([9, 10, 7, 3])).toEqual({ score: 25, promoters: 2, detractors: 1, responses: 4 });
    expect([0, 6, 7, 8, 9, 10].map(npsPoints)).toEqual([-100, -100, 0, 0, 100, 100]);
  });
});

describe("revenue", () => {
  it("sums each account's invoices and credit notes, void ones left out, and scales to a month", () => {
    const by = revenueByAccount([
      { accountId: "a", status: "paid", totalMinor: 49_00 },
      { accountId: "a", status: "paid", totalMinor: -10_00 },
      { accountId: "b", status: "void", totalMinor: 99_00 },
      { accountId: "b", status: "queued", totalMinor: 19_00 },
    ]);
    expect(Object.fromEntries(by)).toEqual({ a: 39_00, b: 19_00 });
    expect(monthlyRate(500_00, 15 * DAY_MS)).toBe(1000_00);
    expect(monthlyRate(0, 3 * DAY_MS)).toBe(0);
    // Less than a day counts as a day: no month out of an hour.
    expect(monthlyRate(10_00, 3_600_000)).toBe(300_00);
  });
});

describe("dailyCalls", () => {
  it("lists every whole day, quiet ones as 0, and leaves today out", () => {
    const days = dailyCalls([{ dayMs: start, served: 5 }, { dayMs: start, served: 7 }, { dayMs: start + 2 * DAY_MS, served: 3 }], start, start + 3 * DAY_MS + 1000);
    expect(days.map((d) => d.calls)).toEqual([12, 0, 3]);
  });
});

describe("supportResponse", () => {
  it("counts answers late or still open past 4 hours", () => {
    const h = 3_600_000;
    const r = supportResponse([{ createdAtMs: 0, repliedAtMs: h }, { createdAtMs: 0, repliedAtMs: 5 * h }, { createdAtMs: 0, repliedAtMs: null }], 4 * h + 1);
    expect(r).toEqual({ requests: 3, answered: 2, medianResponseMinutes: 300, overdue: 2 });
    expect(supportResponse([], 0)).toEqual({ requests: 0, answered: 0, medianResponseMinutes: null, overdue: 0 });
  });
});
