import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "@playwright/test";
import { expect, serverAuth, signInAsCustomer, test } from "./fixtures";
import { signInAsOperator } from "./operator-fixtures";

/**
 * Every CSP violation the page reports, from the DOM event (installed before any page script) and
 * from Chromium's own console message, across navigations.
 */
function recordCspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (text.startsWith("csp-violation ") || /Content Security Policy/i.test(text)) seen.push(`${page.url()}: ${text}`);
  });
  void page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.warn(`csp-violation ${e.violatedDirective} blocked ${e.blockedURI || "inline"} ${e.sample}`);
    });
  });
  return seen;
}

/**
 * A page of "the provider's own app" on another origin (another loopback port: Chromium does not let
 * a page from outside the machine load resources from loopback, so the other site is local too).
 */
async function serveProviderPage(html: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test.describe("security headers in the browser", () => {
  test("the portal's pages run under the CSP without a violation; the usage charts render", async ({ page }) => {
    test.slow(); // a dozen page loads
    const violations = recordCspViolations(page);
    const signIn = await page.request.get("/sign-in");
    expect(signIn.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.goto("/sign-in");
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();

    await signInAsCustomer(page, "acc_demo_acme");
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
    const days = page.getByRole("figure", { name: "Last 30 days" });
    await expect(days.locator("svg.chart-surface")).toHaveCount(1);
    await expect(days.locator(".chart-bar").first()).toBeAttached();

    for (const [path, heading] of [
      ["/plans", "Plans"],
      ["/plans/change?to=business", "Change plan"],
      ["/keys", "API keys"],
      ["/billing", "Billing"],
      ["/notices", "Notices"],
      ["/settings", "Settings"],
    ] as const) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1, ...(heading ? { name: heading } : {}) })).toBeVisible();
    }
    // A dialog (its scroll lock injects a stylesheet) opens and closes under the policy.
    await page.goto("/keys");
    await page.getByRole("button", { name: "Create key" }).first().click();
    await expect(page.getByRole("dialog")).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);

    expect(violations).toEqual([]);
  });

  test("the console's pages run under the CSP without a violation; the metrics chart renders", async ({ page }) => {
    test.slow(); // the operator's sign-in link comes from the CLI, then nine page loads
    const violations = recordCspViolations(page);
    await signInAsOperator(page);
    for (const path of ["/console", "/console/enforcement", "/console/approvals", "/console/anomalies", "/console/support", "/console/outbox", "/console/audit", "/console/accounts/acc_demo_acme"]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    }
    await page.goto("/console/metrics");
    await expect(page.getByRole("figure", { name: "API calls per day" }).locator("svg.chart-surface")).toHaveCount(2); // all calls, and the calls over a cap on their own scale
    expect(violations).toEqual([]);
  });

  test("the server-rendered unsubscribe page keeps its inline stylesheet (allowed by hash)", async ({ page }) => {
    const violations = recordCspViolations(page);
    await page.goto("/unsubscribe?token=not-a-token");
    await expect(page.getByRole("heading", { name: "This link is not valid" })).toBeVisible();
    // The stylesheet applied: the page's background is slate-50, not the browser's white.
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(248, 250, 252)");
    expect(violations).toEqual([]);
  });

  test("another site cannot frame the consent wizard", async ({ page, baseURL }) => {
    const framer = await serveProviderPage(`<!doctype html><title>Framer</title><iframe src="${baseURL}/plans/change?to=business"></iframe>`);
    try {
      const refused = page.waitForEvent("console", (msg) => /frame-ancestors/.test(msg.text()));
      await page.goto(framer.url);
      await refused;
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(frame, "the iframe exists").toBeDefined();
      expect(await frame!.locator("#root").count()).toBe(0);
    } finally {
      await framer.close();
    }
  });

  test("the embeddable banner loads and renders on another origin's page", async ({ page, baseURL }) => {
    const account = "acc_demo_brightline";
    const { banner } = (await (await page.request.get(`/v1/accounts/${account}/banner`, { headers: serverAuth })).json()) as { banner: { title: string } | null };
    expect(banner, "the demo account has a banner to show").not.toBeNull();
    const { token } = (await (await page.request.post(`/v1/accounts/${account}/banner-tokens`, { headers: serverAuth })).json()) as { token: string };
    const provider = await serveProviderPage(
      `<!doctype html><title>Provider app</title><script src="${baseURL}/embed/banner.js" defer></script><headroom-banner token="${token}"></headroom-banner>`,
    );
    try {
      const errors: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() === "error") errors.push(msg.text());
      });
      const script = page.waitForResponse(`${baseURL}/embed/banner.js`);
      const json = page.waitForResponse((r) => r.url().startsWith(`${baseURL}/embed/banner?`));
      await page.goto(provider.url);
      expect((await script).status()).toBe(200);
      expect((await json).status()).toBe(200);
      await expect(page.locator("headroom-banner").getByRole("status")).toContainText(banner!.title);
      expect(errors).toEqual([]);
    } finally {
      await provider.close();
    }
  });
});
