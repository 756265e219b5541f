import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { yearlyCatalog } from "../../../shared/testing/yearly-catalog";
import { createAccount } from "../../accounts/accounts";
import { ManualClock } from "../../lib/clock";
import { PortalClient } from "../../testing/portal-client";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/test-server";

const utc = (s: string) => Date.parse(s);
const ANCHOR = utc("2026-11-01T00:00:00Z");

interface Overview {
  plan: { id: string; priceMinor: number };
  billing: { interval: "month" | "year"; priceMinor: number; period: { startMs: number; endMs: number } };
  period: { startMs: number; endMs: number };
}

let srv: TestServer;
const clock = new ManualClock(utc("2026-12-02T09:00:00Z"));

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeAll(async () => {
    srv = await startTestServer({ dialect, clock, catalog: yearlyCatalog() });
  });
  afterAll(async () => {
    await srv.stop();
  });

  async function overviewOf(interval: "month" | "year"): Promise<Overview> {
    const account = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: `ops-${interval}@acme.example`, planId: "pro" }, { billingAnchorMs: ANCHOR, billingInterval: interval });
    const customer = await PortalClient.signIn(srv, account.id);
    const answer = await customer.query<Overview>("usage.overview");
    expect(answer.status).toBe(200);
    return answer.data!;
  }

  describe("the usage page's plan line: the price and billing period the account is billed in", () => {
    it("a yearly account: the yearly price and a billing year, while the month caps' window is a month of it", async () => {
      const o = await overviewOf("year");
      expect(o.billing).toEqual({ interval: "year", priceMinor: 44_100, period: { startMs: ANCHOR, endMs: utc("2027-11-01T00:00:00Z") } });
      expect(o.period).toEqual({ startMs: utc("2026-12-01T00:00:00Z"), endMs: utc("2027-01-01T00:00:00Z") });
    });

    it("a monthly account: the monthly price and the billing month, the same window as the month caps'", async () => {
      const o = await overviewOf("month");
      expect(o.billing).toEqual({ interval: "month", priceMinor: 4_900, period: { startMs: utc("2026-12-01T00:00:00Z"), endMs: utc("2027-01-01T00:00:00Z") } });
      expect(o.period).toEqual(o.billing.period);
    });
  });
});
