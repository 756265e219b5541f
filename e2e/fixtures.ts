import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";
import Database from "better-sqlite3";

export const SERVER_TOKEN = process.env.E2E_SERVER_TOKEN!;

/** The headers of the provider's backend on `/v1`. */
export const serverAuth = { authorization: `Bearer ${SERVER_TOKEN}` };

/** Where the specs put the screenshots they take for review. */
export const SHOTS = "test-results/screenshots";

/** The e2e server's own SQLite file (a fresh one per run, see playwright.config.ts). */
export const DATABASE_PATH = join(process.env.E2E_DIR!, "headroom.db");

/** The e2e server's database, opened directly: for what no API shows, or to make a link expire. Close it after use. */
export function database(): Database.Database {
  return new Database(DATABASE_PATH);
}

/** A one-time portal sign-in URL, made the way a provider's backend makes it: POST /v1/portal-sessions. */
export async function portalSessionUrl(request: APIRequestContext, accountId: string, returnUrl = "https://app.acme-provider.example/dashboard"): Promise<string> {
  const res = await request.post("/v1/portal-sessions", { headers: serverAuth, data: { accountId, returnUrl } });
  expect(res.status()).toBe(201);
  return ((await res.json()) as { url: string }).url;
}

/** Signs a customer in the way a provider's backend does: POST /v1/portal-sessions, then open the URL. */
export async function signInAsCustomer(page: Page, accountId: string, returnUrl?: string): Promise<void> {
  await page.goto(await portalSessionUrl(page.request, accountId, returnUrl));
}

/** No serious or critical WCAG 2.1 A/AA violations on what is on screen now. */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
  expect(serious).toEqual([]);
}

/** "$16.72" → 1672, "$1,234.56" → 123456, "−$2.85" → -285, "€40.00" → 4000: money as shown (in dollars, euros or pounds), back to minor units, to check the sums. */
export function minor(text: string): number {
  const m = /(−|-)?[$€£]([\d,]+)\.(\d\d)/.exec(text);
  if (!m) throw new Error(`no amount in "${text}"`);
  return (m[1] ? -1 : 1) * (Number(m[2]!.replace(/,/g, "")) * 100 + Number(m[3]));
}

export const test = base;
export { expect };
