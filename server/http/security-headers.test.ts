import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { ManualClock } from "../lib/clock";
import { unsubscribeToken } from "../notify/unsubscribe";
import { startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";

const clock = new ManualClock(Date.parse("2026-11-25T14:02:31Z"));
const PROVIDER = "https://app.provider.example";
let clientDir: string;
let srv: TestServer;

/** The CSP as a map of directive → sources. */
function policy(res: Response): Map<string, string[]> {
  const header = res.headers.get("content-security-policy") ?? "";
  return new Map(
    header
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!, sources]),
  );
}

beforeAll(async () => {
  // A built portal stand-in: the server serves index.html for every client-side route.
  clientDir = mkdtempSync(join(tmpdir(), "headroom-client-"));
  mkdirSync(join(clientDir, "assets"));
  writeFileSync(join(clientDir, "index.html"), `<!doctype html><html><head><script type="module" src="/assets/index.js"></script></head><body><div id="root"></div></body></html>`);
  writeFileSync(join(clientDir, "assets", "index.js"), "export {};\n");
  srv = await startTestServer({ clock, clientDir });
});
afterAll(async () => {
  await srv.stop();
  rmSync(clientDir, { recursive: true, force: true });
});

describe("security headers on HTML", () => {
  it.each(["/", "/usage", "/plans/change?to=business", "/console", "/console/accounts/acc_x", "/sign-in", "/index.html"])("the portal at %s", async (path) => {
    const res = await fetch(`${srv.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = policy(res);
    expect(csp.get("script-src")).toEqual(["'self'"]);
    expect(csp.get("script-src-attr")).toEqual(["'none'"]);
    expect(csp.get("default-src")).toEqual(["'self'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    // Plain http: neither HSTS nor an upgrade of subresources.
    expect(res.headers.get("strict-transport-security")).toBeNull();
    expect(csp.has("upgrade-insecure-requests")).toBe(false);
  });

  it("the one-time sign-in link keeps no-referrer on its redirect", async () => {
    const res = await fetch(`${srv.url}/auth/link?token=nope`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("the unsubscribe pages allow their own inline stylesheet by its hash, and nothing else", async () => {
    const account = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: "a@example.com", planId: "starter" })).id;
    const token = encodeURIComponent(unsubscribeToken(srv.deps.serverToken, account, "approaching"));
    const pages = [
      await fetch(`${srv.url}/unsubscribe?token=${token}`),
      await fetch(`${srv.url}/unsubscribe?token=not-a-token`),
      await fetch(`${srv.url}/unsubscribe?token=${token}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" }),
    ];
    expect(pages.map((r) => r.status)).toEqual([200, 400, 200]);
    for (const res of pages) {
      const html = await res.text();
      const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
      const csp = policy(res);
      expect(csp.get("style-src")).toEqual([`'sha256-${createHash("sha256").update(css).digest("base64")}'`]);
      expect(csp.get("default-src")).toEqual(["'none'"]);
      expect(csp.has("script-src")).toBe(false);
      expect(csp.get("form-action")).toEqual(["'self'"]);
      expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
    }
  });
});

describe("the embeddable banner from another origin", () => {
  it("serves its script to any page: cross-origin resource policy, CORS, a JavaScript type with nosniff", async () => {
    const res = await fetch(`${srv.url}/embed/banner.js`, { headers: { origin: PROVIDER, "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "script" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/javascript");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.text()).toContain("customElements.define");
  });

  it("answers the banner JSON to a cross-origin fetch without credentials", async () => {
    const account = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Brightline", email: "b@example.com", planId: "starter" })).id;
    const tokenRes = await fetch(`${srv.url}/v1/accounts/${account}/banner-tokens`, { method: "POST", headers: { authorization: `Bearer ${TEST_SERVER_TOKEN}` } });
    const { token } = (await tokenRes.json()) as { token: string };
    const res = await fetch(`${srv.url}/embed/banner?token=${encodeURIComponent(token)}`, { headers: { origin: PROVIDER, "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(await res.json()).toEqual({ banner: null });
  });

  it("keeps the rest of the app same-origin", async () => {
    const res = await fetch(`${srv.url}/assets/index.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("behind https (PUBLIC_URL)", () => {
  it("adds HSTS and upgrades insecure subresources", async () => {
    const https = await startTestServer({ clock, clientDir, env: { PUBLIC_URL: "https://headroom.example" } });
    try {
      const res = await fetch(`${https.url}/usage`);
      expect(res.status).toBe(200);
      expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000");
      expect(policy(res).has("upgrade-insecure-requests")).toBe(true);
    } finally {
      await https.stop();
    }
  });
});
