import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { DIALECTS, startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";

const START = Date.parse("2026-11-25T14:02:30Z");
const clock = new ManualClock(START);
const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };
let srv: TestServer;

async function account(planId: string, mode?: "off" | "shadow" | "enforce") {
  const acc = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: `Acct ${planId}`, email: `${Math.random()}@example.com`, planId });
  if (mode) await srv.sql("update accounts set enforcement_override = ? where id = ?", mode, acc.id);
  srv.deps.meter.invalidateAccount(acc.id);
  return { accountId: acc.id, key: (await createKey(srv.deps.db, clock, { accountId: acc.id, name: "k" })).key };
}

const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${srv.url}${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeAll(async () => {
    clock.set(START);
    // The demo API (guarded by meter()) is mounted only with the demo on.
    srv = await startTestServer({ clock, dialect, env: { HEADROOM_DEMO: "true" } });
  });
  afterAll(() => srv.stop());

  describe("POST /v1/check", () => {
    it("answers the decision with limits and RateLimit headers in structured-field syntax", async () => {
      const { key, accountId } = await account("starter");
      const res = await post("/v1/check", { key, cost: 1 });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-policy")).toBe('"minute";q=60;w=60, "day";q=1000;w=86400');
      expect(res.headers.get("ratelimit")).toBe('"minute";r=59;t=30');
      expect(res.headers.get("retry-after")).toBeNull();
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ allowed: true, decision: "allow", duplicate: false, mode: "shadow", account: { id: accountId }, plan: { id: "starter", name: "Starter" }, upgradeUrl: null });
      expect(body.limits).toEqual([
        { window: "minute", limit: 60, used: 1, remaining: 59, resetAt: "2026-11-25T14:03:00.000Z" },
        { window: "day", limit: 1000, used: 1, remaining: 999, resetAt: "2026-11-26T00:00:00.000Z" },
        { window: "month", limit: null, used: 1, remaining: null, resetAt: expect.any(String) },
      ]);
    });

    it("in shadow mode serves over-cap calls as would_throttle with an upgrade link", async () => {
      const { key } = await account("starter", "shadow");
      await post("/v1/check", { key, cost: 60 });
      const body = (await (await post("/v1/check", { key })).json()) as { allowed: boolean; decision: string; upgradeUrl: string };
      expect(body).toMatchObject({ allowed: true, decision: "would_throttle" });
      expect(new URL(body.upgradeUrl).pathname).toMatch(/^\/plans/);
    });

    it("in enforce mode after a notice and the grace, refuses with the 429 body to forward and Retry-After", async () => {
      const { key, accountId } = await account("starter", "enforce");
      await srv.sql(`insert into notices (id, account_id, kind, "window", period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', 'minute', 0, ?, 0, ?)`, `n-${accountId}`, accountId, `d-${accountId}`, clock.now() - 73 * 3_600_000);
      srv.deps.meter.invalidateAccount(accountId);
      await post("/v1/check", { key, cost: 60 });
      const res = await post("/v1/check", { key });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit")).toBe('"minute";r=0;t=60');
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(60);
      const body = (await res.json()) as { allowed: boolean; decision: string; problem: Record<string, unknown> };
      expect(body).toMatchObject({ allowed: false, decision: "throttle" });
      expect(body.problem).toMatchObject({
        type: "https://headroom.dev/problems/quota-exceeded",
        status: 429,
        window: "minute",
        limit: 60,
        used: 60,
        "violated-policies": ["minute"],
        detail: "You made 60 calls in the last minute; the Starter plan allows 60 per minute. Calls are accepted again in 60 seconds (14:03:30 UTC).",
      });
      expect(body.problem.instance).toBe(res.headers.get("x-request-id"));
    });

    it("replays the first decision for a retried idempotency id", async () => {
      const { key } = await account("business");
      const a = (await (await post("/v1/check", { key, cost: 5, id: "call-42" })).json()) as { duplicate: boolean; limits: Array<{ used: number }> };
      const b = (await (await post("/v1/check", { key, cost: 5, id: "call-42" })).json()) as { duplicate: boolean; limits: Array<{ used: number }> };
      expect(a.duplicate).toBe(false);
      expect(b.duplicate).toBe(true);
      expect(b.limits[1]!.used).toBe(5);
    });

    it.each([
      [{ key: "k", cost: 0 }, /^cost: must be at least 1/],
      [{ key: "k", cost: -3 }, /^cost: must be at least 1/],
      [{ key: "k", cost: 1.5 }, /^cost: must be a whole number/],
      [{ key: "k", cost: "2" }, /^cost: must be a number/],
      [{ cost: 1 }, /^key: is required/],
      [{ key: "k", extra: true }, /Unrecognized key/],
      ["not json", /not valid JSON/],
      [[1, 2], /body/],
    ])("answers 400 naming the field for %j", async (body, detail) => {
      const { key } = await account("starter");
      const res = await post("/v1/check", body);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
      // Nothing was counted for the account by the rejected requests.
      const ok = (await (await post("/v1/check", { key })).json()) as { limits: Array<{ used: number }> };
      expect(ok.limits[0]!.used).toBe(1);
    });

    it("refuses a wrong server token, an unknown key, a key in the URL, and other methods", async () => {
      const { key } = await account("starter");
      expect((await post("/v1/check", { key }, { "content-type": "application/json" })).status).toBe(401);
      expect((await post("/v1/check", { key }, { ...auth, authorization: "Bearer nope-nope-nope-nope" })).status).toBe(401);
      const unknown = await post("/v1/check", { key: "hr_live_doesnotexist" });
      expect(unknown.status).toBe(401);
      expect(((await unknown.json()) as { title: string }).title).toBe("Invalid API key");
      expect((await post(`/v1/check?key=${key}`, { key })).status).toBe(400);
      const get = await fetch(`${srv.url}/v1/check`, { headers: auth });
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      // None of the refused requests consumed the key's quota.
      const body = (await (await post("/v1/check", { key })).json()) as { limits: Array<{ used: number }> };
      expect(body.limits[0]!.used).toBe(1);
    });

    it("refuses a body over the size limit, declared or streamed, with 413, and goes on serving", async () => {
      const { key } = await account("starter");
      const big = JSON.stringify({ key, cost: 1, id: "x".repeat(20_000) });
      const declared = await post("/v1/check", big);
      expect(declared.status).toBe(413);
      expect(declared.headers.get("content-type")).toBe("application/problem+json");
      expect(((await declared.json()) as { detail: string }).detail).toBe("The body is larger than 16384 bytes.");
      // Streamed without a Content-Length: the limit holds as the chunks arrive.
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode(" ".repeat(8_000)));
          c.close();
        },
      });
      const streamed = await fetch(`${srv.url}/v1/check`, { method: "POST", headers: auth, body: chunks, duplex: "half" } as RequestInit).then(
        (r) => r.status,
        () => "reset",
      );
      expect([413, "reset"]).toContain(streamed);
      const body = (await (await post("/v1/check", { key })).json()) as { limits: Array<{ used: number }> };
      expect(body.limits[0]!.used).toBe(1);
    });

    it("counts its answers in headroom_http_requests_total by status class", async () => {
      const count = async (status: string) => {
        const text = await (await fetch(`${srv.url}/metrics`, { headers: auth })).text();
        const m = text.match(new RegExp(`headroom_http_requests_total\\{route="v1",status="${status}"\\} (\\d+)`));
        return m ? Number(m[1]) : 0;
      };
      const [ok0, bad0] = [await count("2xx"), await count("4xx")];
      const { key } = await account("starter");
      await post("/v1/check", { key });
      await post("/v1/check", { key });
      await post("/v1/check", { key, cost: 0 });
      expect(await count("2xx")).toBe(ok0 + 2);
      expect(await count("4xx")).toBe(bad0 + 1);
    });

    it("counts exactly under 50 concurrent clients: recorded allowed calls equal allowed answers", async () => {
      const { key, accountId } = await account("business", "enforce");
      await srv.sql(`insert into notices (id, account_id, kind, "window", period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', null, 0, ?, 0, ?)`, `n-${accountId}`, accountId, `d-${accountId}`, clock.now() - 100 * 3_600_000);
      srv.deps.meter.invalidateAccount(accountId);
      let allowed = 0;
      let refused = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          for (let i = 0; i < 10; i++) {
            const body = (await (await post("/v1/check", { key })).json()) as { allowed: boolean };
            if (body.allowed) allowed++;
            else refused++;
          }
        }),
      );
      expect(allowed).toBe(300); // the Business per-minute cap
      expect(refused).toBe(200);
      await srv.deps.meter.flushNow();
      const [row] = await srv.sql("select cast(sum(allowed) as integer) a, cast(sum(throttled) as integer) t from usage_minute where account_id = ?", accountId);
      expect(row).toEqual({ a: allowed, t: refused });
    });
  });

  describe("POST /v1/events", () => {
    it("accepts a batch, counts duplicates once and lists the rejects with reasons", async () => {
      const { key, accountId } = await account("business");
      const now = clock.now();
      const events = [
        { id: "e1", key, cost: 2, timestamp: now - 60_000 },
        { id: "e2", key, timestamp: new Date(now - 120_000).toISOString() },
        { id: "e3", key: "hr_live_nope", timestamp: now },
        { id: "e4", key, timestamp: now - 3 * 86_400_000 },
      ];
      const res = await post("/v1/events", { events });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        accepted: 2,
        duplicates: 0,
        rejected: 2,
        rejects: [
          { index: 2, id: "e3", reason: "unknown_key" },
          { index: 3, id: "e4", reason: "too_late" },
        ],
      });
      const replay = (await (await post("/v1/events", { events: events.slice(0, 2) })).json()) as { accepted: number; duplicates: number };
      expect(replay).toMatchObject({ accepted: 0, duplicates: 2 });
      await srv.deps.meter.flushNow();
      expect(await srv.sql("select cast(sum(allowed) as integer) n from usage_minute where account_id = ?", accountId)).toEqual([{ n: 3 }]);
    });

    it("rejects a malformed batch whole, naming the field", async () => {
      const tooMany = Array.from({ length: 1001 }, (_, i) => ({ id: `x${i}`, key: "k", timestamp: 1 }));
      const res = await post("/v1/events", { events: tooMany });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { detail: string }).detail).toBe("events: holds at most 1000 events per request");
      const bad = await post("/v1/events", { events: [{ id: "a", key: "k", cost: 0, timestamp: 1 }] });
      expect(((await bad.json()) as { detail: string }).detail).toBe("events.0.cost: must be at least 1");
    });
  });

  describe("meter() middleware on the demo API", () => {
    it("passes allowed calls with headers, and answers 401 / 429 itself", async () => {
      const { key, accountId } = await account("starter", "enforce");
      await srv.sql(`insert into notices (id, account_id, kind, "window", period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', 'minute', 0, ?, 0, ?)`, `n-${accountId}`, accountId, `d-${accountId}`, clock.now() - 100 * 3_600_000);
      srv.deps.meter.invalidateAccount(accountId);
      const okRes = await fetch(`${srv.url}/demo-api/weather?city=Oslo`, { headers: { "x-api-key": key } });
      expect(okRes.status).toBe(200);
      expect(okRes.headers.get("ratelimit")).toBe('"minute";r=59;t=30');
      expect(((await okRes.json()) as { city: string }).city).toBe("Oslo");

      expect((await fetch(`${srv.url}/demo-api/hello`)).status).toBe(401);
      expect((await fetch(`${srv.url}/demo-api/hello`, { headers: { authorization: "Bearer hr_live_wrong" } })).status).toBe(401);
      expect((await fetch(`${srv.url}/demo-api/hello?api_key=${key}`)).status).toBe(400);

      for (let i = 0; i < 59; i++) await fetch(`${srv.url}/demo-api/hello`, { headers: { authorization: `Bearer ${key}` } });
      const refused = await fetch(`${srv.url}/demo-api/hello`, { headers: { authorization: `Bearer ${key}` } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(refused.headers.get("retry-after")).toBe("60");
      const problem = (await refused.json()) as { title: string; detail: string; upgradeUrl: string };
      expect(problem.title).toBe("Plan cap reached");
      expect(problem.detail).toContain("the Starter plan allows 60 per minute");
      expect(problem.upgradeUrl).toMatch(/\/plans/);
    });
  });

  describe("GET /v1/openapi.json", () => {
    it("describes every /v1 route with bodies generated from the validating schemas", async () => {
      const doc = (await (await fetch(`${srv.url}/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
      expect(doc.openapi).toBe("3.1.0");
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(["/v1/check", "/v1/events", "/v1/accounts/{accountId}", "/v1/accounts/{accountId}/keys", "/v1/keys/{keyId}", "/v1/portal-sessions"]),
      );
      const check = doc.paths["/v1/check"]!.post!.requestBody!.content["application/json"]!.schema;
      expect(Object.keys(check.properties ?? {})).toEqual(["key", "cost", "id", "meter"]);
      // The meter a call may name: the catalog's own.
      expect(check.properties!.meter).toMatchObject({ enum: ["calls"] });
    });
  });

  describe("keys over REST", () => {
    it("creates (shown once), lists without the key, and revokes effective on the next call", async () => {
      const { accountId } = await account("starter");
      const created = await post(`/v1/accounts/${accountId}/keys`, { name: "Gateway" });
      expect(created.status).toBe(201);
      const key = (await created.json()) as { id: string; key: string; prefix: string };
      expect(key.key.startsWith(key.prefix)).toBe(true);
      const list = (await (await fetch(`${srv.url}/v1/accounts/${accountId}/keys`, { headers: auth })).json()) as { keys: Array<Record<string, unknown>> };
      expect(list.keys.map((k) => k.name)).toContain("Gateway");
      expect(JSON.stringify(list)).not.toContain(key.key);
      expect((await post("/v1/check", { key: key.key })).status).toBe(200);
      const del = await fetch(`${srv.url}/v1/keys/${key.id}`, { method: "DELETE", headers: auth });
      expect(del.status).toBe(200);
      const after = await post("/v1/check", { key: key.key });
      expect(after.status).toBe(401);
      expect(((await after.json()) as { title: string }).title).toBe("API key revoked");
    });
  });
});
