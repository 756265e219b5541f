import { sqliteOf } from "../db/queries/dispatch";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import type { Catalog } from "../../shared/catalog";
import type { BillingInterval } from "../../shared/plans";
import { confirmationFor } from "../../shared/consent";
import { eq } from "drizzle-orm";
import Stripe from "stripe";
import { createAccount } from "../accounts/accounts";
import { accounts } from "../db/schema";
import type { ManualClock } from "../lib/clock";
import { startTestServer, type TestServer } from "./test-server";
import type { Consenter } from "../billing/plan-change";
import type { QuoteRow } from "../billing/quote";
import { basePriceKey } from "../billing/stripe/stripe-catalog";
import { syncStripeCatalog } from "../billing/stripe/stripe-catalog";
import { createStripeClient } from "../billing/stripe/stripe-client";
import { StripeDouble } from "./stripe-double";

export const WEBHOOK_SECRET = "whsec_test_headroom_webhook_secret";
export const who: Consenter = { signedInAs: "ops@acme.example", ip: "127.0.0.1", userAgent: "vitest" };

export interface StripeTest {
  srv: TestServer;
  double: StripeDouble;
  /** A client of the double for the test's own use (catalog, signing events). */
  stripe: Stripe;
  stop(): Promise<void>;
}

/**
 * Headroom with the Stripe provider, pointed at a fresh Stripe double that already has the catalog
 * (`stripe sync`). A restart: `double` (the Stripe account so far) and `databasePath` (the database of
 * the server before), and `sync: false` to leave the catalog's prices to the test.
 */
export async function startStripeTest(clock: ManualClock, opts: { webhookSecret?: string | null; catalog?: Catalog; double?: StripeDouble; databasePath?: string; sync?: boolean } = {}): Promise<StripeTest> {
  const double = opts.double ?? (await StripeDouble.start(clock));
  const stripe = createStripeClient("sk_test_headroom", { apiBase: double.url, timeoutMs: 2_000 });
  const catalog = opts.catalog ?? demoCatalog;
  if (opts.sync !== false) await syncStripeCatalog(stripe, catalog, { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
  double.clearRequests();
  const secret = opts.webhookSecret === undefined ? WEBHOOK_SECRET : opts.webhookSecret;
  const srv = await startTestServer({
    clock,
    catalog,
    env: { STRIPE_SECRET_KEY: "sk_test_headroom", STRIPE_API_BASE: double.url, ...(secret ? { STRIPE_WEBHOOK_SECRET: secret } : {}), ...(opts.databasePath ? { DATABASE_PATH: opts.databasePath } : {}) },
    // Short timeouts and quick retries; the worker only runs when a test asks it to.
    stripe: { timeoutMs: 400, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, workerIntervalMs: 3_600_000, usage: { backoffMs: 60_000 } },
  });
  await srv.deps.stripe!.worker.runOnce();
  return {
    srv,
    double,
    stripe,
    stop: async () => {
      await srv.stop();
      await double.stop();
    },
  };
}

/** An account billed by a Stripe subscription on `planId`, in the period [startMs, endMs). */
export async function linkedAccount(t: StripeTest, clock: ManualClock, planId: "starter" | "pro" | "business" | "enterprise", period: { startMs: number; endMs: number }, extraKeys: string[] = [], interval: BillingInterval = "month") {
  const email = `${Math.random().toString(36).slice(2)}@example.com`;
  const account = await createAccount(t.srv.deps.db, t.srv.deps.catalog, clock, { name: "Acme", email, planId }, { billingAnchorMs: period.startMs, billingInterval: interval });
  const customer = t.double.createCustomer(email);
  const sub = t.double.createSubscription(customer.id, [basePriceKey(planId, interval), ...extraKeys], { startS: period.startMs / 1000, endS: period.endMs / 1000 }, { headroom_account_id: account.id });
  sqliteOf(t.srv.deps.db, "The Stripe harness's account link").update(accounts).set({ stripeCustomerId: customer.id, stripeSubscriptionId: sub.id }).where(eq(accounts.id, account.id)).run();
  return { accountId: account.id, customerId: customer.id as string, subscriptionId: sub.id as string, itemId: sub.items.data[0].id as string };
}

export const accepted = (q: QuoteRow, opts: { overage?: boolean } = {}) => confirmationFor(q, opts);

/** Posts a signed event to POST /webhooks/stripe. */
export async function postEvent(t: StripeTest, event: object, opts: { secret?: string; timestampS?: number; header?: string } = {}) {
  const payload = JSON.stringify(event);
  const header = opts.header ?? t.stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? WEBHOOK_SECRET, timestamp: opts.timestampS ?? Math.floor(t.srv.deps.clock.now() / 1000) });
  const res = await fetch(`${t.srv.url}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": header }, body: payload });
  return { status: res.status, body: (await res.json()) as { result?: string; title?: string } };
}

export const sql = (t: StripeTest) => t.srv.sqlite;
export const planOf = (t: StripeTest, accountId: string) => t.srv.sqlite.prepare("select plan_id from accounts where id = ?").pluck().get(accountId) as string;
export const count = (t: StripeTest, table: string, accountId: string) => t.srv.sqlite.prepare(`select count(*) from ${table} where account_id = ?`).pluck().get(accountId) as number;
