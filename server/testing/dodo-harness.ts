import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type Database from "better-sqlite3";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import { createAccount } from "../accounts/accounts";
import type { DodoRuntimeOptions } from "../billing/dodo/dodo-billing";
import { PRICE_KEY_METADATA } from "../billing/dodo/dodo-products";
import { basePriceKey } from "../billing/stripe/stripe-catalog";
import { loadConfig } from "../config";
import { sqliteHandle } from "../db/open-store";
import { sqliteOf } from "../db/queries/dispatch";
import { accounts } from "../db/schema";
import type { Deps } from "../deps";
import type { ManualClock } from "../lib/clock";
import { createLogger } from "../lib/logger";
import { createRuntime, startServer } from "../main";
import { DodoDouble } from "./dodo-double";
import { TEST_SERVER_TOKEN } from "./test-server";

export interface DodoTest {
  url: string;
  deps: Deps;
  sqlite: Database.Database;
  double: DodoDouble;
  /** The Dodo product of each paid plan's monthly price. */
  products: Record<"starter" | "pro" | "business" | "enterprise", string>;
  stop(): Promise<void>;
}

/**
 * Headroom with the Dodo provider (the real SDK), pointed at a fresh Dodo double that has a product
 * per paid plan (metadata headroom_price_key). The clock should start at the wall clock's now:
 * webhook signatures are checked against it by the SDK (Standard Webhooks' 5 minutes).
 */
export async function startDodoTest(clock: ManualClock, opts: { webhookKey?: string | null; proration?: string; runtime?: DodoRuntimeOptions } = {}): Promise<DodoTest> {
  const double = new DodoDouble(() => clock.now());
  await double.start();
  const products = {} as DodoTest["products"];
  for (const id of ["starter", "pro", "business", "enterprise"] as const) {
    const plan = demoCatalog.plan(id);
    products[id] = double.createProduct({ name: plan.name, price: plan.priceMinor, metadata: { [PRICE_KEY_METADATA]: basePriceKey(id, "month") } }).product_id;
  }
  const dir = mkdtempSync(join(tmpdir(), "headroom-dodo-"));
  const key = opts.webhookKey === undefined ? double.webhookKey : opts.webhookKey;
  const config = loadConfig({
    DATABASE_PATH: join(dir, "headroom.db"),
    PORT: "0",
    HOST: "127.0.0.1",
    HEADROOM_DEMO: "false",
    HEADROOM_SERVER_TOKEN: TEST_SERVER_TOKEN,
    LOG_LEVEL: "silent",
    DODO_PAYMENTS_API_KEY: "dodo_test_headroom_key",
    DODO_PAYMENTS_BASE_URL: double.baseUrl,
    ...(key ? { DODO_PAYMENTS_WEBHOOK_KEY: key } : {}),
    ...(opts.proration ? { DODO_PAYMENTS_PRORATION: opts.proration } : {}),
  });
  const runtime = await createRuntime({
    config,
    catalog: demoCatalog,
    clock,
    logger: createLogger("silent"),
    busyTimeoutMs: 250,
    // The SDK's own retries as in production (a plan change must turn them off itself); the worker only runs when a test asks it to.
    dodo: { timeoutMs: 2_000, workerIntervalMs: 3_600_000, usage: { backoffMs: 60_000 }, ...opts.runtime },
  });
  const started = await startServer(runtime);
  double.requests.length = 0;
  return {
    url: `http://127.0.0.1:${started.http.port}`,
    deps: runtime.deps,
    sqlite: sqliteHandle(runtime.database),
    double,
    products,
    stop: async () => {
      await started.stop();
      await double.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An account billed by an active Dodo subscription on `planId`, in the period [startMs, endMs). */
export async function dodoAccount(t: DodoTest, clock: ManualClock, planId: "starter" | "pro" | "business" | "enterprise", period: { startMs: number; endMs: number }) {
  const email = `${Math.random().toString(36).slice(2)}@example.com`;
  const account = await createAccount(t.deps.db, t.deps.catalog, clock, { name: "Acme", email, planId }, { billingAnchorMs: period.startMs, billingInterval: "month" });
  const customer = t.double.createCustomer(email);
  const sub = t.double.createSubscription(customer.customer_id, t.products[planId], period, { headroom_account_id: account.id });
  sqliteOf(t.deps.db, "The Dodo harness's account link").update(accounts).set({ stripeCustomerId: customer.customer_id, stripeSubscriptionId: sub.subscription_id }).where(eq(accounts.id, account.id)).run();
  return { accountId: account.id, customerId: customer.customer_id as string, subscriptionId: sub.subscription_id as string };
}

/** Posts a webhook (signed by the double unless headers are given) to POST /webhooks/dodo. */
export async function postDodoWebhook(t: DodoTest, hook: { body: string; headers: Record<string, string> }) {
  const res = await fetch(`${t.url}/webhooks/dodo`, { method: "POST", headers: hook.headers, body: hook.body });
  return { status: res.status, body: (await res.json()) as { result?: string; title?: string } };
}

export const planOfAccount = (t: DodoTest, accountId: string) => t.sqlite.prepare("select plan_id from accounts where id = ?").pluck().get(accountId) as string;
export const countOf = (t: DodoTest, table: string, accountId: string) => t.sqlite.prepare(`select count(*) from ${table} where account_id = ?`).pluck().get(accountId) as number;
