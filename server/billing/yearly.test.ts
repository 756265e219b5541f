import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { confirmationFor } from "../../shared/consent";
import { yearlyCatalog } from "../../shared/testing/yearly-catalog";
import { createAccount } from "../accounts/accounts";
import { creditBalanceInTx } from "../db/queries/invoices";
import { inTransaction } from "../db/queries/plan-changes";
import { ManualClock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { DIALECTS, startTestServer, type TestServer, type TestDialect } from "../testing/test-server";
import { billingOverview } from "./billing-overview";
import { runBillingCycle } from "./billing-cycle";
import { confirmPlanChange, type Consenter } from "./plan-change";
import { previewPlanChange } from "./quote";

const utc = (s: string) => Date.parse(s);
const who: Consenter = { signedInAs: "ops@acme.example", ip: "127.0.0.1", userAgent: "vitest" };
let srv: TestServer;
let clock: ManualClock;

let dialect: TestDialect = "sqlite";

async function start(proYearlyQuota: "monthly" | "yearly" = "monthly") {
  clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
  srv = await startTestServer({ clock, dialect, catalog: yearlyCatalog({ proYearlyQuota }) });
}
// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (on) => {
  beforeAll(() => {
    dialect = on;
  });
  beforeEach(() => start());
  afterEach(() => srv.stop());

  async function account(planId: string, opts: { anchor?: number; interval?: "month" | "year" } = {}) {
    const a = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: `${Math.random()}@example.com`, planId }, { billingAnchorMs: opts.anchor ?? utc("2026-11-01T00:00:00Z"), billingInterval: opts.interval });
    return a.id;
  }
  const row = async (id: string) => (await srv.sql(`select plan_id as "planId", billing_interval as interval, billing_anchor_ms as anchor from accounts where id = ?`, id))[0];
  const invoicesOf = async (id: string) => {
    const invoices = await srv.sql<{ id: string; kind: string; total: number; fromMs: number; toMs: number; dedupeKey: string }>(
      `select id, kind, total_minor as total, period_start_ms as "fromMs", period_end_ms as "toMs", dedupe_key as "dedupeKey" from invoices where account_id = ? order by created_at_ms, number`,
      id,
    );
    // Lines in the order they were written, as the invoice queries read them.
    const order = srv.dialect === "pg" ? "ctid" : "rowid";
    return Promise.all(invoices.map(async (inv) => ({ ...inv, lines: await srv.sql(`select kind, description, amount_minor as amount from invoice_lines where invoice_id = ? order by ${order}`, inv.id) })));
  };
  /** What the meter enforces for the account now (read ahead first, as on PostgreSQL every caller does). */
  const limitsOf = async (accountId: string) => {
    await srv.deps.meter.prepare(accountId);
    return srv.deps.meter.limitsFor(accountId);
  };
  const balanceOf = (id: string) => inTransaction(srv.deps.db, () => creditBalanceInTx(id));

  describe("switching interval: charged at once, the billing date moves to the change", () => {
    it("month → year: the unused month credited, the full yearly price charged now, a year from today next", async () => {
      // Pro monthly from 1 Nov; on 16 Nov half of the 30-day month is left: $24.50 of $49.00 unused.
      const id = await account("pro");
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro", interval: "year" });
      expect(q).toMatchObject({
        fromInterval: "month",
        toInterval: "year",
        timing: "now",
        creditMinor: -2450,
        chargeMinor: 44100,
        amountDueNowMinor: 41650,
        recurringMinor: 44100,
        effectiveAtMs: utc("2026-11-16T00:00:00Z"),
        recurringFromMs: utc("2027-11-16T00:00:00Z"),
      });
      expect(q.consentText).toBe(
        "I authorise a charge of $416.50 now and $441.00 every year from 16 Nov 2027 until I cancel, for the Pro plan, billed yearly. " +
          "My billing date moves to 16 Nov 2026: $441.00 for the first year is charged today, less $24.50 for the unused time of my monthly price.",
      );

      const done = await confirmPlanChange(srv.deps.billing, id, confirmationFor(q), who);
      expect(done).toMatchObject({ status: "applied", fromInterval: "month", toInterval: "year", periodMoved: true, amountDueNowMinor: 41650 });
      expect((await row(id))).toEqual({ planId: "pro", interval: "year", anchor: utc("2026-11-16T00:00:00Z") });
      // The plan did not change: it has not "started" again (the usage page would say calls before were on another plan's caps).
      expect((await srv.value("select plan_started_at_ms from accounts where id = ?", id))).toBeNull();
      expect((await invoicesOf(id))).toMatchObject([
        {
          kind: "proration",
          total: 41650,
          lines: [
            { kind: "proration_credit", amount: -2450, description: "Unused time on Pro plan (monthly) (16 Nov 2026 – 30 Nov 2026)" },
            { kind: "plan", amount: 44100, description: "Pro plan (yearly), 16 Nov 2026 – 15 Nov 2027" },
          ],
        },
      ]);
      // The billing period is now a year from the change; Pro's quota still starts over each month of it.
      const overview = await billingOverview(srv.deps.db, srv.deps.catalog, id, clock.now());
      expect(overview.interval).toBe("year");
      expect(overview.period).toEqual({ startMs: utc("2026-11-16T00:00:00Z"), endMs: utc("2027-11-16T00:00:00Z") });
      expect((await limitsOf(id)).period).toEqual({ startMs: utc("2026-11-16T00:00:00Z"), endMs: utc("2026-12-16T00:00:00Z") });
    });

    it("year → month: the unused year credited, the month charged from it, the rest kept on the balance for the next invoices", async () => {
      const id = await account("pro", { anchor: utc("2026-11-16T00:00:00Z"), interval: "year" });
      // Three months in: 273 of the year's 365 days are left, $329.84 of $441.00 unused.
      clock.set(utc("2027-02-16T00:00:00Z"));
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter", interval: "month" });
      expect(q).toMatchObject({
        fromInterval: "year",
        toInterval: "month",
        timing: "now",
        creditMinor: -32984,
        chargeMinor: 2900,
        amountDueNowMinor: 0,
        recurringMinor: 2900,
        recurringFromMs: utc("2027-03-16T00:00:00Z"),
      });
      expect(q.consentText).toBe(
        "I agree to switch to the Starter plan now, billed monthly, at $29.00 every month from 16 Mar 2027 until I cancel. " +
          "My billing date moves to 16 Feb 2027: $29.00 for the first month is charged today, less $329.84 for the unused time of my yearly price, and the remaining $300.84 stays as credit on my balance for my next invoices.",
      );
      await confirmPlanChange(srv.deps.billing, id, confirmationFor(q), who);
      expect((await row(id))).toEqual({ planId: "starter", interval: "month", anchor: utc("2027-02-16T00:00:00Z") });
      expect(await balanceOf(id)).toBe(30084);

      // The next monthly invoice is paid from the balance.
      clock.set(utc("2027-03-16T00:00:01Z"));
      await runBillingCycle(srv.deps.billing);
      const period = (await invoicesOf(id)).filter((i) => i.kind === "period");
      expect(period).toMatchObject([
        {
          total: 0,
          fromMs: utc("2027-03-16T00:00:00Z"),
          lines: [
            { kind: "plan", amount: 2900 },
            { kind: "balance", amount: -2900, description: "Credit from your balance" },
          ],
        },
      ]);
      expect(await balanceOf(id)).toBe(30084 - 2900);
    });

    it("the usage of the window the change cut short is billed with the first window after it", async () => {
      const id = await account("pro");
      await srv.sql("update accounts set overage_opt_in = ? where id = ?", srv.dialect === "pg" ? true : 1, id);
      // 11,200 calls in November before the switch: 1,200 over Pro's 10,000, never invoiced by a month end.
      await srv.sql("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 11200, 0, 0, 0, 100)", utc("2026-11-05T00:00:00Z"), id);
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro", interval: "year" });
      await confirmPlanChange(srv.deps.billing, id, confirmationFor(q), who);
      clock.set(utc("2026-12-16T00:00:01Z"));
      await runBillingCycle(srv.deps.billing);
      expect((await invoicesOf(id)).filter((i) => i.kind === "period")).toMatchObject([
        {
          dedupeKey: `usage:${id}:${utc("2026-12-16T00:00:00Z")}`,
          total: 600,
          lines: [{ kind: "overage", amount: 600, description: "Pro: 1,200 calls over the 10,000 quota at $3.00 per 1,000, 1 Nov 2026 – 15 Nov 2026" }],
        },
      ]);
    });

    it("same interval keeps today's rule: a yearly upgrade is prorated over the year, a yearly downgrade waits for the year's end", async () => {
      const id = await account("starter", { anchor: utc("2026-05-16T00:00:00Z"), interval: "year" });
      // 181 of 365 days left (16 Nov 2026 → 16 May 2027).
      const up = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      expect(up).toMatchObject({ toInterval: "year", timing: "now", creditMinor: -Math.round((29000 * 181) / 365), chargeMinor: Math.round((199000 * 181) / 365), recurringFromMs: utc("2027-05-16T00:00:00Z") });
      expect(up.consentText).toMatch(/ every year from 16 May 2027 until I cancel, for the Business plan\.$/);

      const big = await account("business", { anchor: utc("2026-05-16T00:00:00Z"), interval: "year" });
      const down = await previewPlanChange(srv.deps.billing, { accountId: big, toPlanId: "starter" });
      expect(down).toMatchObject({ toInterval: "year", timing: "period_end", amountDueNowMinor: 0, effectiveAtMs: utc("2027-05-16T00:00:00Z") });
      expect(down.consentText).toBe("I agree to switch from the Business plan to the Starter plan on 16 May 2027, at $290.00 every year from then until I cancel. Nothing is charged now.");
    });

    it("from Free to a yearly price: the full year now, the billing date from the change", async () => {
      const id = await account("free", { anchor: utc("2026-10-20T00:00:00Z") });
      clock.set(utc("2026-11-16T09:30:00Z"));
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business", interval: "year" });
      expect(q).toMatchObject({ creditMinor: 0, chargeMinor: 199000, amountDueNowMinor: 199000, recurringFromMs: utc("2027-11-16T09:30:00Z") });
      expect(q.consentText).toMatch(/^I authorise a charge of \$1,990\.00 now and \$1,990\.00 every year from 16 Nov 2027 until I cancel, for the Business plan, billed yearly\. My billing date moves to 16 Nov 2026: /);
    });

    it("refuses an interval the plan is not sold in, and the plan and interval the account already has", async () => {
      const id = await account("starter");
      await expect(previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "enterprise", interval: "year" })).rejects.toThrow(new DomainError("BAD_INPUT", "The Enterprise plan is not sold yearly."));
      await expect(previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter", interval: "month" })).rejects.toThrow(/already on the Starter plan/);
      // Without an interval, a plan sold monthly only is offered monthly to a yearly account.
      const yearly = await account("starter", { interval: "year" });
      expect(await previewPlanChange(srv.deps.billing, { accountId: yearly, toPlanId: "enterprise" })).toMatchObject({ toInterval: "month", timing: "now" });
    });
  });

  describe("the billing calendar of a yearly account", () => {
    it("issues one invoice a year for the plan, where a monthly account gets twelve", async () => {
      const anchor = utc("2026-11-16T00:00:00Z");
      const yearly = await account("starter", { anchor, interval: "year" });
      const monthly = await account("starter", { anchor });
      for (let m = 0; m <= 12; m++) {
        clock.set(new Date(Date.UTC(2026, 10 + m, 16, 0, 0, 1)).getTime());
        await runBillingCycle(srv.deps.billing);
        await runBillingCycle(srv.deps.billing);
      }
      expect((await invoicesOf(yearly))).toMatchObject([
        { kind: "period", total: 29000, fromMs: utc("2027-11-16T00:00:00Z"), toMs: utc("2028-11-16T00:00:00Z"), lines: [{ kind: "plan", amount: 29000, description: "Starter plan (yearly), 16 Nov 2027 – 15 Nov 2028" }] },
      ]);
      expect((await invoicesOf(monthly))).toHaveLength(12);
    });

    it("a monthly quota on a yearly price bills its overage when each month ends; a yearly quota at the year's end", async () => {
      const useDay = (id: string, day: string, calls: number) =>
        srv.sql("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, 0, 0, 0, 100)", utc(day), id, calls);
      const id = await account("pro", { anchor: utc("2026-11-01T00:00:00Z"), interval: "year" });
      await srv.sql("update accounts set overage_opt_in = ? where id = ?", srv.dialect === "pg" ? true : 1, id);
      await useDay(id, "2026-11-10T00:00:00Z", 12_500);
      clock.set(utc("2026-12-01T00:00:01Z"));
      await runBillingCycle(srv.deps.billing);
      await runBillingCycle(srv.deps.billing);
      expect((await invoicesOf(id))).toMatchObject([
        {
          kind: "period",
          total: 900,
          fromMs: utc("2026-11-01T00:00:00Z"),
          toMs: utc("2026-12-01T00:00:00Z"),
          dedupeKey: `usage:${id}:${utc("2026-12-01T00:00:00Z")}`,
          lines: [{ kind: "overage", amount: 900, description: "Pro: 2,500 calls over the 10,000 quota at $3.00 per 1,000, 1 Nov 2026 – 30 Nov 2026" }],
        },
      ]);
    });
  });

  describe("the billing calendar with a yearly quota", () => {
    beforeEach(async () => {
      await srv.stop();
      await start("yearly");
    });

    it("counts the year's calls against twelve months' quota and bills what went over once, when the year ends", async () => {
      const useDay = (id: string, day: string, calls: number) =>
        srv.sql("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, 0, 0, 0, 100)", utc(day), id, calls);
      const id = await account("pro", { anchor: utc("2026-11-01T00:00:00Z"), interval: "year" });
      await srv.sql("update accounts set overage_opt_in = ? where id = ?", srv.dialect === "pg" ? true : 1, id);
      for (let m = 0; m < 12; m++) await useDay(id, new Date(Date.UTC(2026, 10 + m, 10)).toISOString(), 10_500);
      for (let m = 1; m <= 12; m++) {
        clock.set(new Date(Date.UTC(2026, 10 + m, 1, 0, 0, 1)).getTime());
        await runBillingCycle(srv.deps.billing);
      }
      // 126,000 calls against 120,000: 6,000 over, $18.00, on the invoice that opens the next year.
      expect((await invoicesOf(id))).toMatchObject([
        {
          fromMs: utc("2027-11-01T00:00:00Z"),
          total: 44100 + 1800,
          lines: [
            { kind: "plan", amount: 44100 },
            { kind: "overage", amount: 1800, description: "Pro: 6,000 calls over the 120,000 quota at $3.00 per 1,000, 1 Nov 2026 – 31 Oct 2027" },
          ],
        },
      ]);
    });
  });
});
