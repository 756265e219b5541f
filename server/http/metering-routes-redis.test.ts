import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { deleteRedisPrefix, TEST_REDIS_URL, testRedis, testRedisPrefix } from "../testing/redis";
import { createSignInLink } from "../auth/sign-in";
import { cookieFrom, startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";

/** The hot routes and the middleware with REDIS_URL set: the same answers, counted in Redis. */

const clock = new ManualClock(Date.parse("2026-11-25T14:02:30Z"));
const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };
const PREFIX = testRedisPrefix("routes");
let srv: TestServer;
let admin: Redis;

async function account(planId: string, mode?: "off" | "shadow" | "enforce") {
  const acc = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: `Acct ${planId}`, email: `${Math.random()}@example.com`, planId });
  if (mode) srv.sqlite.prepare("update accounts set enforcement_override = ? where id = ?").run(mode, acc.id);
  return { accountId: acc.id, key: (await createKey(srv.deps.db, clock, { accountId: acc.id, name: "k" })).key };
}

const post = (path: string, body: unknown) => fetch(`${srv.url}${path}`, { method: "POST", headers: auth, body: JSON.stringify(body) });
const dayKey = (accountId: string) => `${PREFIX}{${accountId}}:d:calls:${Date.parse("2026-11-25T00:00:00Z")}`;

beforeAll(async () => {
  admin = testRedis();
  srv = await startTestServer({ clock, env: { HEADROOM_DEMO: "true", REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: PREFIX } });
});
afterAll(async () => {
  await srv.stop();
  await deleteRedisPrefix(admin, PREFIX);
  admin.disconnect();
});

describe("with REDIS_URL", () => {
  it("the server counts in Redis under REDIS_KEY_PREFIX", () => {
    expect(srv.deps.meter.counterStatus()).toEqual({ backend: "redis", degraded: false, since: null });
  });

  it("POST /v1/check answers as with the memory store, counted in Redis", async () => {
    const { key, accountId } = await account("starter");
    await post("/v1/check", { key, cost: 4 });
    const res = await post("/v1/check", { key, cost: 1, id: "call-1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit")).toBe('"minute";r=55;t=30');
    const body = (await res.json()) as { decision: string; limits: Array<{ window: string; used: number }> };
    expect(body.decision).toBe("allow");
    expect(body.limits.map((l) => l.used)).toEqual([5, 5, 5]);
    expect(await admin.get(dayKey(accountId))).toBe("5");
    const again = (await (await post("/v1/check", { key, cost: 1, id: "call-1" })).json()) as { duplicate: boolean };
    expect(again.duplicate).toBe(true);
    expect(await admin.get(dayKey(accountId))).toBe("5");
  });

  it("POST /v1/events counts each batch in Redis, ids once", async () => {
    const { key, accountId } = await account("starter");
    const events = (ids: string[]) => ({ events: ids.map((id) => ({ id, key, cost: 3, timestamp: clock.now() - 1_000 })) });
    expect(await (await post("/v1/events", events(["a", "b"]))).json()).toMatchObject({ accepted: 2, duplicates: 0, rejected: 0 });
    expect(await (await post("/v1/events", events(["b", "c"]))).json()).toMatchObject({ accepted: 1, duplicates: 1, rejected: 0 });
    expect(await admin.get(dayKey(accountId))).toBe("9");
  });

  it("the meter() middleware waits for Redis and refuses with 429 in enforce mode", async () => {
    const { key, accountId } = await account("starter", "enforce");
    srv.sqlite
      .prepare("insert into notices (id, account_id, kind, window, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', 'minute', 0, ?, 0, ?)")
      .run(`n-${accountId}`, accountId, `d-${accountId}`, clock.now() - 73 * 3_600_000);
    srv.deps.meter.invalidateAccount(accountId);
    const hello = () => fetch(`${srv.url}/demo-api/hello`, { headers: { authorization: `Bearer ${key}` } });
    const first = await hello();
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit")).toBe('"minute";r=59;t=30');
    for (let i = 0; i < 59; i++) await hello();
    const refused = await hello();
    expect(refused.status).toBe(429);
    expect(await admin.get(dayKey(accountId))).toBe("60");
  });
});

describe("with REDIS_URL unreachable at start", () => {
  it("the server starts, answers every call, and the console's status says Redis is unreachable", async () => {
    const down = await startTestServer({ clock, env: { HEADROOM_DEMO: "false", REDIS_URL: "redis://127.0.0.1:1", REDIS_KEY_PREFIX: PREFIX } });
    try {
      const acc = await createAccount(down.deps.db, down.deps.catalog, clock, { name: "Alone", email: `${Math.random()}@example.com`, planId: "starter" });
      const { key } = await createKey(down.deps.db, clock, { accountId: acc.id, name: "k" });
      const res = await fetch(`${down.url}/v1/check`, { method: "POST", headers: auth, body: JSON.stringify({ key }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { allowed: boolean }).allowed).toBe(true);

      const link = await createSignInLink(down.deps.db, clock, { role: "operator" });
      const cookie = cookieFrom(await fetch(`${down.url}/auth/link?token=${link.token}`, { redirect: "manual" }));
      const status = await fetch(`${down.url}/trpc/operator.counterStatus`, { headers: { cookie } });
      expect(((await status.json()) as { result: { data: unknown } }).result.data).toEqual({ backend: "redis", degraded: true, since: clock.now() });
    } finally {
      await down.stop();
    }
  });
});
