import { get as httpGet } from "node:http";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "./accounts/accounts";
import { createSignInLink } from "./auth/sign-in";
import { createKey } from "./keys/keys";
import { ManualClock } from "./lib/clock";
import { cookieFrom, startTestServer, TEST_SERVER_TOKEN, type TestServer } from "./testing/test-server";

const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}` };
const clock = new ManualClock(Date.parse("2026-11-25T14:02:31Z"));
let srv: TestServer;
let accountA: string;
let accountB: string;

async function signIn(accountId: string): Promise<string> {
  const res = await fetch(`${srv.url}/v1/portal-sessions`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ accountId, returnUrl: "https://app.example.com/settings" }),
  });
  expect(res.status).toBe(201);
  const { url } = (await res.json()) as { url: string };
  const landed = await fetch(url, { redirect: "manual" });
  expect(landed.status).toBe(303);
  expect(landed.headers.get("location")).toBe("/usage");
  return cookieFrom(landed);
}

async function trpcQuery(path: string, cookie?: string) {
  const res = await fetch(`${srv.url}/trpc/${path}`, { headers: cookie ? { cookie } : {} });
  return { status: res.status, body: (await res.json()) as { result?: { data: unknown }; error?: { data: { code: string } } } };
}

beforeAll(async () => {
  srv = await startTestServer({ clock });
  accountA = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: "a@example.com", planId: "starter" })).id;
  accountB = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Brightline", email: "b@example.com", planId: "business" })).id;
  srv.sqlite
    .prepare("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 1000, 3016, 0, 0, 268)")
    .run(Date.parse("2026-11-25T00:00:00Z"), accountA);
});
afterAll(() => srv.stop());

describe("health and REST auth", () => {
  it("answers /healthz", async () => {
    const res = await fetch(`${srv.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("refuses /v1 without or with a wrong server token, as problem+json", async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: "Bearer wrong-token-wrong-token" }, { authorization: TEST_SERVER_TOKEN }];
    for (const headers of attempts) {
      const res = await fetch(`${srv.url}/v1/accounts/${accountA}`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 401, title: expect.any(String) });
      expect(body.instance).toBe(res.headers.get("x-request-id"));
    }
  });

  it("answers an unknown account with 404 and malformed input with a 400 naming the field", async () => {
    const missing = await fetch(`${srv.url}/v1/accounts/acc_nope`, { headers: auth });
    expect(missing.status).toBe(404);
    const bad = await fetch(`${srv.url}/v1/portal-sessions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ accountId: accountA, returnUrl: "javascript:alert(1)" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/^returnUrl/);
    const notJson = await fetch(`${srv.url}/v1/portal-sessions`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{oops" });
    expect(notJson.status).toBe(400);
  });

  it("reports the account's limits with the same numbers as the portal", async () => {
    const res = await fetch(`${srv.url}/v1/accounts/${accountA}`, { headers: auth });
    const body = (await res.json()) as { limits: Array<{ window: string; limit: number | null; used: number; remaining: number | null; resetAt: string }> };
    expect(body.limits.find((l) => l.window === "day")).toEqual({ window: "day", limit: 1000, used: 4016, remaining: 0, resetAt: "2026-11-26T00:00:00.000Z", state: "over" });
    expect(body.limits.find((l) => l.window === "month")).toMatchObject({ limit: null, used: 4016, remaining: null, state: "unlimited" });
  });
});

describe("portal sign-in and isolation", () => {
  it("signs in with a one-time link and shows the customer's own plan and usage", async () => {
    const cookie = await signIn(accountA);
    expect(cookie).toMatch(/^headroom_session=/);
    const me = await trpcQuery("session.me", cookie);
    expect(me.body.result?.data).toMatchObject({ role: "customer", account: { id: accountA, planId: "starter" }, returnUrl: "https://app.example.com/settings" });
    const overview = await trpcQuery("usage.overview", cookie);
    const data = overview.body.result?.data as { account: { id: string }; plan: { id: string }; today: { allowed: number; wouldThrottle: number } };
    expect(data.account.id).toBe(accountA);
    expect(data.plan.id).toBe("starter");
    expect(data.today).toMatchObject({ allowed: 1000, wouldThrottle: 3016 });
  });

  it("gives each customer only their own account", async () => {
    const cookieB = await signIn(accountB);
    const overview = await trpcQuery("usage.overview", cookieB);
    const data = overview.body.result?.data as { account: { id: string }; today: { allowed: number } };
    expect(data.account.id).toBe(accountB);
    expect(data.today.allowed).toBe(0);
  });

  it("refuses a used link and an expired link with a clear page", async () => {
    const link = await createSignInLink(srv.deps.db, clock, { role: "customer", accountId: accountA });
    const first = await fetch(`${srv.url}/auth/link?token=${link.token}`, { redirect: "manual" });
    expect(first.headers.get("location")).toBe("/usage");
    const again = await fetch(`${srv.url}/auth/link?token=${link.token}`, { redirect: "manual" });
    expect(again.headers.get("location")).toBe("/sign-in?error=used");
    expect(again.headers.get("set-cookie")).toBeNull();

    const old = await createSignInLink(srv.deps.db, clock, { role: "customer", accountId: accountA });
    clock.advance(10 * 60_000 + 1);
    const expired = await fetch(`${srv.url}/auth/link?token=${old.token}`, { redirect: "manual" });
    expect(expired.headers.get("location")).toBe("/sign-in?error=expired");
    const bogus = await fetch(`${srv.url}/auth/link?token=nonsense`, { redirect: "manual" });
    expect(bogus.headers.get("location")).toBe("/sign-in?error=invalid");
  });

  it("answers customer procedures without a session with UNAUTHORIZED and operator ones with FORBIDDEN", async () => {
    expect((await trpcQuery("usage.overview")).status).toBe(401);
    const cookie = await signIn(accountA);
    const op = await trpcQuery("operator.accounts", cookie);
    expect(op.status).toBe(403);
    expect(op.body.error?.data.code).toBe("FORBIDDEN");
  });

  it("refuses a cross-site form post to a mutation before any procedure runs", async () => {
    const cookie = await signIn(accountA);
    const form = await fetch(`${srv.url}/trpc/session.signOut`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: "x=1",
    });
    expect(form.status).toBe(403);
    const crossSiteJson = await fetch(`${srv.url}/trpc/session.signOut`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      body: "{}",
    });
    expect(crossSiteJson.status).toBe(403);
    // The session survived both attempts.
    expect((await trpcQuery("session.me", cookie)).body.result?.data).toMatchObject({ role: "customer" });
    const out = await fetch(`${srv.url}/trpc/session.signOut`, { method: "POST", headers: { cookie, "content-type": "application/json", origin: srv.url }, body: "{}" });
    expect(out.status).toBe(200);
    expect((await trpcQuery("session.me", cookie)).body.result?.data).toBeNull();
  });
});

describe("the demo API", () => {
  // A built portal, so that a path falling through to the SPA would answer 200 with its page.
  let clientDir: string;
  beforeAll(() => {
    clientDir = mkdtempSync(join(tmpdir(), "headroom-client-"));
    writeFileSync(join(clientDir, "index.html"), "<!doctype html><title>portal</title>");
  });
  afterAll(() => rmSync(clientDir, { recursive: true, force: true }));

  async function withServer(demo: "true" | "false", run: (s: TestServer, key: string) => Promise<void>) {
    const s = await startTestServer({ clock, clientDir, env: { HEADROOM_DEMO: demo } });
    try {
      const accountId = (await createAccount(s.deps.db, s.deps.catalog, clock, { name: "Acme", email: "a@example.com", planId: "starter" })).id;
      await run(s, (await createKey(s.deps.db, clock, { accountId })).key);
    } finally {
      await s.stop();
    }
  }

  it("is served, metered, with the demo on; an unknown path under it is a 404 problem+json", async () => {
    await withServer("true", async (s, key) => {
      const ok = await fetch(`${s.url}/demo-api/hello`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit")).toMatch(/^"minute";r=59;/);
      expect(await ok.json()).toEqual({ message: expect.stringContaining("metered") });
      expect((await fetch(`${s.url}/demo-api/hello`)).status).toBe(401);
      // A path the demo API does not have is an unknown API path (metered like any call), not the portal's page.
      const unknown = await fetch(`${s.url}/demo-api/nothing-here`, { headers: { authorization: `Bearer ${key}` } });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    });
  });

  it("is an unknown API path with the demo off: 404 problem+json, as under /v1, not the portal's page", async () => {
    await withServer("false", async (s, key) => {
      const unknownV1 = await fetch(`${s.url}/v1/nothing-here`, { headers: auth });
      expect(unknownV1.status).toBe(404);
      const v1Problem = (await unknownV1.json()) as Record<string, unknown>;
      for (const headers of [{}, { authorization: `Bearer ${key}` }] as Array<Record<string, string>>) {
        for (const path of ["/demo-api/hello", "/demo-api/weather?city=Oslo", "/demo-api"]) {
          const res = await fetch(`${s.url}${path}`, { headers });
          expect(res.status).toBe(404);
          expect(res.headers.get("content-type")).toBe("application/problem+json");
          expect(res.headers.get("ratelimit")).toBeNull();
          const body = (await res.json()) as Record<string, unknown>;
          expect(body).toMatchObject({ type: v1Problem.type, title: v1Problem.title, status: 404, detail: `No route GET ${path}.` });
          expect(body.instance).toBe(res.headers.get("x-request-id"));
        }
      }
      // The portal itself is there: its routes still get its page.
      const portal = await fetch(`${s.url}/usage`);
      expect(portal.status).toBe(200);
      expect(await portal.text()).toContain("<title>portal</title>");
    });
  });
});

describe("the portal's files", () => {
  const script = `console.log(${JSON.stringify("headroom ".repeat(400))});\n`;
  let clientDir: string;
  beforeAll(() => {
    clientDir = mkdtempSync(join(tmpdir(), "headroom-client-"));
    writeFileSync(join(clientDir, "index.html"), "<!doctype html><title>portal</title>");
    mkdirSync(join(clientDir, "assets"));
    writeFileSync(join(clientDir, "assets", "app-abc123.js"), script);
    writeFileSync(join(clientDir, "assets", "app-abc123.js.br"), brotliCompressSync(script));
    writeFileSync(join(clientDir, "assets", "app-abc123.js.gz"), gzipSync(script));
  });
  afterAll(() => rmSync(clientDir, { recursive: true, force: true }));

  /** The raw answer (node:http does not decode), so the test sees what went over the wire. */
  function get(url: string, acceptEncoding: string | null): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = httpGet(url, { headers: acceptEncoding === null ? {} : { "accept-encoding": acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
    });
  }

  it("hashed assets go out pre-compressed (brotli first, then gzip), cached for a year, varying by encoding; index.html is asked for again on every load and kept by no shared cache", async () => {
    const s = await startTestServer({ clock, clientDir });
    try {
      const url = `${s.url}/assets/app-abc123.js`;
      const br = await get(url, "gzip, deflate, br");
      expect(br.status).toBe(200);
      expect(br.headers["content-encoding"]).toBe("br");
      expect(brotliDecompressSync(br.body).toString("utf8")).toBe(script);
      expect(br.body.length).toBeLessThan(script.length / 4);
      expect(br.headers["content-type"]).toMatch(/^(application|text)\/javascript/);
      expect(br.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(br.headers.vary).toMatch(/Accept-Encoding/i);

      const gz = await get(url, "gzip");
      expect(gz.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(gz.body).toString("utf8")).toBe(script);

      const plain = await get(url, null);
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.body.toString("utf8")).toBe(script);
      expect(plain.headers.vary).toMatch(/Accept-Encoding/i);

      expect((await get(`${s.url}/assets/missing-000.js`, "br")).status).toBe(404);
      const page = await get(`${s.url}/usage`, "br");
      expect(page.headers["cache-control"]).toBe("private, no-cache");
      expect(page.body.toString("utf8")).toContain("<title>portal</title>");
    } finally {
      await s.stop();
    }
  });
});
