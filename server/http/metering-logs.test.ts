import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { startTestServer, TEST_SERVER_TOKEN } from "../testing/test-server";

/**
 * What the hot routes (/v1/check, /v1/events) log at LOG_LEVEL=info: refusals, errors, rejected
 * events and slow requests, one line each; the allowed, fast calls are counted in /metrics instead,
 * unless METER_ACCESS_LOG asks for every request.
 */

const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };

interface Line {
  msg: string;
  requestId?: string;
  method?: string;
  path?: string;
  status?: number;
  ms?: number;
  [field: string]: unknown;
}

/** A server whose log lines are collected as they are written. */
async function serverWithLogs(env: Record<string, string>, clock = new ManualClock(Date.parse("2026-11-25T14:02:30Z"))) {
  const lines: Line[] = [];
  const logTo = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const l of chunk.toString("utf8").split("\n")) if (l) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const srv = await startTestServer({ clock, env, logTo });
  const account = async (planId = "starter") => {
    const acc = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: `Acct ${planId}`, email: `${Math.random()}@example.com`, planId });
    return { accountId: acc.id, key: (await createKey(srv.deps.db, clock, { accountId: acc.id, name: "k" })).key };
  };
  const post = (path: string, body: unknown, requestId: string, headers: Record<string, string> = auth) =>
    fetch(`${srv.url}${path}`, { method: "POST", headers: { ...headers, "x-request-id": requestId }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const requestLine = (requestId: string) => lines.find((l) => l.msg === "request" && l.requestId === requestId);
  const metric = async (pattern: string) => {
    const text = await (await fetch(`${srv.url}/metrics`, { headers: auth })).text();
    const m = text.match(new RegExp(`^${pattern} (\\d+)$`, "m"));
    return m ? Number(m[1]) : 0;
  };
  return { srv, clock, lines, account, post, requestLine, metric };
}

// A threshold no request of these tests reaches: whether a call is "slow" never depends on the machine here.
const NEVER_SLOW = { METER_SLOW_REQUEST_MS: "600000" };

describe("hot route logs in the default configuration", () => {
  let t: Awaited<ReturnType<typeof serverWithLogs>>;
  beforeAll(async () => {
    t = await serverWithLogs(NEVER_SLOW);
  });
  afterAll(() => t.srv.stop());

  it("does not log an allowed, fast call, and counts it in /metrics", async () => {
    const { key } = await t.account("business");
    const checks = 'headroom_metering_requests_total\\{path="/v1/check",status="2xx"\\}';
    const events = 'headroom_metering_requests_total\\{path="/v1/events",status="2xx"\\}';
    const allowed = 'headroom_decisions_total\\{decision="allow",plan="business"\\}';
    const before = { checks: await t.metric(checks), events: await t.metric(events), allowed: await t.metric(allowed) };

    const check = await t.post("/v1/check", { key, cost: 1 }, "quiet-check");
    expect(((await check.json()) as { decision: string }).decision).toBe("allow");
    const batch = await t.post("/v1/events", { events: [{ id: "quiet-1", key, timestamp: t.clock.now() }] }, "quiet-events");
    expect(await batch.json()).toMatchObject({ accepted: 1, rejected: 0 });
    // A request that is logged, after them: lines are written in order, so theirs would be there by now.
    expect((await t.post("/v1/check", { key }, "witness", { "content-type": "application/json" })).status).toBe(401);
    expect(t.requestLine("witness")).toBeDefined();

    expect(t.requestLine("quiet-check")).toBeUndefined();
    expect(t.requestLine("quiet-events")).toBeUndefined();
    expect(await t.metric(checks)).toBe(before.checks + 1);
    expect(await t.metric(events)).toBe(before.events + 1);
    expect(await t.metric(allowed)).toBe(before.allowed + 1);
    // The latency of the calls that are not logged: the first answer is among the timed ones.
    expect(await t.metric('headroom_metering_request_seconds_count\\{path="/v1/check"\\}')).toBeGreaterThan(0);
  });

  it("logs a refusal by the safety ceiling with its decision and window, and the replay of a refused id", async () => {
    const { key, accountId } = await t.account("enterprise");
    // A call costing more than the per-key ceiling (1,000 a minute) never fits.
    const res = await t.post("/v1/check", { key, cost: 1001 }, "over-ceiling");
    expect(((await res.json()) as { decision: string }).decision).toBe("ceiling");
    expect(t.requestLine("over-ceiling")).toMatchObject({ method: "POST", path: "/v1/check", status: 200, decision: "ceiling", window: "ceiling", accountId, ms: expect.any(Number) });
    await t.post("/v1/check", { key, cost: 1001, id: "again" }, "refused-id-1");
    await t.post("/v1/check", { key, cost: 1001, id: "again" }, "refused-id-2");
    expect(t.requestLine("refused-id-2")).toMatchObject({ decision: "ceiling", duplicate: true, accountId });
    expect(t.requestLine("refused-id-1")).not.toHaveProperty("duplicate");
  });

  it("logs a refusal for a plan cap with the window that refused it", async () => {
    const { key, accountId } = await t.account("starter");
    t.srv.sqlite.prepare("update accounts set enforcement_override = 'enforce' where id = ?").run(accountId);
    t.srv.sqlite
      .prepare("insert into notices (id, account_id, kind, window, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', 'minute', 0, ?, 0, ?)")
      .run(`n-${accountId}`, accountId, `d-${accountId}`, t.clock.now() - 73 * 3_600_000);
    t.srv.deps.meter.invalidateAccount(accountId);
    // The Starter plan's 60 calls a minute in one call, then one more.
    await t.post("/v1/check", { key, cost: 60 }, "fills-the-minute");
    const res = await t.post("/v1/check", { key }, "over-the-cap");
    expect(((await res.json()) as { decision: string }).decision).toBe("throttle");
    expect(t.requestLine("over-the-cap")).toMatchObject({ method: "POST", path: "/v1/check", status: 200, decision: "throttle", window: "minute", accountId });
    expect(t.requestLine("fills-the-minute")).toBeUndefined();
  });

  it("logs every error: a wrong token, an unknown key, bad JSON, a wrong method, a body too large, and a 500", async () => {
    const { key } = await t.account();
    await t.post("/v1/check", { key }, "e-token", { ...auth, authorization: "Bearer nope-nope-nope-nope" });
    await t.post("/v1/check", { key: "hr_live_doesnotexist" }, "e-key");
    await t.post("/v1/events", "not json", "e-json");
    await fetch(`${t.srv.url}/v1/check`, { headers: { ...auth, "x-request-id": "e-method" } });
    await t.post("/v1/check", { key, pad: "x".repeat(20_000) }, "e-large");
    const meter = t.srv.deps.meter;
    const check = meter.check;
    meter.check = () => {
      throw new Error("the meter broke");
    };
    try {
      expect((await t.post("/v1/check", { key }, "e-500")).status).toBe(500);
    } finally {
      meter.check = check;
    }
    for (const [id, path, status] of [
      ["e-token", "/v1/check", 401],
      ["e-key", "/v1/check", 401],
      ["e-json", "/v1/events", 400],
      ["e-method", "/v1/check", 405],
      ["e-large", "/v1/check", 413],
      ["e-500", "/v1/check", 500],
    ] as const) {
      expect(t.requestLine(id), id).toMatchObject({ method: id === "e-method" ? "GET" : "POST", path, status, ms: expect.any(Number) });
    }
    expect(t.lines.find((l) => l.msg === "metering route failed" && l.requestId === "e-500")).toBeDefined();
  });

  it("logs a batch with rejected events, with how many", async () => {
    const { key } = await t.account();
    await t.post("/v1/events", { events: [{ id: "r1", key, timestamp: t.clock.now() }, { id: "r2", key: "hr_live_nope", timestamp: t.clock.now() }] }, "with-rejects");
    expect(t.requestLine("with-rejects")).toMatchObject({ path: "/v1/events", status: 200, rejected: 1 });
  });
});

describe("hot route logs for slow requests", () => {
  let t: Awaited<ReturnType<typeof serverWithLogs>>;
  beforeAll(async () => {
    t = await serverWithLogs({ METER_SLOW_REQUEST_MS: "20" });
  });
  afterAll(() => t.srv.stop());

  it("logs an allowed call that took longer than METER_SLOW_REQUEST_MS", async () => {
    const { key } = await t.account("business");
    const meter = t.srv.deps.meter;
    const check = meter.check.bind(meter);
    // A decision that blocks for 50 ms (a busy database, a long pause): the request cannot take less.
    meter.check = (...args) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      return check(...args);
    };
    try {
      const res = await t.post("/v1/check", { key }, "slow-check");
      expect(((await res.json()) as { decision: string }).decision).toBe("allow");
    } finally {
      meter.check = check;
    }
    expect(t.requestLine("slow-check")).toMatchObject({ method: "POST", path: "/v1/check", status: 200, slow: true, ms: expect.any(Number) });
  });
});

describe("METER_ACCESS_LOG=true", () => {
  let t: Awaited<ReturnType<typeof serverWithLogs>>;
  beforeAll(async () => {
    t = await serverWithLogs({ ...NEVER_SLOW, METER_ACCESS_LOG: "true" });
  });
  afterAll(() => t.srv.stop());

  it("logs every request to the hot routes, allowed and fast ones included", async () => {
    const { key } = await t.account("business");
    await t.post("/v1/check", { key }, "every-check");
    await t.post("/v1/events", { events: [{ id: "every-1", key, timestamp: t.clock.now() }] }, "every-events");
    expect(t.requestLine("every-check")).toMatchObject({ method: "POST", path: "/v1/check", status: 200, ms: expect.any(Number) });
    expect(t.requestLine("every-check")).not.toHaveProperty("decision");
    expect(t.requestLine("every-events")).toMatchObject({ method: "POST", path: "/v1/events", status: 200 });
  });
});
