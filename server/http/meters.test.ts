import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { twoMeterCatalog } from "../../shared/testing/two-meter-catalog";
import { createAccount } from "../accounts/accounts";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { meter } from "../metering/middleware";
import type { PlanComparisonView } from "../plans/plan-advisor";
import { PortalClient } from "../testing/portal-client";
import { DIALECTS, startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";

/**
 * A server on a catalog with two meters — "calls" (API calls, the default) and "mcp" (MCP tool
 * calls) — through its real routes: each meter counted, limited, refused, told about and shown apart.
 */

const at = (iso: string) => Date.parse(iso);
const clock = new ManualClock(at("2026-11-25T19:52:24Z"));
const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };
let srv: TestServer;
let guarded: { url: string; close: () => void };

async function account(planId: string, mode: "off" | "shadow" | "enforce") {
  const acc = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: `Acct ${planId}`, email: `${Math.random()}@example.com`, planId });
  await srv.sql("update accounts set enforcement_override = ? where id = ?", mode, acc.id);
  srv.deps.meter.invalidateAccount(acc.id);
  return { accountId: acc.id, key: (await createKey(srv.deps.db, clock, { accountId: acc.id, name: "k" })).key };
}

/** A notice about one meter's cap, delivered long enough ago for the cap to refuse. */
async function told(accountId: string, window: string, meterId: string) {
  await srv.sql(
    `insert into notices (id, account_id, kind, "window", meter, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', ?, ?, 0, ?, ?, ?)`,
    `n-${Math.random()}`,
    accountId,
    window,
    meterId,
    `d-${Math.random()}`,
    clock.now() - 100 * 3_600_000,
    clock.now() - 100 * 3_600_000,
  );
  srv.deps.meter.invalidateAccount(accountId);
}

const post = (path: string, body: unknown) => fetch(`${srv.url}${path}`, { method: "POST", headers: auth, body: JSON.stringify(body) });
const servedOn = async (accountId: string, meterId: string) =>
  (await srv.sql<{ n: number }>("select cast(coalesce(sum(allowed + would_throttle), 0) as integer) n from usage_minute where account_id = ? and meter = ?", accountId, meterId))[0]!.n;

interface CheckAnswer {
  allowed: boolean;
  decision: string;
  meter: string;
  limits: Array<{ window: string; limit: number | null; used: number }>;
  problem?: { type: string; detail: string; meter: string; unit: string; window: string; limit: number; used: number; "violated-policies": string[] };
}

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeAll(async () => {
    srv = await startTestServer({ dialect, clock, catalog: twoMeterCatalog });
    // A provider's API guarded by meter(): /api/tools counts MCP tool calls, the rest API calls.
    const app = express();
    app.use(meter({ meter: srv.deps.meter, clock, portalUrl: () => "http://portal.test", meterId: (req) => (req.path.startsWith("/api/tools") ? "mcp" : (req.headers["x-meter"] as string | undefined)) }));
    app.get("/api/{*rest}", (_req, res) => void res.json({ ok: true }));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    guarded = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  });
  afterAll(async () => {
    guarded.close();
    await srv.stop();
  });

  describe("POST /v1/check on two meters", () => {
    it("refuses an MCP tool call over its cap with a 429 body naming the meter and window, while API calls go on; RateLimit names a policy per meter and window", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { accountId, key } = await account("starter", "enforce");
      await told(accountId, "minute", "mcp");
      expect(((await (await post("/v1/check", { key, cost: 10, meter: "mcp" })).json()) as CheckAnswer).allowed).toBe(true);
      clock.set(at("2026-11-25T19:53:00Z"));

      const res = await post("/v1/check", { key, meter: "mcp" });
      const refused = (await res.json()) as CheckAnswer;
      expect(refused).toMatchObject({ allowed: false, decision: "throttle", meter: "mcp" });
      expect(res.headers.get("ratelimit-policy")).toBe('"mcp-minute";q=10;w=60, "mcp-day";q=200;w=86400');
      expect(res.headers.get("ratelimit")).toBe('"mcp-minute";r=0;t=24');
      expect(res.headers.get("retry-after")).toBe("24");
      expect(refused.problem).toMatchObject({ type: expect.stringMatching(/quota-exceeded$/), meter: "mcp", unit: "MCP tool calls", window: "minute", limit: 10, used: 10, "violated-policies": ["mcp-minute"] });
      expect(refused.problem!.detail).toBe("You made 10 MCP tool calls in the last minute; the Starter plan allows 10 per minute. MCP tool calls are accepted again in 24 seconds (19:53:24 UTC).");

      // API calls: the default meter, its own caps and its own policy names.
      const call = await post("/v1/check", { key });
      const body = (await call.json()) as CheckAnswer;
      expect(body).toMatchObject({ allowed: true, decision: "allow", meter: "calls" });
      expect(body.limits.find((l) => l.window === "minute")).toMatchObject({ limit: 60, used: 1 });
      expect(call.headers.get("ratelimit-policy")).toBe('"calls-minute";q=60;w=60, "calls-day";q=1000;w=86400');
      expect(call.headers.get("ratelimit")).toBe('"calls-minute";r=59;t=60');
    });

    it("answers an unknown meter 400 naming it and the meters there are, and counts nothing", async () => {
      const { accountId, key } = await account("business", "shadow");
      const res = await post("/v1/check", { key, meter: "tools" });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await res.json()) as { type: string; detail: string; meter: string; meters: string[] };
      expect(problem).toMatchObject({ type: expect.stringMatching(/unknown-meter$/), meter: "tools", meters: ["calls", "mcp"] });
      expect(problem.detail).toBe('meter: there is no meter "tools"; the meters are "calls" (API calls) and "mcp" (MCP tool calls). Nothing was counted.');
      await srv.deps.meter.flushNow();
      expect(await srv.sql("select cast(count(*) as integer) n from usage_minute where account_id = ?", accountId)).toEqual([{ n: 0 }]);
    });
  });

  describe("POST /v1/events on two meters", () => {
    it("records a batch of mixed meters, and refuses a batch naming an unknown meter whole", async () => {
      const { accountId, key } = await account("business", "shadow");
      const now = clock.now();
      const ok = await post("/v1/events", {
        events: [
          { id: "e1", key, cost: 2, timestamp: now - 60_000 },
          { id: "e1", key, cost: 3, timestamp: now - 60_000, meter: "mcp" },
          { id: "e2", key, timestamp: now - 60_000, meter: "calls" },
        ],
      });
      expect(await ok.json()).toEqual({ accepted: 3, duplicates: 0, rejected: 0, rejects: [] });

      const bad = await post("/v1/events", {
        events: [
          { id: "e3", key, cost: 5, timestamp: now, meter: "mcp" },
          { id: "e4", key, cost: 5, timestamp: now, meter: "tools" },
        ],
      });
      expect(bad.status).toBe(400);
      const problem = (await bad.json()) as { detail: string; meter: string; meters: string[] };
      expect(problem).toMatchObject({ meter: "tools", meters: ["calls", "mcp"] });
      expect(problem.detail).toMatch(/^events\.1\.meter: there is no meter "tools"/);
      await srv.deps.meter.flushNow();
      expect([await servedOn(accountId, "calls"), await servedOn(accountId, "mcp")]).toEqual([3, 3]);
    });
  });

  describe("meter() on two meters", () => {
    it("counts each request against the meter it names, and answers 400 for one the catalog does not have", async () => {
      const { accountId, key } = await account("business", "shadow");
      const get = (path: string, headers: Record<string, string> = {}) => fetch(`${guarded.url}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
      const tool = await get("/api/tools/search");
      expect(tool.status).toBe(200);
      expect(tool.headers.get("ratelimit-policy")).toBe('"mcp-minute";q=50;w=60, "mcp-day";q=1000;w=86400');
      expect((await get("/api/report")).headers.get("ratelimit")).toMatch(/^"calls-minute";r=299;/);
      const unknown = await get("/api/report", { "x-meter": "tools" });
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as { meter: string }).meter).toBe("tools");
      await srv.deps.meter.flushNow();
      expect([await servedOn(accountId, "calls"), await servedOn(accountId, "mcp")]).toEqual([1, 1]);
      expect(() => meter({ meter: srv.deps.meter, clock, portalUrl: () => "", meterId: "tools" })).toThrow(/no meter "tools"/);
    });
  });

  describe("notices and the portal on two meters", () => {
    it("raises a notice about the MCP cap that names its unit and window, with its own dedupe key", async () => {
      clock.set(at("2026-11-25T20:10:00Z"));
      const { accountId, key } = await account("starter", "shadow");
      expect(((await (await post("/v1/check", { key, cost: 200, meter: "mcp" })).json()) as CheckAnswer).allowed).toBe(true);
      await srv.deps.meter.flushNow();
      await srv.deps.detector.settled();
      const rows = await srv.sql<{ kind: string; window: string; meter: string; dedupeKey: string; facts: string }>(
        `select kind, "window", meter, dedupe_key as "dedupeKey", facts_json as facts from notices where account_id = ? order by "window"`,
        accountId,
      );
      expect(rows.map((r) => [r.kind, r.window, r.meter])).toEqual([
        ["reached", "day", "mcp"],
        ["reached", "minute", "mcp"],
      ]);
      expect(rows[0]!.dedupeKey).toMatch(new RegExp(`^${accountId}:reached:mcp:day:`));
      const customer = await PortalClient.signIn(srv, accountId);
      const notices = (await customer.query<Array<{ kind: string; message: { title: string; happened: string } }>>("notices.list")).data!;
      const day = notices.find((n) => n.message.title.includes("daily"))!;
      expect(day.message.title).toBe("You reached your Starter daily cap for MCP tool calls");
      expect(day.message.happened).toBe("You made 200 MCP tool calls today (UTC); the Starter plan allows 200 per day.");
    });

    it("gives the portal each meter's limits and history under its unit, and compares plans on every meter", async () => {
      clock.set(at("2026-11-25T20:30:00Z"));
      const { accountId, key } = await account("business", "shadow");
      await post("/v1/check", { key, cost: 3 });
      await post("/v1/check", { key, cost: 7, meter: "mcp" });
      await srv.deps.meter.flushNow();
      const customer = await PortalClient.signIn(srv, accountId);
      const overview = (await customer.query<{ limits: Array<{ window: string; used: number }>; meters: Array<{ id: string; unit: string; limits: Array<{ window: string; limit: number | null; used: number }>; today: { allowed: number } }> }>("usage.overview")).data!;
      expect(overview.meters.map((m) => [m.id, m.unit])).toEqual([
        ["calls", "API calls"],
        ["mcp", "MCP tool calls"],
      ]);
      expect(overview.limits.find((l) => l.window === "day")!.used).toBe(3);
      expect(overview.meters[1]!.limits.find((l) => l.window === "day")).toMatchObject({ limit: 1_000, used: 7 });
      expect(overview.meters.map((m) => m.today.allowed)).toEqual([3, 7]);

      const history = (await customer.query<{ meters: Array<{ id: string; unit: string; caps: { minute: number | null }; days: Array<{ allowed: number }> }> }>("usage.history")).data!;
      expect(history.meters.map((m) => [m.id, m.unit, m.caps.minute, m.days.at(-1)!.allowed])).toEqual([
        ["calls", "API calls", 300, 3],
        ["mcp", "MCP tool calls", 50, 7],
      ]);

      const compare = (await customer.query<PlanComparisonView>("plans.compare")).data!;
      expect(compare.meters?.map((m) => [m.id, m.unit, m.callsInWindow])).toEqual([
        ["calls", "API calls", 3],
        ["mcp", "MCP tool calls", 7],
      ]);
      expect(compare.verdicts.find((v) => v.planId === "business")!.meters?.mcp).toMatchObject({ kind: "fits", unit: "MCP tool calls" });
    });
  });
});
