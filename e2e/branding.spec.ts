import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Page } from "@playwright/test";
import { startSmtpSink } from "../server/testing/smtp-sink";
import { startCatalogServer, type CatalogServer } from "./catalog-server";
import { expect, expectNoSeriousA11yViolations, SHOTS, test } from "./fixtures";

/**
 * A provider's own brand, set in the environment, as its customers and operators see it: the
 * portal's name, colour, footer and page titles, the e-mails, and the operator's own sign-in route.
 * The spec runs its own server (the suite's keeps Headroom's look) with an SMTP server to receive mail.
 */
const BRAND = {
  BRAND_NAME: "Orbit Weather API",
  BRAND_PRIMARY_COLOR: "#0F766E",
  BRAND_SUPPORT_EMAIL: "help@orbit-weather.example",
  BRAND_LEGAL_LABEL: "Terms & privacy",
  BRAND_LEGAL_URL: "https://orbit-weather.example/legal",
};
/** #0f766e as the browser reports a computed colour. */
const PRIMARY_RGB = "rgb(15, 118, 110)";
const ADMIN_TOKEN = "e2e-branding-admin-token-0123456789";

const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="28" viewBox="0 0 160 28"><circle cx="14" cy="14" r="12" fill="#0f766e"/><text x="32" y="20" font-family="sans-serif" font-size="16" font-weight="600" fill="#0f172a">Orbit Weather</text></svg>`;

let server: CatalogServer;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
/** The provider's own host for its logo: another origin than the portal's. */
let logoHost: Server;
let logoUrl: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  smtp = await startSmtpSink();
  logoHost = createServer((_req, res) => res.writeHead(200, { "content-type": "image/svg+xml" }).end(LOGO_SVG));
  await new Promise<void>((r) => logoHost.listen(0, "127.0.0.1", () => r()));
  logoUrl = `http://127.0.0.1:${(logoHost.address() as AddressInfo).port}/logo.svg`;
  server = await startCatalogServer("branding", "headroom.catalog.json", { ...BRAND, BRAND_LOGO_URL: logoUrl, SMTP_URL: smtp.url, HEADROOM_ADMIN_TOKEN: ADMIN_TOKEN });
  mkdirSync(SHOTS, { recursive: true });
});

test.afterAll(async () => {
  await server?.stop();
  await smtp?.close();
  await new Promise((r) => logoHost?.close(r));
});

/** The provider's logo, loaded from its own host (the portal's img-src allows it). */
async function expectLogo(page: Page, within: ReturnType<Page["getByRole"]>) {
  const logo = within.getByRole("img", { name: "Orbit Weather API" });
  await expect(logo).toHaveAttribute("src", logoUrl);
  await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
}

async function shots(page: Page, name: string) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
    await page.screenshot({ path: `${SHOTS}/branding-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test.describe("the provider's brand", () => {
  test("the sign-in page names the provider, in its colour, with its support address and legal link, and no operator sign-in", async ({ page }) => {
    await page.goto(`${server.base}/sign-in`);
    await expect(page).toHaveTitle("Sign in · Orbit Weather API");
    await expect(page.getByRole("heading", { name: "Sign in to Orbit Weather API", level: 1 })).toBeVisible();
    await expectLogo(page, page.getByRole("main"));
    await page.getByLabel("E-mail address").fill("someone@example.com");
    await expect(page.getByRole("button", { name: "E-mail me a sign-in link" })).toHaveCSS("background-color", PRIMARY_RGB);
    await page.getByLabel("E-mail address").fill("");
    await expect(page.getByRole("link", { name: "help@orbit-weather.example" })).toHaveAttribute("href", "mailto:help@orbit-weather.example");
    await expect(page.getByRole("link", { name: "Terms & privacy" })).toHaveAttribute("href", "https://orbit-weather.example/legal");
    await expect(page.getByText("Contact help@orbit-weather.example")).toBeVisible();
    // The operators' way in is elsewhere: nothing on the customers' page leads to it.
    await expect(page.getByLabel("Admin token")).toHaveCount(0);
    await expect(page.getByText(/operator|admin token/i)).toHaveCount(0);
    await expect(page.locator(`a[href*="/console"]`)).toHaveCount(0);
    await expect(page.locator("body")).not.toContainText("Headroom");
    await expectNoSeriousA11yViolations(page);
    await shots(page, "sign-in");
  });

  test("the portal shows the provider's name and colour, and titles each page", async ({ page }) => {
    await server.signInAsCustomer(page, "acc_demo_acme");
    await expect(page).toHaveURL(/\/usage/);
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
    await expect(page).toHaveTitle("Usage · Acme Analytics · Orbit Weather API");
    await expectLogo(page, page.getByRole("complementary"));
    // The primary colour reaches Tailwind's brand tokens, and the shades derived from it.
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--color-brand-600").trim())).toBe("#0f766e");
    const active = page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Usage" });
    expect(await active.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe("rgb(238, 242, 255)");
    await expect(page.getByTestId("brand-footer").first()).toContainText("Contact help@orbit-weather.example");
    await expect(page.locator("body")).not.toContainText("Headroom");
    await expectNoSeriousA11yViolations(page);
    await shots(page, "usage");

    await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Plans" }).click();
    await expect(page.getByRole("heading", { name: "Plans", level: 1 })).toBeVisible();
    await expect(page).toHaveTitle("Plans · Acme Analytics · Orbit Weather API");
    await page.goto(`${server.base}/keys`);
    await expect(page).toHaveTitle("API keys · Acme Analytics · Orbit Weather API");
  });

  test("the sign-in e-mail comes from the provider, in its name, with its support address and legal link", async ({ page }) => {
    await page.goto(`${server.base}/sign-in`);
    await page.getByLabel("E-mail address").fill("ops@acme-analytics.example");
    await page.getByRole("button", { name: "E-mail me a sign-in link" }).click();
    await expect(page.getByText("Check your inbox")).toBeVisible();
    const signInMail = () => smtp.received.find((m) => m.to.includes("ops@acme-analytics.example") && /^Subject: Your sign-in link/m.test(m.decoded));
    await expect.poll(() => Boolean(signInMail()), { timeout: 15_000 }).toBe(true);
    const mail = signInMail()!.decoded;
    expect(mail).toMatch(/^From: Orbit Weather API <no-reply@headroom\.local>/m);
    expect(mail).toContain("sign in to your Orbit Weather API portal");
    expect(mail).toContain("Questions? Contact help@orbit-weather.example");
    expect(mail).toContain("Terms & privacy: https://orbit-weather.example/legal");
    expect(mail).toContain(`style="color:#0f766e"`);
    expect(mail).toContain(`<img src="${logoUrl}" alt="Orbit Weather API"`);
    // The link in it signs the customer in to the same branded portal.
    const link = /(http:\/\/127\.0\.0\.1:\d+\/auth\/link\?token=[\w-]+)/.exec(mail)![1]!;
    await page.goto(link);
    await expect(page).toHaveTitle("Usage · Acme Analytics · Orbit Weather API");
  });

  test("operators sign in with the admin token on the console's own route; console pages carry the console in their titles", async ({ page }) => {
    await page.goto(`${server.base}/console/accounts`);
    await expect(page).toHaveURL(/\/console\/sign-in\?next=%2Fconsole%2Faccounts$/);
    await expect(page).toHaveTitle("Sign in · Console · Orbit Weather API");
    await expect(page.getByRole("heading", { name: "Sign in to the console", level: 1 })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await shots(page, "console-sign-in");
    await page.getByLabel("Admin token").fill("not-the-token-at-all");
    await page.getByRole("button", { name: "Sign in to the console" }).click();
    await expect(page.getByRole("alert")).toHaveText("That admin token is not valid.");
    await page.getByLabel("Your name").fill("Dana Reyes");
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in to the console" }).click();
    await expect(page).toHaveURL(/\/console\/accounts$/);
    await expect(page).toHaveTitle("Accounts · Console · Orbit Weather API");
    // The name given at sign-in is who the console says is signed in (and who the audit log names).
    await expect(page.getByRole("banner")).toContainText("Signed in as Dana Reyes");
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Audit log" }).click();
    await expect(page).toHaveTitle("Audit log · Console · Orbit Weather API");
    await expectLogo(page, page.getByRole("banner"));
  });
});
