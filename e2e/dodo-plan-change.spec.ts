import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { PRICE_KEY_METADATA } from "../server/billing/dodo/dodo-products";
import { DodoDouble } from "../server/testing/dodo-double";
import { freePort } from "./catalog-server";
import { expect, minor, test } from "./fixtures";

/**
 * The plan-change wizard once with the Dodo Payments provider: a server of this spec's own with
 * DODO_PAYMENTS_API_KEY, pointed (DODO_PAYMENTS_BASE_URL) at a Dodo double running in the spec's
 * process, the demo account Copperleaf linked to a Dodo subscription on Starter.
 */
const DAY = 86_400_000;
let double: DodoDouble;
let server: ChildProcess;
let exited: Promise<void>;
let dir: string;
let base: string;
const token = `e2e-dodo-token-${process.pid}-${Date.now()}`;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  double = new DodoDouble();
  await double.start();
  for (const [id, name, price] of [["starter", "Starter", 2_900], ["pro", "Pro", 4_900], ["business", "Business", 19_900], ["enterprise", "Enterprise", 99_000]] as const) {
    double.createProduct({ name, price, metadata: { [PRICE_KEY_METADATA]: `headroom_${id}_monthly` } });
  }
  dir = mkdtempSync(join(tmpdir(), "headroom-e2e-dodo-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ["--import", "tsx", "server/cli.ts", "start"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: base,
      DATABASE_PATH: join(dir, "headroom.db"),
      HEADROOM_SERVER_TOKEN: token,
      HEADROOM_DEMO: "true",
      LOG_LEVEL: "warn",
      DODO_PAYMENTS_API_KEY: "dodo_test_e2e_key",
      DODO_PAYMENTS_BASE_URL: double.baseUrl,
      DODO_PAYMENTS_WEBHOOK_KEY: double.webhookKey,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  exited = new Promise<void>((r) => server.once("exit", () => r()));
  let up = false;
  for (let i = 0; i < 240 && !up && server.exitCode === null; i++) {
    up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 250));
  }
  expect(up, "the Dodo server started").toBe(true);
});

test.afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill("SIGTERM");
    await exited;
  }
  await double?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("Copperleaf upgrades to Business through Dodo Payments: Dodo's preview, consent in the proration mode's words, one change for a double click", async ({ page }) => {
  test.slow();
  // Copperleaf (Starter) bills through a Dodo subscription, two thirds of its period left.
  const now = Date.now();
  const customer = double.createCustomer("it@copperleaf.example");
  const starter = [...double.products.values()].find((p) => p.name === "Starter")!;
  const business = [...double.products.values()].find((p) => p.name === "Business")!;
  const sub = double.createSubscription(customer.customer_id, starter.product_id, { startMs: now - 10 * DAY, endMs: now + 20 * DAY }, { headroom_account_id: "acc_demo_copperleaf" });
  const db = new Database(join(dir, "headroom.db"));
  db.prepare("update accounts set stripe_customer_id = ?, stripe_subscription_id = ? where id = 'acc_demo_copperleaf'").run(customer.customer_id, sub.subscription_id);
  db.close();

  const session = await page.request.post(`${base}/v1/portal-sessions`, { headers: { authorization: `Bearer ${token}` }, data: { accountId: "acc_demo_copperleaf", returnUrl: "https://app.acme-provider.example/dashboard" } });
  expect(session.status()).toBe(201);
  await page.goto(((await session.json()) as { url: string }).url);

  await page.goto(`${base}/plans/change?to=business`);
  await expect(page.getByRole("radio", { name: "Business" })).toBeChecked();
  await page.getByRole("button", { name: "Preview the switch to Business" }).click();
  await expect(page.getByRole("heading", { name: "Preview: Starter → Business" })).toBeVisible();
  const [preview] = double.calls("POST", /\/change-plan\/preview$/);
  expect(preview!.body).toMatchObject({ product_id: business.product_id, proration_billing_mode: "prorated_immediately", quantity: 1 });
  // Dodo's numbers: about two thirds of Business, less two thirds of Starter.
  const dueNow = minor((await page.getByTestId("due-now").textContent())!);
  expect(dueNow).toBeGreaterThan(11_000);
  expect(dueNow).toBeLessThan(11_400);
  expect(minor((await page.getByTestId("lines-total").textContent())!)).toBe(dueNow);

  await page.getByRole("button", { name: "Continue" }).click();
  const dueText = `$${(dueNow / 100).toFixed(2)}`;
  const consentText = (await page.getByTestId("consent-text").textContent())!;
  expect(consentText).toContain(`I authorise a charge of ${dueText} now and $199.00 every month from`);
  expect(consentText).toContain(`The ${dueText} charged now is the Business plan's price for the rest of my current billing period, less a credit for the unused time on my Starter plan.`);
  await page.getByRole("checkbox", { name: consentText }).check();
  await page.getByRole("button", { name: `Pay ${dueText} and switch` }).dblclick();

  await expect(page.getByRole("heading", { name: "You are now on Business" })).toBeVisible();
  await expect(page.getByTestId("receipt-charged")).toContainText(dueText);
  const changes = double.calls("POST", new RegExp(`^/subscriptions/${sub.subscription_id}/change-plan$`));
  expect(changes).toHaveLength(1);
  expect(changes[0]!.body).toEqual({ product_id: business.product_id, quantity: 1, proration_billing_mode: "prorated_immediately", effective_at: "immediately", on_payment_failure: "prevent_change" });
  expect(double.subscriptions.get(sub.subscription_id)!.product_id).toBe(business.product_id);
});

test("the Billing page opens Dodo's customer portal; the console's account page reads Dodo's usage of the account", async ({ page, browser }) => {
  test.slow();
  const now = Date.now();
  const customer = double.createCustomer("dev@brightline.example");
  const starter = [...double.products.values()].find((p) => p.name === "Starter")!;
  const sub = double.createSubscription(customer.customer_id, starter.product_id, { startMs: now - 5 * DAY, endMs: now + 25 * DAY }, { headroom_account_id: "acc_demo_brightline" });
  const db = new Database(join(dir, "headroom.db"));
  db.prepare("update accounts set stripe_customer_id = ?, stripe_subscription_id = ? where id = 'acc_demo_brightline'").run(customer.customer_id, sub.subscription_id);
  db.close();

  // The customer: "Payment methods" opens a session in Dodo's customer portal that returns to the Billing page.
  const session = await page.request.post(`${base}/v1/portal-sessions`, { headers: { authorization: `Bearer ${token}` }, data: { accountId: "acc_demo_brightline" } });
  expect(session.status()).toBe(201);
  await page.goto(((await session.json()) as { url: string }).url);
  await page.route(`${double.baseUrl}/portal/**`, (route) => route.fulfill({ contentType: "text/html", body: "<title>Dodo customer portal</title><h1>Dodo customer portal</h1>" }));
  await page.goto(`${base}/billing`);
  const portal = page.getByRole("region", { name: "Payment methods" });
  await expect(portal).toBeVisible();
  await portal.getByRole("button", { name: "Update payment method and see receipts" }).click();
  await expect(page).toHaveURL(new RegExp(`/portal/${customer.customer_id}\\?return_url=${encodeURIComponent(`${base}/billing`).replace(/[.?*+^$()[\]{}|\\]/g, "\\$&")}$`));
  expect(double.calls("POST", new RegExp(`^/customers/${customer.customer_id}/customer-portal/session$`))).toHaveLength(1);

  // The operator: the account page reads Dodo's usage history and sets it against what Headroom sent.
  const link = spawnSync(process.execPath, ["--import", "tsx", "server/cli.ts", "operator-link", "--json"], { env: { ...process.env, DATABASE_PATH: join(dir, "headroom.db"), PUBLIC_URL: base, HEADROOM_SERVER_TOKEN: token }, encoding: "utf8" });
  expect(link.status, link.stderr).toBe(0);
  const operator = await browser.newPage();
  await operator.goto((JSON.parse(link.stdout) as { url: string }).url);
  await operator.goto(`${base}/console/accounts/acc_demo_brightline`);
  const usage = operator.getByTestId("dodo-usage");
  await expect(usage.getByRole("heading", { name: "Usage at Dodo Payments" })).toBeVisible();
  // Brightline's Starter product bills no usage at Dodo: the page says so rather than showing an empty table.
  await expect(usage).toContainText("bills no usage: nothing metered to compare");
  expect(double.calls("GET", new RegExp(`^/subscriptions/${sub.subscription_id}/usage-history$`)).length).toBeGreaterThan(0);
  await operator.close();
});
