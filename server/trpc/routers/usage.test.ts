import { demoCatalog } from "../../../shared/testing/demo-catalog";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, MINUTE_MS, startOfMinute, startOfUtcDay } from "../../../shared/limits";
import { createAccount } from "../../accounts/accounts";
import { createKey } from "../../keys/keys";
import { ManualClock } from "../../lib/clock";
import type { UsageHistory } from "../../metering/usage-history";
import type { PlanComparisonView } from "../../plans/plan-advisor";
import { PortalClient } from "../../testing/portal-client";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/test-server";

const now = Date.parse("2026-11-25T14:02:31Z");
const clock = new ManualClock(now);
const thisMinute = startOfMinute(now);
const today = startOfUtcDay(now);
let srv: TestServer;
let acme: string;
let other: string;
let fresh: string;

async function insertMinute(minuteMs: number, keyId: string, accountId: string, counts: [number, number, number, number]) {
  await srv.sql("insert into usage_minute (minute_ms, key_id, account_id, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, ?, ?, ?, ?)", minuteMs, keyId, accountId, ...counts);
}
async function insertDay(dayMs: number, accountId: string, allowed: number, wouldThrottle: number, peakMinute: number, throttled = 0) {
  await srv.sql("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, ?, ?, 0, ?)", dayMs, accountId, allowed, wouldThrottle, throttled, peakMinute);
}

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeAll(async () => {
    clock.set(now);
    srv = await startTestServer({ dialect, clock });
    const db = srv.deps.db;
    acme = (await createAccount(db, demoCatalog, clock, { name: "Acme", email: "a@example.com", planId: "starter" })).id;
    other = (await createAccount(db, demoCatalog, clock, { name: "Other", email: "o@example.com", planId: "starter" })).id;
    fresh = (await createAccount(db, demoCatalog, clock, { name: "Fresh", email: "f@example.com", planId: "free" })).id;
    const k1 = (await createKey(db, clock, { accountId: acme, name: "Production" })).id;
    const k2 = (await createKey(db, clock, { accountId: acme, name: "Batch" })).id;
    const ko = (await createKey(db, clock, { accountId: other, name: "Theirs" })).id;

    // Two keys in the same minute are summed; the minute before the window and another account's rows are not counted.
    await insertMinute(thisMinute - 5 * MINUTE_MS, k1, acme, [60, 150, 0, 0]);
    await insertMinute(thisMinute - 5 * MINUTE_MS, k2, acme, [0, 58, 0, 0]);
    await insertMinute(thisMinute, k1, acme, [7, 0, 2, 1]);
    await insertMinute(thisMinute - 60 * MINUTE_MS, k1, acme, [9_999, 0, 0, 0]);
    await insertMinute(thisMinute - 5 * MINUTE_MS, ko, other, [5_000, 0, 0, 0]);

    // Acme: 4,016 calls a day at 268/min for the last 30 days, plus a day just outside the window.
    for (let i = 0; i < 30; i++) await insertDay(today - i * DAY_MS, acme, 1_000, 3_016, 268);
    await insertDay(today - 30 * DAY_MS, acme, 1, 99_999, 9_999);
    await insertDay(today - 2 * DAY_MS, other, 10, 0, 3);
  });
  afterAll(() => srv.stop());

  describe("usage.history", () => {
    it("returns the last 60 minutes and 30 UTC days of the signed-in account, zero-filled, with its caps", async () => {
      const client = await PortalClient.signIn(srv, acme);
      const res = await client.query<UsageHistory & { nowMs: number; graceHours: number }>("usage.history");
      expect(res.status).toBe(200);
      const h = res.data!;
      expect(h.nowMs).toBe(now);
      expect(h.graceHours).toBe(72);

      expect(h.minutes).toHaveLength(60);
      expect(h.minutes[0]!.startMs).toBe(thisMinute - 59 * MINUTE_MS);
      expect(h.minutes[59]).toEqual({ startMs: thisMinute, allowed: 7, wouldThrottle: 0, throttled: 2, ceiling: 1 });
      expect(h.minutes[54]).toEqual({ startMs: thisMinute - 5 * MINUTE_MS, allowed: 60, wouldThrottle: 208, throttled: 0, ceiling: 0 });
      expect(h.minutes[10]).toEqual({ startMs: thisMinute - 49 * MINUTE_MS, allowed: 0, wouldThrottle: 0, throttled: 0, ceiling: 0 });
      expect(h.minutes.reduce((s, m) => s + m.allowed, 0)).toBe(67);

      expect(h.days).toHaveLength(30);
      expect(h.days[0]!.startMs).toBe(today - 29 * DAY_MS);
      expect(h.days[29]).toEqual({ plans: ["starter"], startMs: today, allowed: 1_000, wouldThrottle: 3_016, throttled: 0, ceiling: 0, peakMinute: 268 });
      expect(h.days.every((d) => d.peakMinute === 268)).toBe(true);
      expect(h.caps).toEqual({ minute: 60, day: 1_000, month: null });
      expect(h.hasCalls).toBe(true);
    });

    it("moves with the clock and fills days without traffic with zeros", async () => {
      const client = await PortalClient.signIn(srv, other);
      const h = (await client.query<UsageHistory>("usage.history")).data!;
      expect(h.days.filter((d) => d.allowed > 0).map((d) => d.startMs)).toEqual([today - 2 * DAY_MS]);
      expect(h.minutes.every((m) => m.allowed === 0 || m.startMs === thisMinute - 5 * MINUTE_MS)).toBe(true);

      clock.advance(DAY_MS);
      try {
        // A day later the session has lapsed: sign in again.
        const later = (await (await PortalClient.signIn(srv, other)).query<UsageHistory>("usage.history")).data!;
        expect(later.days[29]!.startMs).toBe(today + DAY_MS);
        expect(later.days.filter((d) => d.allowed > 0).map((d) => d.startMs)).toEqual([today - 2 * DAY_MS]);
        expect(later.minutes.every((m) => m.allowed === 0)).toBe(true);
      } finally {
        clock.set(now);
      }
    });

    it("tells a brand-new account it has no calls yet", async () => {
      const client = await PortalClient.signIn(srv, fresh);
      const h = (await client.query<UsageHistory>("usage.history")).data!;
      expect(h.hasCalls).toBe(false);
      expect(h.minutes).toHaveLength(60);
      expect(h.days).toHaveLength(30);
      expect(h.caps).toEqual({ minute: null, day: null, month: 1_000 });
    });

    it("needs a customer session", async () => {
      expect((await fetch(`${srv.url}/trpc/usage.history`)).status).toBe(401);
    });
  });

  describe("plans.compare", () => {
    it("judges every public plan against the account's last 30 days and recommends Business for an over-cap Starter customer", async () => {
      const client = await PortalClient.signIn(srv, acme);
      const res = await client.query<PlanComparisonView>("plans.compare");
      expect(res.status).toBe(200);
      const c = res.data!;
      expect(c.currentPlanId).toBe("starter");
      expect(c.plans.map((p) => p.id)).toEqual(["free", "starter", "pro", "business", "enterprise"]);
      expect(c.peaks).toEqual({ minute: 268, day: 4_016, month: 120_480 });
      expect(c.recommendation).toMatchObject({ planId: "business", monthlyCostMinor: 19_900 });
      expect(c.verdicts.find((v) => v.planId === "starter")).toMatchObject({ kind: "over", label: "over on 30 of 30 days" });
      expect(c.verdicts.find((v) => v.planId === "business")).toMatchObject({ kind: "fits" });
    });

    it("recommends nothing to an account without calls, but still judges every plan", async () => {
      const client = await PortalClient.signIn(srv, fresh);
      const c = (await client.query<PlanComparisonView>("plans.compare")).data!;
      expect(c.peaks).toEqual({ minute: 0, day: 0, month: 0 });
      expect(c.recommendation).toBeNull();
      expect(c.verdicts.every((v) => v.kind === "fits")).toBe(true);
    });
  });
});
