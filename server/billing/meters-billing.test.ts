import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { confirmationFor } from "../../shared/consent";
import { parseCatalog } from "../../shared/catalog-file";
import { mcpBilledCatalog, mcpBilledCatalogFile } from "../../shared/testing/two-meter-catalog";
import { createAccount } from "../accounts/accounts";
import { ManualClock } from "../lib/clock";
import { startTestServer, type TestServer } from "../testing/test-server";
import { billingOverview } from "./billing-overview";
import { runBillingCycle } from "./billing-cycle";
import { confirmPlanChange, type Consenter } from "./plan-change";
import { previewOverageChange, previewPlanChange } from "./quote";

/**
 * Every meter billed, on a catalog of two meters ("calls", API calls, the default; "mcp", MCP tool
 * calls) where Starter bills MCP tool calls over its quota only, Business meters MCP tool calls only,
 * Pro bills both meters' overage and Enterprise meters both: the invoice, the billing page's estimate
 * and a quote bill what the Plans page estimates.
 */

const DAY = 86_400_000;
const utc = (s: string) => Date.parse(s);
const NOV = utc("2026-11-01T00:00:00Z");
const who: Consenter = { signedInAs: "ops@acme.example", ip: "127.0.0.1", userAgent: "vitest" };
let srv: TestServer;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(utc("2026-11-16T12:00:00Z"));
  srv = await startTestServer({ clock, catalog: mcpBilledCatalog });
});
afterEach(() => srv.stop());

async function account(planId: string, opts: { optIn?: boolean; interval?: "month" | "year" } = {}) {
  const id = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: `${Math.random()}@example.com`, planId }, { billingAnchorMs: NOV, billingInterval: opts.interval })).id;
  if (opts.optIn) srv.sqlite.prepare("update accounts set overage_opt_in = 1 where id = ?").run(id);
  return id;
}

/** `units` of `meter` on each of `days` UTC days from `fromMs` (the day rollup; each day's busiest minute `peak`). */
function usage(accountId: string, meter: string, units: number, fromMs: number, days = 1, peak = 10) {
  const insert = srv.sqlite.prepare("insert into usage_day (day_ms, account_id, meter, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, ?, 0, 0, 0, ?)");
  for (let d = 0; d < days; d++) insert.run(fromMs + d * DAY, accountId, meter, units, peak);
}

const invoiceLines = (accountId: string) =>
  srv.sqlite
    .prepare("select l.kind, l.description, l.quantity, l.amount_minor as amount from invoice_lines l join invoices i on i.id = l.invoice_id where i.account_id = ? and i.kind = 'period' order by l.rowid")
    .all(accountId) as Array<{ kind: string; description: string; quantity: number; amount: number }>;

describe("the period invoice bills every meter", () => {
  it("a line per meter billed, with its unit: overage over each meter's own quota, metered units of each", async () => {
    const pro = await account("pro", { optIn: true });
    usage(pro, "calls", 12_500, utc("2026-11-10T00:00:00Z"));
    usage(pro, "mcp", 3_200, utc("2026-11-10T00:00:00Z"));
    const starter = await account("starter", { optIn: true });
    usage(starter, "calls", 900, utc("2026-11-10T00:00:00Z"));
    usage(starter, "mcp", 4_100, utc("2026-11-10T00:00:00Z"));
    const starterOff = await account("starter");
    usage(starterOff, "mcp", 4_100, utc("2026-11-10T00:00:00Z"));
    const business = await account("business");
    usage(business, "calls", 4_000, utc("2026-11-10T00:00:00Z"));
    usage(business, "mcp", 4_321, utc("2026-11-10T00:00:00Z"));
    const enterprise = await account("enterprise");
    usage(enterprise, "calls", 30_000, utc("2026-11-10T00:00:00Z"));
    usage(enterprise, "mcp", 7_000, utc("2026-11-10T00:00:00Z"));

    clock.set(utc("2026-12-01T00:00:30Z"));
    await runBillingCycle(srv.deps.billing);
    const nov = "1 Nov 2026 – 30 Nov 2026";
    expect(invoiceLines(pro)).toEqual([
      { kind: "plan", description: "Pro plan, 1 Dec 2026 – 31 Dec 2026", quantity: 1, amount: 4_900 },
      // 2,500 over 10,000: three started thousands at $3.00; 1,200 over 2,000: two at $5.00.
      { kind: "overage", description: `Pro: 2,500 API calls over the 10,000 quota at $3.00 per 1,000, ${nov}`, quantity: 2_500, amount: 900 },
      { kind: "overage", description: `Pro: 1,200 MCP tool calls over the 2,000 quota at $5.00 per 1,000, ${nov}`, quantity: 1_200, amount: 1_000 },
    ]);
    // API calls are not billed on Starter; MCP tool calls over its 3,000 are, with the opt-in only.
    expect(invoiceLines(starter).slice(1)).toEqual([{ kind: "overage", description: `Starter: 1,100 MCP tool calls over the 3,000 quota at $4.00 per 1,000, ${nov}`, quantity: 1_100, amount: 800 }]);
    expect(invoiceLines(starterOff).map((l) => l.kind)).toEqual(["plan"]);
    // Every MCP tool call metered at $2.00 per 1,000, rounded to the nearest cent as Stripe does: $8.642 → $8.64.
    expect(invoiceLines(business).slice(1)).toEqual([{ kind: "metered", description: `Business: 4,321 MCP tool calls at $2.00 per 1,000, ${nov}`, quantity: 4_321, amount: 864 }]);
    expect(invoiceLines(enterprise).slice(1)).toEqual([
      { kind: "metered", description: `Enterprise: 30,000 API calls at $0.50 per 1,000, ${nov}`, quantity: 30_000, amount: 1_500 },
      { kind: "metered", description: `Enterprise: 7,000 MCP tool calls at $1.00 per 1,000, ${nov}`, quantity: 7_000, amount: 700 },
    ]);
    expect(srv.sqlite.prepare("select total_minor from invoices where account_id = ?").pluck().get(enterprise)).toBe(99_000 + 1_500 + 700);
  });

  it("each plan of the period bills its own meters for its own part of it", async () => {
    // Starter until 16 Nov (MCP tool calls over 3,000 billed), then Pro (its quotas counted from the switch).
    const id = await account("starter", { optIn: true });
    usage(id, "mcp", 3_500, utc("2026-11-10T00:00:00Z"));
    const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro" });
    expect((await confirmPlanChange(srv.deps.billing, id, confirmationFor(q), who)).status).toBe("applied");
    usage(id, "mcp", 2_500, utc("2026-11-20T00:00:00Z"));
    clock.set(utc("2026-12-01T00:00:30Z"));
    await runBillingCycle(srv.deps.billing);
    expect(invoiceLines(id).slice(1)).toEqual([
      { kind: "overage", description: "Starter: 500 MCP tool calls over the 3,000 quota at $4.00 per 1,000, 1 Nov 2026 – 16 Nov 2026", quantity: 500, amount: 400 },
      { kind: "overage", description: "Pro: 500 MCP tool calls over the 2,000 quota at $5.00 per 1,000, 16 Nov 2026 – 30 Nov 2026", quantity: 500, amount: 500 },
    ]);
  });
});

describe("a yearly price bills every meter per its quota window", () => {
  /** The catalog with Pro also sold by the year, its month caps applying per `yearlyQuota`. */
  async function yearlyPro(yearlyQuota: "monthly" | "yearly") {
    await srv.stop();
    const file = mcpBilledCatalogFile();
    const plans = file.plans.map((p) => (p.id === "pro" ? { ...p, price: { month: 4_900, year: 44_100 }, yearlyQuota } : p));
    srv = await startTestServer({ clock, catalog: parseCatalog({ ...file, plans }) });
    const id = await account("pro", { optIn: true, interval: "year" });
    usage(id, "calls", 100_000, utc("2027-01-10T00:00:00Z"));
    usage(id, "mcp", 25_000, utc("2027-01-10T00:00:00Z"));
    return id;
  }

  it("a yearly quota: each meter's twelve months' allowance, its overage billed when the year ends", async () => {
    const id = await yearlyPro("yearly");
    clock.set(utc("2027-11-01T00:00:30Z"));
    await runBillingCycle(srv.deps.billing);
    // 100,000 API calls are within 120,000 a year; 25,000 MCP tool calls are 1,000 over 24,000.
    expect(invoiceLines(id)).toEqual([
      { kind: "plan", description: "Pro plan (yearly), 1 Nov 2027 – 31 Oct 2028", quantity: 1, amount: 44_100 },
      { kind: "overage", description: "Pro: 1,000 MCP tool calls over the 24,000 quota at $5.00 per 1,000, 1 Nov 2026 – 31 Oct 2027", quantity: 1_000, amount: 500 },
    ]);
  });

  it("a quota that starts over each month: each meter's overage of the month, billed when the month ends", async () => {
    const id = await yearlyPro("monthly");
    clock.set(utc("2027-02-01T00:00:30Z"));
    await runBillingCycle(srv.deps.billing);
    const lines = srv.sqlite
      .prepare("select l.description, l.amount_minor as amount from invoice_lines l join invoices i on i.id = l.invoice_id where i.account_id = ? and i.dedupe_key like 'usage:%' order by l.rowid")
      .all(id);
    expect(lines).toEqual([
      { description: "Pro: 90,000 API calls over the 10,000 quota at $3.00 per 1,000, 1 Jan 2027 – 31 Jan 2027", amount: 27_000 },
      { description: "Pro: 23,000 MCP tool calls over the 2,000 quota at $5.00 per 1,000, 1 Jan 2027 – 31 Jan 2027", amount: 11_500 },
    ]);
  });
});

describe("the billing page and the quotes say what the Plans page estimates", () => {
  /** The last moment of November: the month at this rate is the month so far. */
  const END = utc("2026-11-30T23:59:00Z");

  it("the next invoice's estimate is the current plan's estimated cost, every meter's usage in it", async () => {
    const business = await account("business");
    usage(business, "calls", 100, NOV, 29);
    usage(business, "mcp", 150, NOV, 29);
    const pro = await account("pro", { optIn: true });
    usage(pro, "calls", 400, NOV, 29);
    usage(pro, "mcp", 80, NOV, 29);
    clock.set(END);

    for (const [id, planId] of [
      [business, "business"],
      [pro, "pro"],
    ] as const) {
      const overview = await billingOverview(srv.deps.db, srv.deps.catalog, id, clock.now());
      const verdict = (await srv.deps.advisor.compare(id))!.verdicts.find((v) => v.planId === planId)!;
      expect(overview.nextInvoice.totalMinor).toBe(verdict.monthlyCostMinor);
    }
    const overview = await billingOverview(srv.deps.db, srv.deps.catalog, business, clock.now());
    // 4,350 MCP tool calls at $2.00 per 1,000; API calls are not billed on Business.
    expect(overview.nextInvoice.lines.slice(1)).toEqual([{ kind: "metered", description: "Metered MCP tool calls so far this period (4,350 MCP tool calls, at $2.00 per 1,000)", quantity: 4_350, amountMinor: 870 }]);
    expect((await billingOverview(srv.deps.db, srv.deps.catalog, pro, clock.now())).nextInvoice.lines.slice(1)).toEqual([
      { kind: "overage", description: "API calls over the quota so far this period (11,600 API calls, at $3.00 per 1,000)", quantity: 11_600, amountMinor: 600 },
      { kind: "overage", description: "MCP tool calls over the quota so far this period (2,320 MCP tool calls, at $5.00 per 1,000)", quantity: 2_320, amountMinor: 500 },
    ]);
    expect(overview.plan.usage).toEqual([{ id: "mcp", noun: "MCP tool calls", billing: "metered", per1000Minor: 200, monthCap: null }]);
    expect(overview.overage).toMatchObject({ available: false });
  });

  it("a quote projects the estimate's whole usage charge, and its words name each metered meter", async () => {
    const id = await account("business");
    usage(id, "calls", 100, NOV, 29);
    usage(id, "mcp", 150, NOV, 29);
    clock.set(END);
    const compare = (await srv.deps.advisor.compare(id))!;
    const enterprise = compare.verdicts.find((v) => v.planId === "enterprise")!;
    // 2,900 API calls at $0.50 per 1,000 ($1.45) and 4,350 MCP tool calls at $1.00 per 1,000 ($4.35).
    expect(enterprise.usageMinor).toBe(145 + 435);
    const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "enterprise" });
    expect(q.estimatedMonthlyMinor).toBe(enterprise.monthlyCostMinor);
    expect(q.projectedMonthlyMinor).toBe(enterprise.monthlyCostMinor);
    expect(q.expectedOverageMinor).toBe(0);
    expect(q.consentText).toContain("All API calls are also billed at $0.50 per 1,000 and all MCP tool calls at $1.00 per 1,000 (about $5.80 a month at my current rate).");
  });

  it("a quote to a plan billing overage on both meters offers one opt-in naming each, and it lifts both month caps", async () => {
    const id = await account("starter");
    usage(id, "calls", 400, NOV, 29, 50);
    usage(id, "mcp", 80, NOV, 29, 5);
    clock.set(END);
    const pro = (await srv.deps.advisor.compare(id))!.verdicts.find((v) => v.planId === "pro")!;
    const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro" });
    // 11,600 API calls: 2 started thousands over 10,000 at $3.00; 2,320 MCP tool calls: 1 over 2,000 at $5.00.
    expect(q.expectedOverageMinor).toBe(600 + 500);
    expect(q.estimatedMonthlyMinor).toBe(pro.monthlyCostMinor);
    expect(q.projectedMonthlyMinor).toBe(4_900);
    expect(q.overageConsentText).toBe(
      "I also agree to overage billing on the Pro plan: API calls beyond 10,000 in a billing month are served and billed at $3.00 per 1,000, and MCP tool calls beyond 2,000 in a billing month at $5.00 per 1,000, with my monthly invoice, instead of being limited. At my current rate that is about $11.00 a month. I can turn this off at any time on the Billing page.",
    );
    const r = await confirmPlanChange(srv.deps.billing, id, confirmationFor(q, { overage: true }), who);
    expect(r.status).toBe("applied");
    expect(srv.deps.meter.limitsFor(id).limits.find((l) => l.window === "month")!.limit).toBeNull();
    expect(srv.deps.meter.limitsFor(id, "mcp").limits.find((l) => l.window === "month")!.limit).toBeNull();
  });

  it("the overage opt-in of a plan that bills it on another meter only: offered, in that meter's words", async () => {
    const id = await account("starter");
    usage(id, "mcp", 120, NOV, 29, 5);
    clock.set(END);
    const starter = (await srv.deps.advisor.compare(id))!.verdicts.find((v) => v.planId === "starter")!;
    const on = await previewOverageChange(srv.deps.billing, { accountId: id, optIn: true });
    // 3,480 MCP tool calls: 1 started thousand over 3,000 at $4.00.
    expect(on.expectedOverageMinor).toBe(400);
    expect(on.estimatedMonthlyMinor).toBe(starter.monthlyCostMinor);
    expect(on.consentText).toBe(
      "I agree to pay $4.00 per 1,000 MCP tool calls beyond 3,000 MCP tool calls in a billing month, billed with my monthly invoice, instead of having them limited. At my current rate that is about $4.00 a month. I can turn this off at any time.",
    );
    const r = await confirmPlanChange(srv.deps.billing, id, confirmationFor(on), who);
    expect(r.status).toBe("applied");
    expect(srv.deps.meter.limitsFor(id, "mcp").limits.find((l) => l.window === "month")!.limit).toBeNull();
    const overview = await billingOverview(srv.deps.db, srv.deps.catalog, id, clock.now());
    expect(overview.overage).toEqual({ available: true, optedIn: true, meters: [{ id: "mcp", noun: "MCP tool calls", billing: "overage", per1000Minor: 400, monthCap: 3_000 }] });
    expect(overview.nextInvoice.totalMinor).toBe(starter.monthlyCostMinor);

    const off = await previewOverageChange(srv.deps.billing, { accountId: id, optIn: false });
    expect(off.consentText).toBe("I agree that MCP tool calls beyond 3,000 in a billing month are limited again from now on, and no longer billed.");
  });
});

describe("a quote to a plan's new version projects the new terms", () => {
  it("the usage charge at the new version's prices, not at those of the version the account keeps", async () => {
    const id = await account("pro", { optIn: true });
    usage(id, "calls", 400, NOV, 29);
    usage(id, "mcp", 80, NOV, 29);
    // A restart on a file that raises Pro's overage prices: a version 2; the account keeps version 1.
    await srv.started.stop();
    const old = srv.dir;
    const file = mcpBilledCatalogFile();
    const raised = file.plans.map((p) => (p.id === "pro" ? { ...p, limits: { calls: { minute: 600, month: 10_000, overagePer1000Minor: 400 }, mcp: { minute: 100, month: 2_000, overagePer1000Minor: 600 } } } : p));
    srv = await startTestServer({ clock, catalog: parseCatalog({ ...file, plans: raised }), env: { DATABASE_PATH: srv.deps.config.DATABASE_PATH } });
    try {
      clock.set(utc("2026-11-30T23:59:00Z"));
      // What the account pays on version 1: 11,600 API calls, 2 started thousands over 10,000 at $3.00; 2,320 MCP tool calls, 1 over 2,000 at $5.00.
      expect((await srv.deps.advisor.compare(id))!.currentCostMinor).toBe(4_900 + 600 + 500);
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro" });
      expect(q.toPlanVersion).toBe(2);
      // Version 2's: $4.00 and $6.00.
      expect(q.expectedOverageMinor).toBe(800 + 600);
      expect(q.estimatedMonthlyMinor).toBe(4_900 + 1_400);
      expect(q.projectedMonthlyMinor).toBe(4_900 + 1_400);
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });
});
