import { demoCatalog } from "../../shared/testing/demo-catalog";
import { confirmationFor, type ShownQuote } from "../../shared/consent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backfillBillingCycles } from "../billing/billing-cycle";
import { DEMO_HISTORY_DAYS, seedDemo } from "../demo/seed-demo";
import { ManualClock } from "../lib/clock";
import { PortalClient } from "../testing/portal-client";
import { startTestServer, type TestServer } from "../testing/test-server";
import { createSignInLink } from "../auth/sign-in";
import { cookieFrom } from "../testing/test-server";
import { createAccount } from "../accounts/accounts";
import { createKey } from "../keys/keys";

const clock = new ManualClock(Date.parse("2026-11-25T15:30:00Z"));
let srv: TestServer;
let operatorCookie: string;

async function operatorCall(path: string, input?: unknown, mutation = false) {
  const url = `${srv.url}/trpc/${path}${!mutation && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : ""}`;
  const res = await fetch(url, {
    method: mutation ? "POST" : "GET",
    headers: { cookie: operatorCookie, ...(mutation ? { "content-type": "application/json", origin: srv.url } : {}) },
    body: mutation ? JSON.stringify(input ?? {}) : undefined,
  });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { message: string; data: { code: string } } };
  return { status: res.status, data: body.result?.data as never, error: body.error };
}

beforeAll(async () => {
  srv = await startTestServer({ clock });
  await seedDemo(srv.deps.db, demoCatalog, clock);
  await backfillBillingCycles(srv.deps.billing, DEMO_HISTORY_DAYS);
  await srv.deps.detector.evaluate(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf"]);
  const link = await createSignInLink(srv.deps.db, clock, { role: "operator" });
  operatorCookie = cookieFrom(await fetch(`${srv.url}/auth/link?token=${link.token}`, { redirect: "manual" }));
});
afterAll(() => srv.stop());

describe("operator procedures", () => {
  it("refuse a customer session with 403 on every one of them", async () => {
    const customer = await PortalClient.signIn(srv, "acc_demo_acme");
    const queries = ["accounts", "shadowAudit", "billingStatus", "approvals", "anomalies", "support", "metrics", "outbox", "audit", "invoices"];
    for (const q of queries) expect((await customer.query(`operator.${q}`, q === "anomalies" ? { includeAcknowledged: false } : q === "invoices" || q === "outbox" || q === "audit" || q === "metrics" || q === "shadowAudit" ? {} : undefined)).status).toBe(403);
    expect((await customer.query("operator.account", { accountId: "acc_demo_acme" })).status).toBe(403);
    expect((await customer.query("operator.enforcementReadiness", { planId: "starter" })).status).toBe(403);
    const mutations: Array<[string, unknown]> = [
      ["setEnforcement", { planId: "starter", mode: "enforce" }],
      ["grandfather", { accountIds: ["acc_demo_acme"], untilMs: clock.now() + 86_400_000 }],
      ["setBillingPaused", { paused: true }],
      ["refund", { invoiceId: "inv_x", reason: "test refund", requestId: "12345678" }],
      ["decideApproval", { requestId: "apr_x", approve: true }],
      ["acknowledgeAnomaly", { anomalyId: "anm_x" }],
      ["replySupport", { requestId: "sup_x", reply: "hello" }],
    ];
    for (const [m, input] of mutations) expect((await customer.mutate(`operator.${m}`, input)).status).toBe(403);
    // Nothing changed: Starter is still in shadow mode, billing not paused.
    expect(srv.deps.meter.standing("acc_demo_acme").mode).toBe("shadow");
  });

  it("the shadow audit lists the three over-cap Starter accounts with their peaks and a recommendation", async () => {
    const { data } = await operatorCall("operator.shadowAudit", { planId: "starter" });
    const rows = (data as { rows: Array<{ accountId: string; peakMinute: number; peakDay: number; wouldThrottle: number; daysOver: number; recommended: { planId: string; costDiffMinor: number } | null; notices: unknown[] }> }).rows;
    expect(rows.map((r) => r.accountId).sort()).toEqual(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf"]);
    const acme = rows.find((r) => r.accountId === "acc_demo_acme")!;
    expect(acme).toMatchObject({ peakMinute: 268, peakDay: 4016, daysOver: 7 }); // the default range: 7 UTC days, today included, each over the cap
    expect(acme.wouldThrottle).toBeGreaterThan(20_000);
    // The Plans page's recommendation: Business at $199.00 a month, against Starter's $29.00 at the same traffic.
    expect(acme.recommended).toEqual({ planId: "business", name: "Business", monthlyCostMinor: 19_900, currentCostMinor: 2_900, costDiffMinor: 17_000, currency: "USD" });
    expect(acme.notices.length).toBeGreaterThan(0);
  });

  it("counts the calls a day enforcement would refuse against the plan the account is on now, not the one it was on", async () => {
    // Six thousand calls a day for a week on Starter (5,000 of them would-throttle there), then a switch to Business.
    const acc = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Moved Up", email: "ops@moved-up.example", planId: "starter" });
    const keyId = (await createKey(srv.deps.db, clock, { accountId: acc.id, name: "k" })).id;
    const today = Date.parse("2026-11-25T00:00:00Z");
    const minute = srv.sqlite.prepare("insert into usage_minute (minute_ms, key_id, account_id, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, ?, ?, 0, 0)");
    const day = srv.sqlite.prepare("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 1000, 5000, 0, 0, 60)");
    for (let d = 1; d <= 7; d++) {
      const dayMs = today - d * 86_400_000;
      for (let m = 0; m < 100; m++) minute.run(dayMs + (600 + m) * 60_000, keyId, acc.id, m < 17 ? 60 : 0, m < 17 ? 0 : 60);
      day.run(dayMs, acc.id);
    }
    srv.sqlite.prepare("update accounts set plan_id = 'business', plan_started_at_ms = ? where id = ?").run(today, acc.id);
    srv.deps.meter.invalidateAccount(acc.id);
    const r = (await operatorCall("operator.enforcementReadiness", { planId: "business", accountIds: [acc.id] })).data as { wouldRefuse: Array<{ accountId: string }>; refusedCallsPerDay: number };
    expect(r.wouldRefuse.map((a) => a.accountId)).toEqual([acc.id]);
    // Business allows 5,000 a day: 1,000 a day over — not the 5,000 recorded as would-throttle under Starter.
    expect(r.refusedCallsPerDay).toBe(1_000);
  });

  it("shows readiness before a flip, then enforces, notifies every account that would be refused, and audits it", async () => {
    const before = (await operatorCall("operator.enforcementReadiness", { planId: "starter" })).data as { accounts: number; wouldRefuse: Array<{ accountId: string }>; refusedCallsPerDay: number };
    expect(before.accounts).toBe(4);
    expect(before.wouldRefuse.map((a) => a.accountId).sort()).toEqual(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf"]);
    expect(before.refusedCallsPerDay).toBeGreaterThan(4000);
    const flip = (await operatorCall("operator.setEnforcement", { planId: "starter", mode: "enforce" }, true)).data as { notified: number };
    expect(flip.notified).toBe(3);
    expect(srv.deps.meter.standing("acc_demo_acme").mode).toBe("enforce");
    const scheduled = srv.sqlite.prepare("select account_id from notices where kind = 'enforcement_scheduled' order by account_id").pluck().all();
    expect(scheduled).toEqual(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf"]);
    const audit = (await operatorCall("operator.audit", { action: "enforcement" })).data as Array<{ actor: string; details: { from: string; to: string } }>;
    expect(audit[0]).toMatchObject({ actor: "operator", details: { from: "shadow", to: "enforce" } });
    await operatorCall("operator.setEnforcement", { planId: "starter", mode: "shadow" }, true);
  });

  it("lets a cohort follow its plan again; a plan flip neither counts nor notifies accounts with their own mode", async () => {
    // A Starter account over its day cap that nobody has told yet.
    const acc = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Delta Follow", email: "ops@delta-follow.example", planId: "starter" });
    const key = (await createKey(srv.deps.db, clock, { accountId: acc.id, name: "k" })).key;
    for (let i = 0; i < 3; i++) srv.deps.meter.check(key, 500);
    srv.deps.meter.flush();
    await srv.deps.detector.settled();
    const mode = () => srv.deps.meter.standing(acc.id).mode;
    const scheduled = () => srv.sqlite.prepare("select count(*) from notices where kind = 'enforcement_scheduled' and account_id = ?").pluck().get(acc.id);

    // Its own mode: off. A plan-wide flip to enforce leaves it be: not counted, not told.
    await operatorCall("operator.setEnforcement", { planId: "starter", mode: "off", accountIds: [acc.id] }, true);
    const readiness = (await operatorCall("operator.enforcementReadiness", { planId: "starter" })).data as { wouldRefuse: Array<{ accountId: string }>; keepOwnMode: number };
    expect(readiness.keepOwnMode).toBe(1);
    expect(readiness.wouldRefuse.map((a) => a.accountId)).not.toContain(acc.id);
    await operatorCall("operator.setEnforcement", { planId: "starter", mode: "enforce" }, true);
    expect(mode()).toBe("off");
    expect(scheduled()).toBe(0);
    const listed = (await operatorCall("operator.accounts", undefined)).data as Array<{ id: string; enforcement: string; ownMode: boolean }>;
    expect(listed.find((a) => a.id === acc.id)).toMatchObject({ enforcement: "off", ownMode: true });

    // Following the plan again: the plan's mode (enforce) applies, so it is told when refusals may start.
    const followed = (await operatorCall("operator.setEnforcement", { planId: "starter", mode: "plan", accountIds: [acc.id] }, true)).data as { mode: string; followsPlan: boolean; notified: number };
    expect(followed).toMatchObject({ mode: "enforce", followsPlan: true, notified: 1 });
    expect(scheduled()).toBe(1);
    expect(mode()).toBe("enforce");
    expect(srv.sqlite.prepare("select enforcement_override from accounts where id = ?").pluck().get(acc.id)).toBeNull();
    const audit = (await operatorCall("operator.audit", { action: "enforcement" })).data as Array<{ details: { to: string } }>;
    expect(audit[0]!.details.to).toBe("the plan's (enforce)");

    // Only a cohort can follow its plan: the plan itself cannot.
    expect((await operatorCall("operator.setEnforcement", { planId: "starter", mode: "plan" }, true)).status).toBe(400);
    await operatorCall("operator.setEnforcement", { planId: "starter", mode: "shadow" }, true);
    expect(mode()).toBe("shadow");
  });

  it("grandfathers an account: no enforcement and no plan charge until the date", async () => {
    await operatorCall("operator.setEnforcement", { planId: "starter", mode: "enforce", accountIds: ["acc_demo_brightline"] }, true);
    expect(srv.deps.meter.standing("acc_demo_brightline").mode).toBe("enforce");
    const until = clock.now() + 30 * 86_400_000;
    expect((await operatorCall("operator.grandfather", { accountIds: ["acc_demo_brightline"], untilMs: until }, true)).status).toBe(200);
    expect(srv.deps.meter.standing("acc_demo_brightline").mode).toBe("shadow");
    const q = (await PortalClient.signIn(srv, "acc_demo_brightline")).mutate<{ consentText: string; creditMinor: number }>("billing.previewPlanChange", { toPlanId: "business" });
    const quote = (await q).data!;
    expect(quote.creditMinor).toBe(0);
    expect(quote.consentText).toContain("This ends the terms I keep until");
  });

  it("pauses billing (charges queued, visibly) and resumes it (collected)", async () => {
    expect(((await operatorCall("operator.setBillingPaused", { paused: true }, true)).data as { paused: boolean }).paused).toBe(true);
    const customer = await PortalClient.signIn(srv, "acc_demo_dovetail");
    const quote = (await customer.mutate<ShownQuote>("billing.previewPlanChange", { toPlanId: "business" })).data!;
    await customer.mutate("billing.confirm", confirmationFor(quote));
    expect(((await operatorCall("operator.billingStatus")).data as { queuedInvoices: number }).queuedInvoices).toBe(1);
    expect(((await operatorCall("operator.setBillingPaused", { paused: false }, true)).data as { collected: number }).collected).toBe(1);
  });

  it("refunds part of an invoice once, whatever the retries, and not beyond its total", async () => {
    const invoice = srv.sqlite.prepare("select id, total_minor from invoices where account_id = 'acc_demo_ionic' and kind = 'period' order by created_at_ms desc").get() as { id: string; total_minor: number };
    const body = { invoiceId: invoice.id, amountMinor: 10_000, reason: "Duplicate calls from our outage", requestId: "refund-request-1" };
    const a = await operatorCall("operator.refund", body, true);
    const b = await operatorCall("operator.refund", body, true);
    expect((a.data as { replayed: boolean }).replayed).toBe(false);
    expect((b.data as { replayed: boolean }).replayed).toBe(true);
    const notes = srv.sqlite.prepare("select total_minor from invoices where account_id = 'acc_demo_ionic' and kind = 'credit_note'").pluck().all();
    expect(notes).toEqual([-10_000]);
    const tooMuch = await operatorCall("operator.refund", { ...body, amountMinor: invoice.total_minor, requestId: "refund-request-2" }, true);
    expect(tooMuch.status).toBe(400);
  });

  it("queues a support request with a 4-hour clock; the reply reaches the customer", async () => {
    const customer = await PortalClient.signIn(srv, "acc_demo_acme");
    expect((await customer.mutate("support.create", { topic: "plan", message: "Which plan fits our nightly batch job?" })).status).toBe(200);
    clock.advance(5 * 3_600_000);
    const queue = (await operatorCall("operator.support")).data as Array<{ id: string; overdue: boolean; accountId: string }>;
    const mine = queue.find((r) => r.accountId === "acc_demo_acme")!;
    expect(mine.overdue).toBe(true);
    await operatorCall("operator.replySupport", { requestId: mine.id, reply: "Business fits: 300 calls a minute." }, true);
    const list = (await customer.query<Array<{ reply: string }>>("support.list")).data!;
    expect(list[0]!.reply).toBe("Business fits: 300 calls a minute.");
    expect((await operatorCall("operator.replySupport", { requestId: mine.id, reply: "again" }, true)).status).toBe(409);
  });

  it("reports the lifecycle funnel and the success measures", async () => {
    const m = (await operatorCall("operator.metrics", {})).data as { funnel: { notified: number; openedWizard: number; upgraded: number }; mrrMinor: number; callsPerDay: unknown[]; revenueMinor: number; churn: unknown };
    expect(m.funnel.notified).toBeGreaterThanOrEqual(3);
    expect(m.funnel.openedWizard).toBeGreaterThanOrEqual(1);
    expect(m.callsPerDay.length).toBeGreaterThan(25);
    expect(m.mrrMinor).toBeGreaterThan(0);
    expect(m.revenueMinor).toBeGreaterThan(0);
    // Churn by the scorecard's definition: the eight demo accounts that called in the 14 days before
    // the range (Evergreen and Fjord are younger) all keep calling.
    expect(m.churn).toEqual({ churned: 0, active: 8, rate: 0 });
  });
});
