import { demoCatalog } from "../../../shared/testing/demo-catalog";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../../accounts/accounts";
import { ManualClock } from "../../lib/clock";
import { DomainError } from "../../lib/domain-error";
import { refundInvoice } from "../../operator/controls";
import { findInvoice } from "../../db/queries/operator";
import { migrateDatabase, openDatabase } from "../../db/client";
import { confirmPlanChange } from "../plan-change";
import { previewPlanChangeWithProvider } from "../quote";
import { basePriceKey, syncStripeCatalog } from "./stripe-catalog";
import { createStripeClient } from "./stripe-client";
import { StripeDouble } from "../../testing/stripe-double";
import { accepted, linkedAccount, startStripeTest, who, type StripeTest } from "../../testing/stripe-harness";

const utc = (s: string) => Date.parse(s);
const root = resolve(import.meta.dirname, "../../..");

describe("stripe sync", () => {
  let double: StripeDouble;
  beforeEach(async () => {
    double = await StripeDouble.start(new ManualClock(utc("2026-11-16T00:00:00Z")));
  });
  afterEach(() => double.stop());

  it("creates the meters, products and prices of the catalog once; a second run creates nothing", async () => {
    const stripe = createStripeClient("sk_test_headroom", { apiBase: double.url });
    const first = await syncStripeCatalog(stripe, demoCatalog);
    const created = first.filter((a) => a.action === "created").map((a) => `${a.object}:${a.key}`);
    expect(created.sort()).toEqual(
      [
        "meter:headroom_api_calls",
        "meter:headroom_overage_calls",
        "product:headroom_starter",
        "product:headroom_pro",
        "product:headroom_business",
        "product:headroom_enterprise",
        "price:headroom_starter_monthly",
        "price:headroom_pro_monthly",
        "price:headroom_pro_metered",
        "price:headroom_business_monthly",
        "price:headroom_enterprise_monthly",
        "price:headroom_enterprise_metered",
      ].sort(),
    );
    const creates = double.requests.filter((r) => r.method === "POST");
    expect(creates.every((r) => r.idempotencyKey?.startsWith("catalog:"))).toBe(true);
    expect(double.priceByKey("headroom_business_monthly")).toMatchObject({ unit_amount: 19_900, currency: "usd", recurring: { interval: "month", usage_type: "licensed" } });
    expect(double.priceByKey("headroom_pro_metered")).toMatchObject({ unit_amount: 300, transform_quantity: { divide_by: 1000, round: "up" }, recurring: { usage_type: "metered" } });
    expect(double.priceByKey("headroom_enterprise_metered")).toMatchObject({ unit_amount_decimal: "0.05", recurring: { usage_type: "metered" } });

    double.clearRequests();
    const second = await syncStripeCatalog(stripe, demoCatalog);
    expect(second.every((a) => a.action === "unchanged")).toBe(true);
    expect(double.requests.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("replaces a price whose amount differs: the new one takes the lookup key, the old one is archived", async () => {
    const stripe = createStripeClient("sk_test_headroom", { apiBase: double.url });
    await syncStripeCatalog(stripe, demoCatalog);
    const old = double.priceByKey(basePriceKey("starter"));
    old.unit_amount = 2_500;
    const actions = await syncStripeCatalog(stripe, demoCatalog);
    expect(actions.find((a) => a.key === basePriceKey("starter"))).toMatchObject({ action: "updated", detail: `replaces ${old.id} (archived)` });
    expect(double.priceByKey(basePriceKey("starter")).unit_amount).toBe(2_900);
    expect(double.prices.get(old.id)).toMatchObject({ active: false, lookup_key: null });
  });
});

describe("stripe sync when Stripe fails or forgets", () => {
  let clock: ManualClock;
  let double: StripeDouble;
  beforeEach(async () => {
    clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
    double = await StripeDouble.start(clock);
  });
  afterEach(() => double.stop());
  const stripe = () => createStripeClient("sk_test_headroom", { apiBase: double.url });

  it("a renamed or archived product is updated, and an archived price reactivated, each under a stable key of what it writes", async () => {
    await syncStripeCatalog(stripe(), demoCatalog);
    double.products.get("headroom_pro")!.name = "Old name";
    double.products.get("headroom_business")!.active = false;
    const archived = double.priceByKey(basePriceKey("starter"));
    archived.active = false;
    double.clearRequests();
    const actions = await syncStripeCatalog(stripe(), demoCatalog);
    expect(actions.filter((a) => a.action === "updated").map((a) => `${a.object}:${a.key}:${a.detail}`).sort()).toEqual(
      ["price:headroom_starter_monthly:reactivated", "product:headroom_business:name, description or active", "product:headroom_pro:name, description or active"].sort(),
    );
    const [pro] = double.calls("POST", /^\/v1\/products\/headroom_pro$/);
    expect(pro!.params).toMatchObject({ name: "Pro plan", active: "true" });
    expect(pro!.idempotencyKey).toMatch(/^catalog:product:headroom_pro:update:after:[0-9a-f]{16}$/);
    const [price] = double.calls("POST", new RegExp(`^/v1/prices/${archived.id}$`));
    expect(price!.params).toEqual({ active: "true" });
    expect(price!.idempotencyKey).toBe(`catalog:price:${archived.id}:active:true`);
    expect([double.products.get("headroom_pro")!.name, double.products.get("headroom_business")!.active, archived.active]).toEqual(["Pro plan", true, true]);
    // The same run again writes nothing.
    double.clearRequests();
    await syncStripeCatalog(stripe(), demoCatalog);
    expect(double.requests.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("a price reactivated by a request Stripe answered with a 500: prices.retrieve finds it active, nothing sent again", async () => {
    await syncStripeCatalog(stripe(), demoCatalog);
    const archived = double.priceByKey(basePriceKey("pro"));
    archived.active = false;
    double.clearRequests();
    double.failNext("POST", new RegExp(`^/v1/prices/${archived.id}$`), { status: 500, effectApplied: true });
    await syncStripeCatalog(stripe(), demoCatalog, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(double.calls("POST", new RegExp(`^/v1/prices/${archived.id}$`))).toHaveLength(1);
    expect(double.calls("GET", new RegExp(`^/v1/prices/${archived.id}$`))).toHaveLength(1);
    expect(archived.active).toBe(true);
  });

  it("a 500 Stripe saved for a catalog key: the object is read again, and created under a new key only if it is missing", async () => {
    // The product is created, then Stripe answers 500; the price create fails before doing anything.
    double.failNext("POST", /^\/v1\/products$/, { status: 500, effectApplied: true });
    double.failNext("POST", /^\/v1\/prices$/, { status: 500 });
    await syncStripeCatalog(stripe(), demoCatalog, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(double.calls("POST", /^\/v1\/products$/)).toHaveLength(4);
    expect([...double.products.keys()].sort()).toEqual(["headroom_business", "headroom_enterprise", "headroom_pro", "headroom_starter"]);
    const prices = double.calls("POST", /^\/v1\/prices$/);
    expect(prices[0]!.idempotencyKey).toMatch(/^catalog:price:/);
    expect(prices[1]!.idempotencyKey).toBe(`${prices[0]!.idempotencyKey}:after:${prices[1]!.idempotencyKey!.split(":after:")[1]}`);
    expect(double.prices.size).toBe(6);
    // Later runs, inside the key's 24 hours or after it was forgotten, read first and create nothing.
    clock.advance(25 * 3_600_000);
    double.clearRequests();
    expect((await syncStripeCatalog(stripe(), demoCatalog)).every((a) => a.action === "unchanged")).toBe(true);
    expect(double.requests.filter((r) => r.method === "POST")).toEqual([]);
  });
});

describe("the stripe commands", () => {
  let double: StripeDouble;
  let dir: string;
  beforeAll(async () => {
    double = await StripeDouble.start(new ManualClock(utc("2026-11-16T00:00:00Z")));
    dir = mkdtempSync(join(tmpdir(), "headroom-stripe-cli-"));
  });
  afterAll(async () => {
    await double.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronous: the double answers in this process while the CLI runs.
  function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
    const env = { ...process.env, DATABASE_PATH: join(dir, "h.db"), HEADROOM_DEMO: "false", LOG_LEVEL: "silent", STRIPE_SECRET_KEY: "sk_test_headroom", STRIPE_API_BASE: double.url };
    return new Promise((done) => {
      const child = spawn(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), ...args], { env, cwd: root });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("close", (code) => done({ code, out, err }));
    });
  }

  it("`stripe sync --json` is idempotent, and `stripe link` attaches a customer and its subscription", async () => {
    const first = await cli("stripe", "sync", "--json");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ created: 12, updated: 0, unchanged: 0 });
    const second = await cli("stripe", "sync");
    expect(second.code).toBe(0);
    expect(second.out).toContain("Stripe catalog: 0 created, 0 updated, 12 unchanged.");

    const database = openDatabase(join(dir, "h.db"));
    migrateDatabase(database.db);
    const created = await createAccount(database.db, demoCatalog, new ManualClock(utc("2026-11-16T00:00:00Z")), { name: "Acme", email: "ops@acme.example", planId: "free" });
    const customer = double.createCustomer("ops@acme.example");
    const sub = double.createSubscription(customer.id, [basePriceKey("pro")], { startS: utc("2026-11-10T09:30:00Z") / 1000, endS: utc("2026-12-10T09:30:00Z") / 1000 });
    const linked = await cli("stripe", "link", "--account", created.id, "--customer", customer.id, "--json");
    expect(linked.code).toBe(0);
    expect(JSON.parse(linked.out)).toEqual({ accountId: created.id, customerId: customer.id, subscriptionId: sub.id, planId: "pro" });
    expect(database.sqlite.prepare("select plan_id, stripe_customer_id, stripe_subscription_id, billing_anchor_ms from accounts where id = ?").get(created.id)).toEqual({
      plan_id: "pro",
      stripe_customer_id: customer.id,
      stripe_subscription_id: sub.id,
      // The billing period is Stripe's own, to the second (not moved to a UTC midnight).
      billing_anchor_ms: utc("2026-11-10T09:30:00Z"),
    });
    database.close();

    const bad = await cli("stripe", "link", "--account", created.id, "--customer", "not-a-customer");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--customer must be a Stripe customer id");
  }, 60_000);
});

describe("refunds through Stripe", () => {
  let clock: ManualClock;
  let t: StripeTest;
  beforeEach(async () => {
    clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
    t = await startStripeTest(clock);
  });
  afterEach(() => t.stop());

  it("an operator's refund goes through refunds.create with an idempotency key, once per request", async () => {
    const a = await linkedAccount(t, clock, "starter", { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") });
    const q = await previewPlanChangeWithProvider(t.srv.deps.billing, { accountId: a.accountId, toPlanId: "business" });
    const r = await confirmPlanChange(t.srv.deps.billing, a.accountId, accepted(q), who);
    const stripeInvoice = t.double.invoices.get(t.srv.sqlite.prepare("select stripe_invoice_id from invoices where id = ?").pluck().get(r.invoiceId) as string)!;

    const body = { invoiceId: r.invoiceId!, amountMinor: 1_000, reason: "Goodwill after our outage", requestId: "refund-req-0001" };
    const [one, two] = await Promise.all([refundInvoice(t.srv.deps.billing, body, "operator"), refundInvoice(t.srv.deps.billing, body, "operator")]);
    expect([one.replayed, two.replayed].sort()).toEqual([false, true]);
    const third = await refundInvoice(t.srv.deps.billing, body, "operator");
    expect(third).toMatchObject({ replayed: true, amountMinor: 1_000 });
    const calls = t.double.calls("POST", /^\/v1\/refunds$/);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls[0]!.params).toMatchObject({ payment_intent: stripeInvoice.payment_intent, amount: "1000", reason: "requested_by_customer" });
    expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set(["refund:refund-req-0001"]));
    expect(t.double.executed.refunds).toBe(1);
    expect(t.srv.sqlite.prepare("select total_minor from invoices where account_id = ? and kind = 'credit_note'").pluck().all(a.accountId)).toEqual([-1_000]);
  });

  it("a refund retried after Stripe forgot its key, or after a 500 it saved, is found among the payment's refunds and not made twice", async () => {
    const a = await linkedAccount(t, clock, "starter", { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") });
    const q = await previewPlanChangeWithProvider(t.srv.deps.billing, { accountId: a.accountId, toPlanId: "business" });
    const r = await confirmPlanChange(t.srv.deps.billing, a.accountId, accepted(q), who);
    const invoice = (await findInvoice(t.srv.deps.db, r.invoiceId!))!;
    const remote = t.srv.deps.billing.provider.remote!;
    // Refunded at Stripe; the answer is a 500 (saved for the key): the re-read finds the refund.
    t.double.failNext("POST", /^\/v1\/refunds$/, { status: 500, effectApplied: true });
    const first = await remote.refund(invoice, 1_000, "refund:req-later", "Goodwill");
    expect(t.double.executed.refunds).toBe(1);
    expect(t.double.refunds[0]).toMatchObject({ id: first.refundId, metadata: { headroom_key: "refund:req-later" } });
    // Two days later (the key forgotten at Stripe) the same refund is asked again: found, not repeated.
    clock.advance(48 * 3_600_000);
    expect(t.double.remembers("refund:req-later")).toBe(false);
    expect(await remote.refund(invoice, 1_000, "refund:req-later", "Goodwill")).toEqual(first);
    expect(t.double.executed.refunds).toBe(1);
    expect(t.double.calls("POST", /^\/v1\/refunds$/)).toHaveLength(1);
  });

  it("an invoice paid by a charge (no PaymentIntent) is refunded by charge", async () => {
    const a = await linkedAccount(t, clock, "starter", { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") });
    const q = await previewPlanChangeWithProvider(t.srv.deps.billing, { accountId: a.accountId, toPlanId: "business" });
    const r = await confirmPlanChange(t.srv.deps.billing, a.accountId, accepted(q), who);
    const stripeInvoice = t.double.invoices.get(t.srv.sqlite.prepare("select stripe_invoice_id from invoices where id = ?").pluck().get(r.invoiceId) as string)!;
    stripeInvoice.charge = "ch_000123";
    stripeInvoice.payment_intent = null;
    await refundInvoice(t.srv.deps.billing, { invoiceId: r.invoiceId!, amountMinor: 500, reason: "Goodwill", requestId: "refund-req-charge" }, "operator");
    const [call] = t.double.calls("POST", /^\/v1\/refunds$/);
    expect(call!.params).toMatchObject({ charge: "ch_000123", amount: "500" });
    expect(call!.params.payment_intent).toBeUndefined();
    expect(t.double.calls("GET", /^\/v1\/refunds$/)[0]!.params).toMatchObject({ charge: "ch_000123" });
  });

  it("an invoice that was never paid through Stripe cannot be refunded through it", async () => {
    const account = await createAccount(t.srv.deps.db, t.srv.deps.catalog, clock, { name: "Old", email: "old@example.com", planId: "starter" });
    t.srv.sqlite
      .prepare("insert into invoices (id, account_id, number, kind, period_start_ms, period_end_ms, total_minor, currency, status, dedupe_key, created_at_ms) values ('inv_local', ?, 'HR-900001', 'period', 0, 1, 2900, 'USD', 'paid', 'legacy', 0)")
      .run(account.id);
    await expect(refundInvoice(t.srv.deps.billing, { invoiceId: "inv_local", reason: "test refund", requestId: "refund-req-0002" }, "operator")).rejects.toBeInstanceOf(DomainError);
    expect(t.double.executed.refunds).toBe(0);
  });
});
