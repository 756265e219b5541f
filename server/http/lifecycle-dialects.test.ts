import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmationFor, type ShownQuote } from "../../shared/consent";
import { ManualClock } from "../lib/clock";
import { PortalClient } from "../testing/portal-client";
import { startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";

/**
 * The lifecycle through a real server, once on SQLite and once on PostgreSQL (decision 0005): the
 * provider's backend creates an account and a key, meters calls (an id retried counts once; over the
 * cap the answer says so and names the plan that fits), reports events, and the customer reads the
 * usage page, compares plans, previews a switch and consents to it; the next call is decided on the
 * new plan, and the invoice is on the billing page. The same answers on both.
 */
const T0 = Date.parse("2026-11-25T14:00:00Z");
const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };

interface Check {
  allowed: boolean;
  decision: string;
  duplicate: boolean;
  limits: Array<{ window: string; used: number; limit: number | null }>;
  upgradeUrl?: string;
}

describe.each(["sqlite", "pg"] as const)("the lifecycle on %s", (dialect) => {
  let srv: TestServer;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    srv = await startTestServer({ clock, dialect });
  });
  afterAll(() => srv?.stop());

  const post = async <T>(path: string, body: unknown): Promise<{ status: number; json: T }> => {
    const res = await fetch(`${srv.url}${path}`, { method: "POST", headers: auth, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as T };
  };

  it("meters, warns, recommends, and switches plan with consent", async () => {
    const account = await post<{ id: string }>("/v1/accounts", { name: "Acme", email: "ops@acme.example", planId: "starter" });
    expect(account.status).toBe(201);
    const key = await post<{ key: string }>(`/v1/accounts/${account.json.id}/keys`, { name: "production" });
    expect(key.status).toBe(201);

    // Starter: 60 calls a minute, in shadow mode: the 61st is served and counted as would-throttle.
    const answers: Check[] = [];
    for (let i = 0; i < 61; i++) answers.push((await post<Check>("/v1/check", { key: key.json.key, cost: 1, id: `call-${i}` })).json);
    expect(answers.slice(0, 60).every((a) => a.allowed && a.decision === "allow")).toBe(true);
    expect(answers[60]).toMatchObject({ allowed: true, decision: "would_throttle", duplicate: false });
    expect(answers[60]!.limits.find((l) => l.window === "minute")).toMatchObject({ used: 61, limit: 60 });
    const retried = (await post<Check>("/v1/check", { key: key.json.key, cost: 1, id: "call-7" })).json;
    expect(retried).toMatchObject({ allowed: true, decision: "allow", duplicate: true });

    // Usage the backend served itself, each event once by its id.
    const events = await post<{ accepted: number; duplicates: number }>("/v1/events", {
      events: [
        { id: "e1", key: key.json.key, cost: 5, timestamp: new Date(T0 - 1_000).toISOString() },
        { id: "e2", key: key.json.key, cost: 5, timestamp: new Date(T0 - 1_000).toISOString() },
      ],
    });
    expect(events.status).toBe(200);
    expect(events.json).toMatchObject({ accepted: 2, duplicates: 0 });
    await srv.deps.meter.flushNow();
    const customer = await PortalClient.signIn(srv, account.json.id);
    const overview = await customer.query<{ meters: Array<{ limits: Array<{ window: string; used: number }> }> }>("usage.overview");
    expect(overview.status).toBe(200);
    expect(overview.data!.meters[0]!.limits.find((l) => l.window === "day")!.used).toBe(71);

    // Four more days, each over Starter's caps: the traffic has outgrown the plan.
    for (let day = 1; day <= 4; day++) {
      clock.advance(86_400_000);
      // 1,200 calls in ten minutes of 120: over Starter's minute and day caps, within a bigger plan's.
      const batch = Array.from({ length: 10 }, (_, k) => ({ id: `day-${day}-${k}`, key: key.json.key, cost: 120, timestamp: new Date(clock.now() - (k + 1) * 60_000).toISOString() }));
      const e = await post<{ accepted: number }>("/v1/events", { events: batch });
      expect(e.json.accepted).toBe(10);
      await srv.deps.meter.flushNow();
    }
    await srv.deps.detector.settled();
    // Four days later the first session has expired: signed in again.
    const back = await PortalClient.signIn(srv, account.json.id);

    // The plan that fits, the same on the Plans page and in the over-cap answer's link.
    const compare = await back.query<{ recommendation: { planId: string } | null }>("plans.compare");
    expect(compare.status).toBe(200);
    const recommended = compare.data!.recommendation!.planId;
    expect(recommended).not.toBe("starter");
    const over = (await post<Check>("/v1/check", { key: key.json.key, cost: 1, id: "call-over" })).json;
    expect(over.upgradeUrl).toContain(`to=${recommended}`);

    // Preview, then consent: the switch is charged once and applied.
    const quote = await back.mutate<ShownQuote>("billing.previewPlanChange", { toPlanId: recommended });
    expect(quote.status).toBe(200);
    const confirmed = await back.mutate<{ status: string; invoiceId: string | null; amountDueNowMinor: number }>("billing.confirm", confirmationFor(quote.data!));
    expect(confirmed.status).toBe(200);
    expect(confirmed.data).toMatchObject({ status: "applied", amountDueNowMinor: quote.data!.amountDueNowMinor });
    const again = await back.mutate<{ status: string; replayed: boolean }>("billing.confirm", confirmationFor(quote.data!));
    expect(again.data).toMatchObject({ status: "applied", replayed: true });

    // The next call is decided on the new plan's caps.
    const after = (await post<Check>("/v1/check", { key: key.json.key, cost: 1, id: "call-after" })).json;
    expect(after).toMatchObject({ allowed: true, decision: "allow" });
    const billing = await back.query<{ invoices: Array<{ id: string; totalMinor: number }> }>("billing.overview");
    expect(billing.status).toBe(200);
    expect(billing.data!.invoices.filter((i) => i.id === confirmed.data!.invoiceId)).toEqual([expect.objectContaining({ totalMinor: quote.data!.amountDueNowMinor })]);
  });
});
