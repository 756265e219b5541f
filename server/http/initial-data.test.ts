import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DehydratedState } from "@tanstack/react-query";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { ManualClock } from "../lib/clock";
import { DIALECTS, cookieFrom, startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";
import { INITIAL_DATA_ELEMENT_ID } from "./initial-data";

const BLOCK = new RegExp(`<script type="application/json" id="${INITIAL_DATA_ELEMENT_ID}">(.*?)</script>`, "s");

describe.each(DIALECTS)("index.html carries the page's first reads, on %s", (dialect) => {
  const clock = new ManualClock(Date.parse("2026-11-25T14:02:31Z"));
  let srv: TestServer;
  let clientDir: string;
  let accountId: string;
  let cookie: string;

  beforeAll(async () => {
    clientDir = mkdtempSync(join(tmpdir(), "headroom-client-"));
    writeFileSync(join(clientDir, "index.html"), "<!doctype html><html><head><title>Headroom</title></head><body><div id=root></div></body></html>");
    srv = await startTestServer({ clock, clientDir, dialect });
    // A name that tries to close the data block: it must come back as written, and close nothing.
    accountId = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme </script><script>alert(1)</script>", email: "a@example.com", planId: "starter" })).id;
    await srv.sql("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 1000, 3016, 0, 0, 268)", Date.parse("2026-11-25T00:00:00Z"), accountId);
    const res = await fetch(`${srv.url}/v1/portal-sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ accountId }),
    });
    const landed = await fetch(((await res.json()) as { url: string }).url, { redirect: "manual" });
    cookie = cookieFrom(landed);
  });
  afterAll(async () => {
    await srv.stop();
    rmSync(clientDir, { recursive: true, force: true });
  });

  async function page(path: string, withCookie: boolean) {
    const res = await fetch(`${srv.url}${path}`, { headers: withCookie ? { cookie } : {} });
    const html = await res.text();
    const block = BLOCK.exec(html)?.[1];
    const state = block === undefined ? null : (JSON.parse(block) as DehydratedState);
    const data = new Map((state?.queries ?? []).map((q) => [(q.queryKey[0] as string[]).join("."), q.state.data]));
    return { res, html, data };
  }

  async function trpc(path: string): Promise<unknown> {
    const res = await fetch(`${srv.url}/trpc/${path}`, { headers: { cookie } });
    return ((await res.json()) as { result: { data: unknown } }).result.data;
  }

  it("the usage page: the session, the banner and the page's numbers, the same as the portal's own requests answer", async () => {
    const { res, html, data } = await page("/usage", true);
    expect(res.status).toBe(200);
    // Personal data: no shared cache keeps it, and the browser asks again on every load.
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect([...data.keys()].sort()).toEqual(["notices.banner", "plans.list", "session.me", "usage.history", "usage.overview"]);
    expect(data.get("session.me")).toEqual(await trpc("session.me"));
    expect(data.get("usage.overview")).toEqual(await trpc("usage.overview"));
    expect(data.get("usage.history")).toEqual(await trpc("usage.history"));
    expect(data.get("notices.banner")).toEqual(await trpc("notices.banner"));
    expect((data.get("session.me") as { account: { name: string } }).account.name).toBe("Acme </script><script>alert(1)</script>");
    expect(html).not.toContain("<script>alert(1)");
    // The block sits in the head, once, before the app's script.
    expect(html.match(BLOCK)).toHaveLength(2);
    expect(html.indexOf(INITIAL_DATA_ELEMENT_ID)).toBeLessThan(html.indexOf("</head>"));
  });

  it("another portal page: the session and the banner only; a signed-out visitor: only that nobody is signed in", async () => {
    const plans = await page("/plans/change", true);
    expect([...plans.data.keys()].sort()).toEqual(["notices.banner", "session.me"]);

    const out = await page("/usage", false);
    expect(out.res.status).toBe(200);
    expect([...out.data.entries()]).toEqual([["session.me", null]]);
    expect(out.html).not.toContain("Acme");
  });

  it("an expired session reads as signed out: nothing of the account goes out", async () => {
    clock.advance(24 * 60 * 60_000 * 400);
    const { data, html } = await page("/usage", true);
    expect([...data.entries()]).toEqual([["session.me", null]]);
    expect(html).not.toContain("Acme");
  });
});
