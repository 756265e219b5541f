import { demoCatalog } from "../../shared/testing/demo-catalog";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeSwitch, type SwitchAdvice } from "../../shared/recommend";
import { createSignInLink } from "../auth/sign-in";
import { backfillBillingCycles } from "../billing/billing-cycle";
import { DEMO_ACCOUNTS, DEMO_HISTORY_DAYS, seedDemo } from "../demo/seed-demo";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { PortalClient } from "../testing/portal-client";
import { DIALECTS, cookieFrom, startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";
import type { PlanComparisonView } from "./plan-advisor";

/**
 * One answer per account: for every demo account, the plan recommended and its estimated monthly
 * cost read the same in the portal's Plans page, its banner, the provider's banner route, the
 * e-mail and the webhook of its notice, the 429's upgrade link and the console's shadow audit.
 */

const START = Date.parse("2026-11-25T15:30:00Z");
const clock = new ManualClock(START);
const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };
let srv: TestServer;
let operatorCookie: string;

type WireAdvice = { planId: string; monthlyCostMinor: number; currency: string } | null;
interface Banner {
  noticeId: string;
  choices: Array<{ kind: string; label: string; detail: string; url: string | null }>;
  recommended: WireAdvice;
}

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeAll(async () => {
    clock.set(START);
    // Notices also go to the provider's webhook (queued in the outbox; nothing listens).
    srv = await startTestServer({ dialect, clock, env: { NOTIFY_WEBHOOK_URL: "http://127.0.0.1:9/hooks", NOTIFY_WEBHOOK_SECRET: "whsec-same-numbers-0123456789" } });
    await seedDemo(srv.deps.db, demoCatalog, clock);
    await backfillBillingCycles(srv.deps.billing, DEMO_HISTORY_DAYS);
    await srv.deps.detector.evaluate(DEMO_ACCOUNTS.map((a) => a.id));
    const link = await createSignInLink(srv.deps.db, clock, { role: "operator" });
    operatorCookie = cookieFrom(await fetch(`${srv.url}/auth/link?token=${link.token}`, { redirect: "manual" }));
    // The demo's 30 days, its billing history and its notices: a few seconds on PostgreSQL.
  }, 60_000);
  afterAll(() => srv.stop());

  const adviceOf = (a: SwitchAdvice | null | undefined): WireAdvice => (a && a.monthlyCostMinor !== undefined ? { planId: a.planId, monthlyCostMinor: a.monthlyCostMinor, currency: a.currency! } : null);

  async function shadowAuditRows() {
    const res = await fetch(`${srv.url}/trpc/operator.shadowAudit?input=${encodeURIComponent(JSON.stringify({}))}`, { headers: { cookie: operatorCookie } });
    const body = (await res.json()) as { result: { data: { rows: Array<{ accountId: string; recommended: { planId: string; monthlyCostMinor: number; currency: string } | null }> } } };
    return new Map(body.result.data.rows.map((r) => [r.accountId, r.recommended]));
  }

  describe("the same numbers on every surface", () => {
    it("every demo account reads one plan at one estimated monthly cost, wherever it is named", async () => {
      const audit = await shadowAuditRows();
      const seen: Record<string, WireAdvice> = {};
      const links: string[] = [];
      for (const demo of DEMO_ACCOUNTS) {
        const customer = await PortalClient.signIn(srv, demo.id);
        const compare = (await customer.query<PlanComparisonView>("plans.compare")).data!;
        const expected = adviceOf(compare.switchTo);
        seen[demo.id] = expected;
        // The switch offered is the Plans page's recommendation whenever that is not the current plan.
        if (compare.recommendation && compare.recommendation.planId !== compare.currentPlanId) {
          expect(expected, demo.id).toEqual({ planId: compare.recommendation.planId, monthlyCostMinor: compare.recommendation.monthlyCostMinor, currency: compare.recommendation.currency });
        } else expect(expected, demo.id).toBeNull();

        // Portal banner and the provider's banner route.
        const banner = (await customer.query<Banner | null>("notices.banner")).data ?? null;
        const v1 = ((await (await fetch(`${srv.url}/v1/accounts/${demo.id}/banner`, { headers: auth })).json()) as { banner: Banner | null }).banner;
        for (const b of [banner, v1]) {
          if (!b) continue;
          expect(b.recommended ? { planId: b.recommended.planId, monthlyCostMinor: b.recommended.monthlyCostMinor, currency: b.recommended.currency } : null, `${demo.id} banner`).toEqual(expected);
          const upgrade = b.choices.find((c) => c.kind === "upgrade");
          if (expected) {
            expect(upgrade?.detail, `${demo.id} banner words`).toBe(describeSwitch(compare.switchTo!));
            expect(new URL(upgrade!.url!).searchParams.get("to")).toBe(expected.planId);
          } else expect(upgrade, `${demo.id} banner offers no switch`).toBeUndefined();
        }

        // The e-mail and the webhook of the account's cap notices (written when they were raised, from the same data).
        const messages = await srv.sql<{ channel: string; payload_json: string }>(
          "select o.channel, o.payload_json from outbox o join notices n on n.id = o.notice_id where n.account_id = ? and n.kind in ('approaching', 'reached', 'sustained', 'enforcement_scheduled')",
          demo.id,
        );
        for (const m of messages) {
          const payload = JSON.parse(m.payload_json) as { text?: string; notice?: { facts: { recommended: SwitchAdvice | null } } };
          if (m.channel === "email") {
            if (expected) expect(payload.text, `${demo.id} e-mail`).toContain(describeSwitch(compare.switchTo!));
            else expect(payload.text, `${demo.id} e-mail`).not.toContain("Switch to");
          } else expect(adviceOf(payload.notice!.facts.recommended), `${demo.id} webhook`).toEqual(expected);
        }

        // The 429's upgrade link (the /v1/check answer carries it whenever the account is over a cap).
        const key = (await createKey(srv.deps.db, clock, { accountId: demo.id, name: "same numbers" })).key;
        const check = (await (await fetch(`${srv.url}/v1/check`, { method: "POST", headers: auth, body: JSON.stringify({ key, cost: 1 }) })).json()) as { upgradeUrl: string | null };
        const to = check.upgradeUrl ? new URL(check.upgradeUrl).searchParams.get("to") : null;
        if (to !== null) {
          expect(to, `${demo.id} 429 link`).toBe(expected?.planId);
          links.push(demo.id);
        }

        // The console's shadow audit, for the accounts it lists.
        if (audit.has(demo.id)) {
          const row = audit.get(demo.id)!;
          expect(row ? { planId: row.planId, monthlyCostMinor: row.monthlyCostMinor, currency: row.currency } : null, `${demo.id} shadow audit`).toEqual(expected);
        }
      }

      // The accounts over a cap right now carry the link.
      expect(links).toEqual(expect.arrayContaining(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf"]));
      // The accounts the issue was about, by name.
      expect(seen.acc_demo_acme).toEqual({ planId: "business", monthlyCostMinor: 19_900, currency: "USD" });
      // Copperleaf: Pro is the cheaper fit, at its price plus overage — never "$49.00" alone.
      expect(seen.acc_demo_copperleaf?.planId).toBe("pro");
      expect(seen.acc_demo_copperleaf!.monthlyCostMinor).toBeGreaterThan(4_900);
      expect(seen.acc_demo_copperleaf!.monthlyCostMinor).toBeLessThan(19_900);
      // Evergreen, on Free and about to pass its quota, is offered a plan.
      expect(seen.acc_demo_evergreen?.planId).toBe("starter");
    });

    it("one burst minute does not move Acme's advice: banner, Plans page and wizard still say Business at $199.00", async () => {
      const key = (await createKey(srv.deps.db, clock, { accountId: "acc_demo_acme", name: "burst" })).key;
      clock.advance(5 * 60_000);
      // 812 calls in one minute, against Business's 300/min.
      const burst = await fetch(`${srv.url}/v1/check`, { method: "POST", headers: auth, body: JSON.stringify({ key, cost: 812 }) });
      expect(((await burst.json()) as { allowed: boolean }).allowed).toBe(true);
      await srv.deps.meter.flushNow();
      await srv.deps.detector.settled();
      const customer = await PortalClient.signIn(srv, "acc_demo_acme");
      const compare = (await customer.query<PlanComparisonView>("plans.compare")).data!;
      expect(compare.peaks.minute).toBe(812);
      expect(compare.recommendation).toMatchObject({ planId: "business", monthlyCostMinor: 19_900 });
      expect(compare.verdicts.find((v) => v.planId === "business")).toMatchObject({ kind: "fits", label: "fits, except one day" });
      const banner = (await customer.query<Banner | null>("notices.banner")).data!;
      expect(banner.recommended).toMatchObject({ planId: "business", monthlyCostMinor: 19_900 });
    });
  });
});
