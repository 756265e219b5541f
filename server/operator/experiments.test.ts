import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import { DAY_MS } from "../../shared/limits";
import { createSignInLink } from "../auth/sign-in";
import { backfillBillingCycles } from "../billing/billing-cycle";
import { DEMO_HISTORY_DAYS, seedDemo } from "../demo/seed-demo";
import { ManualClock } from "../lib/clock";
import { PortalClient } from "../testing/portal-client";
import { DIALECTS, cookieFrom, startTestServer, type TestServer } from "../testing/test-server";
import type { ExperimentInput, ExperimentReport, RollbackPreview } from "./experiments";

const clock = new ManualClock(Date.parse("2026-11-25T15:30:00Z"));
let srv: TestServer;
let operatorCookie: string;

async function call<T = unknown>(path: string, input?: unknown, mutation = false) {
  const url = `${srv.url}/trpc/operator.${path}${!mutation && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : ""}`;
  const res = await fetch(url, {
    method: mutation ? "POST" : "GET",
    headers: { cookie: operatorCookie, ...(mutation ? { "content-type": "application/json", origin: srv.url } : {}) },
    body: mutation ? JSON.stringify(input ?? {}) : undefined,
  });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string; data: { code: string } } };
  return { status: res.status, data: body.result?.data as T, error: body.error };
}

const draft = (over: Partial<ExperimentInput> = {}): ExperimentInput => ({
  name: "All accounts",
  hypothesis: "Usage-based plans hold up for everyone.",
  startMs: clock.now() + 7 * DAY_MS,
  durationDays: 30,
  cohort: { kind: "all" },
  minSample: 100,
  targetSample: 500,
  confidencePct: 95,
  criteria: [{ kind: "success", metric: "upgrade_rate", comparison: "gt", threshold: 0.15, afterDays: null }],
  phases: [],
  ...over,
});

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeAll(async () => {
    srv = await startTestServer({ dialect, clock });
    await seedDemo(srv.deps.db, demoCatalog, clock);
    await backfillBillingCycles(srv.deps.billing, DEMO_HISTORY_DAYS);
    await srv.deps.detector.evaluate(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf"]);
    const link = await createSignInLink(srv.deps.db, clock, { role: "operator" });
    operatorCookie = cookieFrom(await fetch(`${srv.url}/auth/link?token=${link.token}`, { redirect: "manual" }));
    // The demo's 30 days and billing history: a few seconds on PostgreSQL.
  }, 60_000);
  afterAll(() => srv.stop());

  describe("the demo's experiment", () => {
    it("is seeded running on the ten beta accounts, with calls per day decided and the rest not yet", async () => {
      const { data: r } = await call<ExperimentReport>("experiment", {});
      expect(r.experiment).toMatchObject({ name: "Usage-based plans", state: "running", editable: false, cohortSize: 10, minSample: 100, targetSample: 500, confidence: 0.95 });
      expect(r.scorecard.day).toBe(14);
      expect(r.scorecard.currentPhase).toBe("Testing with 10 beta customers");
      const calls = r.scorecard.criteria.find((c) => c.metric === "calls_per_day")!;
      expect(calls).toMatchObject({ verdict: "met", n: 13 });
      expect(calls.interval!.low).toBeGreaterThan(100);
      const nps = r.scorecard.criteria.find((c) => c.metric === "nps")!;
      expect(nps).toMatchObject({ verdict: "undecided", reason: "too_few", n: 0, needed: null });
      const revenueFloor = r.scorecard.criteria.find((c) => c.metric === "api_revenue" && c.kind === "failure")!;
      expect(revenueFloor).toMatchObject({ verdict: "undecided", reason: "waiting_for_day" });
      // Ten accounts, under the 100 the experiment needs: it cannot succeed yet.
      expect(r.scorecard.sample).toEqual({ apiUsers: 10, min: 100, target: 500 });
      expect(r.scorecard.overall.verdict).toBe("inconclusive");
      expect(r.scorecard.overall.rule).toMatch(/^Failing as soon as any failure criterion is met at 95% confidence/);
      expect(r.scorecard.series).toHaveLength(14);
      // Ionic's bill more than doubled in the window: a guardrail broke, so the rollback plan is advised.
      expect(r.scorecard.guardrails.find((g) => g.id === "bill_doubled")).toMatchObject({ broken: true, accountIds: ["acc_demo_ionic"] });
      expect(r.scorecard.rollbackAdvised).toBe(true);
      expect(r.events.map((e) => e.kind)).toEqual(["created"]);
    });

    it("cannot be edited once started, and refuses a second active experiment", async () => {
      const { data: r } = await call<ExperimentReport>("experiment", {});
      const edit = await call("editExperiment", { id: r.experiment.id, definition: draft() }, true);
      expect(edit.status).toBe(412);
      expect(edit.error!.message).toMatch(/its definition is fixed/);
      const second = await call("createExperiment", draft(), true);
      expect(second.status).toBe(409);
      expect(second.error!.message).toMatch(/“Usage-based plans” is active/);
    });

    it("previews a rollback action without running it, and runs it only on the accounts its preview named", async () => {
      const { data: r } = await call<ExperimentReport>("experiment", {});
      const auditBefore = (await call<unknown[]>("audit", {})).data.length;
      const { data: preview } = await call<RollbackPreview>("previewRollback", { experimentId: r.experiment.id, action: "grandfather_free" });
      expect(preview.nothingToDo).toBe(false);
      // Every paying beta account (two are on Free).
      expect(preview.accounts.map((a) => a.id).sort()).toEqual(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf", "acc_demo_dovetail", "acc_demo_granite", "acc_demo_harbor", "acc_demo_ionic", "acc_demo_juniper"]);
      const refund = await call<RollbackPreview>("previewRollback", { experimentId: r.experiment.id, action: "refund_affected" });
      expect(refund.data.accounts).toEqual([expect.objectContaining({ id: "acc_demo_ionic", detail: expect.stringMatching(/refund \$10,361\.33$/) })]);
      expect((await call<unknown[]>("audit", {})).data.length).toBe(auditBefore);
      expect((await call<{ paused: boolean }>("billingStatus")).data.paused).toBe(false);

      const unconfirmed = await call("runRollback", { experimentId: r.experiment.id, action: "grandfather_free", accountIds: preview.accounts.map((a) => a.id), confirm: false }, true);
      expect(unconfirmed.status).toBe(400);
      const stale = await call("runRollback", { experimentId: r.experiment.id, action: "grandfather_free", accountIds: ["acc_demo_acme"], confirm: true }, true);
      expect(stale.status).toBe(409);
      const ran = await call<{ accounts: number }>("runRollback", { experimentId: r.experiment.id, action: "grandfather_free", accountIds: preview.accounts.map((a) => a.id), confirm: true }, true);
      expect(ran.data.accounts).toBe(8);
      const acme = await call<{ account: { grandfatheredUntilMs: number } }>("account", { accountId: "acc_demo_acme" });
      expect(acme.data.account.grandfatheredUntilMs).toBeGreaterThan(clock.now() + 29 * DAY_MS);
      const after = await call<ExperimentReport>("experiment", {});
      expect(after.data.events.at(-1)).toMatchObject({ kind: "rollback.grandfather_free", actor: "operator" });
      const audit = (await call<Array<{ action: string }>>("audit", { action: "experiment." })).data;
      expect(audit.map((a) => a.action)).toContain("experiment.rollback");
      // Covered now: the same action has nothing left to do.
      expect((await call<RollbackPreview>("previewRollback", { experimentId: r.experiment.id, action: "grandfather_free" })).data.nothingToDo).toBe(true);
    });

    it("refunds the flagged invoice once, offers the opt-out and pauses billing, each through the console's own verbs", async () => {
      const { data: r } = await call<ExperimentReport>("experiment", {});
      const run = async (action: string) => {
        const { data: preview } = await call<RollbackPreview>("previewRollback", { experimentId: r.experiment.id, action });
        return call<{ accounts: number; result: Record<string, unknown> }>("runRollback", { experimentId: r.experiment.id, action, accountIds: preview.accounts.map((a) => a.id), confirm: true }, true);
      };
      const refund = await run("refund_affected");
      expect(refund.status).toBe(200);
      const ionic = await call<{ billing: { invoices: Array<{ kind: string; totalMinor: number }> } }>("account", { accountId: "acc_demo_ionic" });
      expect(ionic.data.billing.invoices.filter((i) => i.kind === "credit_note").map((i) => i.totalMinor)).toEqual([-1_036_133]);
      // Refunded in full: nothing is left to refund.
      expect((await call<RollbackPreview>("previewRollback", { experimentId: r.experiment.id, action: "refund_affected" })).data.nothingToDo).toBe(true);

      const offer = await run("offer_opt_out");
      expect(offer.data.result).toEqual({ told: 8 });
      const paused = await run("pause_billing");
      expect(paused.data.result).toMatchObject({ paused: true });
      expect((await call<{ paused: boolean }>("billingStatus")).data.paused).toBe(true);
      const nothing = await run("pause_billing");
      expect(nothing.status).toBe(412);
      expect((await call("setBillingPaused", { paused: false }, true)).status).toBe(200);

      const { data: after } = await call<ExperimentReport>("experiment", {});
      expect(after.events.map((e) => e.kind)).toEqual(["created", "rollback.grandfather_free", "rollback.refund_affected", "rollback.offer_opt_out", "rollback.pause_billing"]);
      const actions = (await call<Array<{ action: string }>>("audit", {})).data.map((a) => a.action);
      for (const a of ["refund.issued", "experiment.opt_out_offered", "billing.paused"]) expect(actions).toContain(a);
    });

    it("after it ends, a new one can be created and edited until it starts, each edit in its trail", async () => {
      const { data: r } = await call<ExperimentReport>("experiment", {});
      expect((await call("endExperiment", { id: r.experiment.id }, true)).status).toBe(200);
      const bad = await call("createExperiment", draft({ criteria: [{ kind: "success", metric: "upgrade_rate", comparison: "gt", threshold: 15, afterDays: null }] }), true);
      expect(bad.status).toBe(400);
      expect(bad.error!.message).toMatch(/between 0 and 1/);
      const created = await call<{ id: string }>("createExperiment", draft(), true);
      expect(created.status).toBe(200);
      const edited = await call("editExperiment", { id: created.data.id, definition: draft({ minSample: 200 }) }, true);
      expect(edited.status).toBe(200);
      const { data: now } = await call<ExperimentReport>("experiment", {});
      expect(now.experiment).toMatchObject({ id: created.data.id, state: "scheduled", editable: true, minSample: 200 });
      expect(now.events.map((e) => [e.kind, e.details.changed ?? null])).toEqual([["created", null], ["edited", ["minSample"]]]);
      expect(now.scorecard.started).toBe(false);
      const list = await call<Array<{ id: string; state: string }>>("experiments");
      expect(list.data.map((e) => e.state)).toEqual(["scheduled", "ended"]);
    });

    it("refuses a customer", async () => {
      const customer = await PortalClient.signIn(srv, "acc_demo_acme");
      expect((await customer.query("operator.experiment", {})).status).toBe(403);
      expect((await customer.mutate("operator.createExperiment", draft())).status).toBe(403);
    });
  });
});
