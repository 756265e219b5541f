import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAccount } from "../accounts/accounts";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { meter } from "../metering/middleware";
import { DIALECTS, startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";

/**
 * Every 429 states numbers that are exactly true: the window's count before the call, the call's
 * cost, and a time that agrees with RateLimit and Retry-After — through the real routes.
 */

const at = (iso: string) => Date.parse(iso);
const clock = new ManualClock(at("2026-11-25T19:52:24Z"));
const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };
let srv: TestServer;
let guarded: { url: string; close: () => void };

/** An account on `planId` in `mode`; `noticeWindow` set: told about that cap (null: every cap) long enough ago to be refused. */
async function account(planId: string, mode: "off" | "shadow" | "enforce", noticeWindow?: string | null) {
  const acc = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: `Acct ${planId}`, email: `${Math.random()}@example.com`, planId });
  await srv.sql("update accounts set enforcement_override = ? where id = ?", mode, acc.id);
  srv.deps.meter.invalidateAccount(acc.id);
  if (noticeWindow !== undefined) await notify(acc.id, noticeWindow);
  return { accountId: acc.id, key: (await createKey(srv.deps.db, clock, { accountId: acc.id, name: "k" })).key };
}

async function notify(accountId: string, window: string | null) {
  await srv.sql(
    `insert into notices (id, account_id, kind, "window", period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', ?, 0, ?, ?, ?)`,
    `n-${Math.random()}`,
    accountId,
    window,
    `d-${Math.random()}`,
    clock.now() - 100 * 3_600_000,
    clock.now() - 100 * 3_600_000,
  );
  srv.deps.meter.invalidateAccount(accountId);
}

interface CheckAnswer {
  allowed: boolean;
  decision: string;
  limits: Array<{ window: string; limit: number | null; used: number; resetAt: string }>;
  problem?: { type: string; detail: string; window: string; limit: number; used: number; resetAt: string; "violated-policies": string[] };
}

async function check(key: string, cost = 1) {
  const res = await fetch(`${srv.url}/v1/check`, { method: "POST", headers: auth, body: JSON.stringify({ key, cost }) });
  expect(res.status).toBe(200);
  return { body: (await res.json()) as CheckAnswer, ratelimit: res.headers.get("ratelimit"), retryAfter: res.headers.get("retry-after") };
}

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeAll(async () => {
    srv = await startTestServer({ clock, dialect });
    // A provider's own Express API guarded by meter(), with the cost of a request in a header.
    const app = express();
    app.use(meter({ meter: srv.deps.meter, clock, portalUrl: () => "http://portal.test", cost: (req) => Number(req.headers["x-cost"] ?? 1) }));
    app.get("/api/report", (_req, res) => void res.json({ ok: true }));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    guarded = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  });
  afterAll(async () => {
    guarded.close();
    await srv.stop();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe("429 words through POST /v1/check", () => {
    it("a ceiling refusal says the count plus the call's cost would exceed the limit, and when a call of this cost fits again", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { key } = await account("enterprise", "off");
      expect((await check(key, 500)).body.allowed).toBe(true);
      clock.set(at("2026-11-25T19:52:44Z"));
      expect((await check(key, 480)).body.allowed).toBe(true);
      clock.set(at("2026-11-25T19:53:00Z"));

      const refused = await check(key, 21);
      expect(refused.body.decision).toBe("ceiling");
      expect(refused.ratelimit).toBe('"ceiling";r=20;t=24'); // 20 left: not enough for a call of 21
      expect(refused.retryAfter).toBe("24");
      expect(refused.body.problem).toMatchObject({ window: "minute", limit: 1000, used: 980, resetAt: "2026-11-25T19:53:24.000Z" });
      expect(refused.body.problem!.detail).toBe(
        "This call costs 21 calls and this key made 980 calls in the last minute: 1,001 calls would exceed the safety limit of 1,000 calls per minute per key. " +
          "This is a safety limit that protects the service, not your plan's cap, and upgrading does not change it. A call of this cost is accepted again in 24 seconds (19:53:24 UTC).",
      );

      // The words hold: one second earlier it is still refused, at the stated time it is served.
      clock.set(at("2026-11-25T19:53:23Z"));
      expect((await check(key, 21)).body.decision).toBe("ceiling");
      clock.set(at("2026-11-25T19:53:24Z"));
      expect((await check(key, 21)).body.decision).toBe("allow");
    });

    it("a retry of a refused request id replays the refusal, counts nothing, and says so — never a 500", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { key } = await account("starter", "enforce", "minute");
      expect((await check(key, 60)).body.allowed).toBe(true);
      const send = async () => {
        const res = await fetch(`${srv.url}/v1/check`, { method: "POST", headers: auth, body: JSON.stringify({ key, cost: 1, id: "req-42" }) });
        return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as CheckAnswer & { duplicate: boolean } };
      };
      const first = await send();
      expect(first.body.decision).toBe("throttle");
      const again = await send();
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ allowed: false, decision: "throttle", duplicate: true });
      expect(again.body.problem!.detail).toBe("This request id was already answered: the call was refused, and nothing was counted. A retry with the same id gets the same answer; send the call with a new id to try again.");
      expect(again.retryAfter).toBeNull();
    });

    it("a minute refusal states the reset to the second, never earlier than Retry-After", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { key } = await account("starter", "enforce", "minute");
      expect((await check(key, 60)).body.allowed).toBe(true);
      clock.set(at("2026-11-25T19:53:00Z"));

      const refused = await check(key);
      expect(refused.ratelimit).toBe('"minute";r=0;t=24');
      expect(refused.retryAfter).toBe("24");
      expect(refused.body.problem).toMatchObject({ window: "minute", limit: 60, used: 60, resetAt: "2026-11-25T19:53:24.000Z" });
      expect(refused.body.problem!.detail).toBe("You made 60 calls in the last minute; the Starter plan allows 60 per minute. Calls are accepted again in 24 seconds (19:53:24 UTC).");

      clock.set(at("2026-11-25T19:53:24Z"));
      expect((await check(key)).body.allowed).toBe(true);
    });

    it("a day refusal: the words are never earlier than now + Retry-After (with its jitter); resetAt stays midnight", async () => {
      clock.set(at("2026-11-25T23:40:00Z"));
      const { key } = await account("starter", "enforce", null);
      // The day's 1,000 calls, reported after the fact a few minutes ago (the minute window is clear).
      const events = await fetch(`${srv.url}/v1/events`, { method: "POST", headers: auth, body: JSON.stringify({ events: [{ id: "e1", key, cost: 1000, timestamp: clock.now() - 300_000 }] }) });
      expect(((await events.json()) as { accepted: number }).accepted).toBe(1);

      vi.spyOn(Math, "random").mockReturnValue(0.99);
      const refused = await check(key);
      expect(refused.ratelimit).toBe('"day";r=0;t=1200');
      expect(refused.retryAfter).toBe("1259"); // 20 minutes to midnight + 59 s of jitter: 00:00:59
      expect(refused.body.problem).toMatchObject({ window: "day", limit: 1000, used: 1000, resetAt: "2026-11-26T00:00:00.000Z" });
      expect(refused.body.problem!.detail).toBe("You made 1,000 calls today (UTC); the Starter plan allows 1,000 per day. Calls are accepted again at 26 Nov 2026, 00:01 UTC.");
    });

    it("a call costing more than one is told its cost and when a call of that cost fits — not the calendar minute", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { key } = await account("starter", "enforce", "minute");
      await check(key, 30);
      clock.set(at("2026-11-25T19:52:44Z"));
      await check(key, 20);
      clock.set(at("2026-11-25T19:52:54Z"));

      const refused = await check(key, 20);
      expect(refused.ratelimit).toBe('"minute";r=10;t=30'); // 10 left: not enough for a call of 20
      expect(refused.retryAfter).toBe("30");
      expect(refused.body.problem).toMatchObject({ window: "minute", limit: 60, used: 50, resetAt: "2026-11-25T19:53:24.000Z" });
      expect(refused.body.problem!.detail).toBe(
        "This call costs 20 calls; you have made 50 calls in the last minute and the Starter plan allows 60 per minute. With this call, 70 calls would exceed the cap. " +
          "A call of this cost is accepted again in 30 seconds (19:53:24 UTC).",
      );
      // At the calendar minute it would still be refused; at the stated time it is served.
      clock.set(at("2026-11-25T19:53:00Z"));
      expect((await check(key, 20)).body.decision).toBe("throttle");
      clock.set(at("2026-11-25T19:53:24Z"));
      expect((await check(key, 20)).body.decision).toBe("allow");
    });

    it("a cost above the cap never fits: said plainly, without Retry-After or a promised time", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { key, accountId } = await account("starter", "shadow");
      expect((await check(key, 79)).body.decision).toBe("would_throttle"); // served in shadow mode: 79 in the minute
      await srv.sql("update accounts set enforcement_override = 'enforce' where id = ?", accountId);
      await notify(accountId, "minute");

      const refused = await check(key, 100);
      expect(refused.body.decision).toBe("throttle");
      expect(refused.retryAfter).toBeNull();
      expect(refused.body.problem).toMatchObject({ window: "minute", limit: 60, used: 79, "violated-policies": ["minute"] });
      expect(refused.body.problem!.detail).toBe(
        "This call costs 100 calls; you have made 79 calls in the last minute and the Starter plan allows 60 per minute. " +
          "A call that costs more than 60 never fits the Starter plan's per-minute cap: send it as smaller calls, or choose a plan with a higher cap.",
      );

      // Above the per-key safety limit too (1,000): that refusal comes first, and says its own "never".
      const ceiling = await check(key, 1001);
      expect(ceiling.body.decision).toBe("ceiling");
      expect(ceiling.retryAfter).toBeNull();
      expect(ceiling.ratelimit).toBe('"ceiling";r=921;t=0'); // smaller calls still fit now
      expect(ceiling.body.problem).toMatchObject({ type: "https://headroom.dev/problems/safety-limit", limit: 1000, used: 79 });
      expect(ceiling.body.problem!.detail).toBe(
        "This call costs 1,001 calls, more than the safety limit of 1,000 calls per minute per key: a call of this cost is never accepted; send it as smaller calls. " +
          "This is a safety limit that protects the service, not your plan's cap, and upgrading does not change it.",
      );
    });

    it("the detail's numbers are the window's count before the call, the same as the used and limit members and the limits", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { key } = await account("starter", "enforce", null);
      await check(key, 45);
      clock.set(at("2026-11-25T19:52:30Z"));
      for (let i = 0; i < 2; i++) {
        // Refused twice: a refused call consumes nothing, so both say 45.
        const { body } = await check(key, 16);
        const minute = body.limits.find((l) => l.window === "minute")!;
        expect(body.problem).toMatchObject({ window: "minute", used: 45, limit: 60 });
        expect(minute).toMatchObject({ used: 45, limit: 60, resetAt: body.problem!.resetAt });
        expect(body.problem!.detail).toMatch(/^This call costs 16 calls; you have made 45 calls in the last minute and the Starter plan allows 60 per minute\. With this call, 61 calls would exceed the cap\. /);
      }
    });
  });

  describe("429 words through the meter() middleware", () => {
    const get = (key: string, cost = 1) => fetch(`${guarded.url}/api/report`, { headers: { authorization: `Bearer ${key}`, "x-cost": String(cost) } });

    it("answers 429 with Retry-After, RateLimit and words that agree, to the second", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { key } = await account("starter", "enforce", "minute");
      expect((await get(key, 60)).status).toBe(200);
      clock.set(at("2026-11-25T19:53:00Z"));
      const res = await get(key);
      expect(res.status).toBe(429);
      expect(res.headers.get("ratelimit")).toBe('"minute";r=0;t=24');
      expect(res.headers.get("retry-after")).toBe("24");
      const problem = (await res.json()) as { detail: string; used: number; resetAt: string };
      expect(problem).toMatchObject({ used: 60, resetAt: "2026-11-25T19:53:24.000Z" });
      expect(problem.detail).toBe("You made 60 calls in the last minute; the Starter plan allows 60 per minute. Calls are accepted again in 24 seconds (19:53:24 UTC).");
    });

    it("a request costing more than the cap: its cost, the count, the cap, and no Retry-After", async () => {
      clock.set(at("2026-11-25T19:52:24Z"));
      const { key } = await account("starter", "enforce", "minute");
      expect((await get(key, 10)).status).toBe(200);
      const res = await get(key, 100);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBeNull();
      const problem = (await res.json()) as { detail: string; used: number; limit: number };
      expect(problem).toMatchObject({ used: 10, limit: 60 });
      expect(problem.detail).toBe(
        "This call costs 100 calls; you have made 10 calls in the last minute and the Starter plan allows 60 per minute. " +
          "A call that costs more than 60 never fits the Starter plan's per-minute cap: send it as smaller calls, or choose a plan with a higher cap.",
      );
    });
  });
});
