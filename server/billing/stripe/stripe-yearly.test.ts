import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { yearlyCatalog } from "../../../shared/testing/yearly-catalog";
import { ManualClock } from "../../lib/clock";
import { StripeDouble } from "../../testing/stripe-double";
import { accepted, linkedAccount, startStripeTest, who, type StripeTest } from "../../testing/stripe-harness";
import { confirmPlanChange } from "../plan-change";
import { previewPlanChangeWithProvider } from "../quote";
import { baseTermsOfPrice, basePriceKey, meteredPriceKey, priceLookupKey, syncStripeCatalog } from "./stripe-catalog";
import { createStripeClient } from "./stripe-client";

const utc = (s: string) => Date.parse(s);
const NOV = { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") };

describe("lookup keys", () => {
  it("are written by one function of (plan, interval); the monthly keys are the ones Stripe already has", () => {
    expect(priceLookupKey("pro", "month")).toBe("headroom_pro_monthly");
    expect(priceLookupKey("pro", "year")).toBe("headroom_pro_yearly");
    expect(priceLookupKey("pro", "month", "metered")).toBe("headroom_pro_metered");
    expect(priceLookupKey("pro", "year", "metered")).toBe("headroom_pro_metered_per_year");
    expect(baseTermsOfPrice({ lookup_key: "headroom_pro_yearly" })).toEqual({ planId: "pro", version: 1, interval: "year" });
    expect(baseTermsOfPrice({ lookup_key: "headroom_pro_monthly" })).toEqual({ planId: "pro", version: 1, interval: "month" });
    // A metered price never reads as a plan's base price.
    expect(baseTermsOfPrice({ lookup_key: "headroom_pro_metered_per_year" })).toBeNull();
    expect(baseTermsOfPrice({ lookup_key: "headroom_pro_metered" })).toBeNull();
  });
});

describe("stripe sync with yearly prices", () => {
  let double: StripeDouble;
  beforeEach(async () => {
    double = await StripeDouble.start(new ManualClock(utc("2026-11-16T00:00:00Z")));
  });
  afterEach(() => double.stop());

  it("creates a yearly price (recurring interval year) for each plan sold yearly, next to the monthly ones; a second run creates nothing", async () => {
    const stripe = createStripeClient("sk_test_headroom", { apiBase: double.url });
    const actions = await syncStripeCatalog(stripe, yearlyCatalog());
    const prices = actions.filter((a) => a.object === "price" && a.action === "created").map((a) => a.key);
    expect(prices.sort()).toEqual(
      [
        "headroom_starter_monthly",
        "headroom_starter_yearly",
        "headroom_pro_monthly",
        "headroom_pro_yearly",
        "headroom_pro_metered",
        "headroom_business_monthly",
        "headroom_business_yearly",
        "headroom_enterprise_monthly",
        "headroom_enterprise_metered",
      ].sort(),
    );
    // What the SDK sent for the yearly price.
    const sent = double.calls("POST", /^\/v1\/prices$/).find((r) => r.params.lookup_key === "headroom_pro_yearly")!;
    expect(sent.params).toMatchObject({ currency: "usd", unit_amount: "44100", product: "headroom_pro", recurring: { interval: "year", usage_type: "licensed" }, metadata: { headroom_plan_id: "pro" } });
    expect(double.priceByKey("headroom_starter_yearly")).toMatchObject({ unit_amount: 29_000, recurring: { interval: "year", usage_type: "licensed" } });
    expect(double.priceByKey("headroom_starter_monthly")).toMatchObject({ unit_amount: 2_900, recurring: { interval: "month" } });

    double.clearRequests();
    expect((await syncStripeCatalog(stripe, yearlyCatalog())).every((a) => a.action === "unchanged")).toBe(true);
    expect(double.requests.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("a yearly quota bills its overage once a year: a yearly metered price on the same meter", async () => {
    const stripe = createStripeClient("sk_test_headroom", { apiBase: double.url });
    await syncStripeCatalog(stripe, yearlyCatalog({ proYearlyQuota: "yearly" }));
    const monthly = double.priceByKey(meteredPriceKey("pro"));
    const yearly = double.priceByKey(meteredPriceKey("pro", "year"));
    expect(yearly).toMatchObject({ unit_amount: 300, transform_quantity: { divide_by: 1000, round: "up" }, recurring: { interval: "year", usage_type: "metered", meter: monthly.recurring.meter } });
  });
});

describe("switching interval through Stripe", () => {
  let clock: ManualClock;
  let t: StripeTest;
  const start = async (proYearlyQuota: "monthly" | "yearly" = "monthly") => {
    clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
    t = await startStripeTest(clock, { catalog: yearlyCatalog({ proYearlyQuota }) });
  };
  afterEach(() => t.stop());
  const updates = (subId: string) => t.double.calls("POST", new RegExp(`^/v1/subscriptions/${subId}$`));
  const accountRow = (id: string) => t.srv.sqlite.prepare("select plan_id as planId, billing_interval as interval, billing_anchor_ms as anchor from accounts where id = ?").get(id);

  it("month → year: Stripe's own preview and update (always_invoice, the previewed proration_date, no billing_cycle_anchor); the billing date moves to the change", async () => {
    await start();
    const a = await linkedAccount(t, clock, "starter", NOV);
    const yearly = t.double.priceByKey(basePriceKey("starter", "year")).id;
    const q = await previewPlanChangeWithProvider(t.srv.deps.billing, { accountId: a.accountId, toPlanId: "starter", interval: "year" });
    const [preview] = t.double.calls("POST", /^\/v1\/invoices\/create_preview$/);
    expect(preview!.params.subscription_details).toEqual({ items: [{ id: a.itemId, price: yearly }], proration_behavior: "always_invoice", proration_date: String(utc("2026-11-16T00:00:00Z") / 1000) });
    // Half the month unused: −$14.50; the year in full: $290.00; $275.50 now, then $290.00 a year from today.
    expect(q).toMatchObject({ pricedBy: "stripe", fromInterval: "month", toInterval: "year", creditMinor: -1450, chargeMinor: 29000, amountDueNowMinor: 27550, recurringMinor: 29000, recurringFromMs: utc("2027-11-16T00:00:00Z") });
    expect(q.consentText).toMatch(/^I authorise a charge of \$275\.50 now and \$290\.00 every year from 16 Nov 2027 until I cancel, for the Starter plan, billed yearly\./);

    const r = await confirmPlanChange(t.srv.deps.billing, a.accountId, accepted(q), who);
    expect(r).toMatchObject({ status: "applied", toInterval: "year", amountDueNowMinor: 27550 });
    const [update] = updates(a.subscriptionId);
    expect(update!.params).toMatchObject({ items: [{ id: a.itemId, price: yearly }], proration_behavior: "always_invoice", proration_date: String(utc("2026-11-16T00:00:00Z") / 1000), payment_behavior: "pending_if_incomplete" });
    expect(update!.params.billing_cycle_anchor).toBeUndefined();
    expect(update!.idempotencyKey).toBe(`quote:${q.id}:apply`);
    // Stripe reset the period to the change; the account follows it.
    const sub = t.double.subscription(a.subscriptionId);
    expect(sub.items.data[0]).toMatchObject({ price: { id: yearly }, current_period_start: utc("2026-11-16T00:00:00Z") / 1000, current_period_end: utc("2027-11-16T00:00:00Z") / 1000 });
    expect(accountRow(a.accountId)).toEqual({ planId: "starter", interval: "year", anchor: utc("2026-11-16T00:00:00Z") });
    const invoice = t.srv.sqlite.prepare("select total_minor from invoices where account_id = ?").pluck().get(a.accountId);
    expect(invoice).toBe(27550);
  });

  it("a yearly price with usage billed monthly: the classic subscription moves to flexible billing mode before the update, as Stripe requires for mixed intervals", async () => {
    await start("monthly");
    const a = await linkedAccount(t, clock, "pro", NOV, [meteredPriceKey("pro")]);
    // The double refuses mixed intervals on a classic subscription, as Stripe does.
    await expect(t.stripe.subscriptions.update(a.subscriptionId, { items: [{ id: a.itemId, price: t.double.priceByKey(basePriceKey("pro", "year")).id }] })).rejects.toThrow(/interval fields must match/);

    const q = await previewPlanChangeWithProvider(t.srv.deps.billing, { accountId: a.accountId, toPlanId: "pro", interval: "year" });
    // Previewed as the subscription will be billed: in flexible mode; nothing migrated before the consent.
    expect(t.double.calls("POST", /^\/v1\/invoices\/create_preview$/)[0]!.params.subscription_details.billing_mode).toEqual({ type: "flexible" });
    expect(t.double.calls("POST", /\/migrate$/)).toEqual([]);
    await confirmPlanChange(t.srv.deps.billing, a.accountId, accepted(q), who);
    const migrate = t.double.calls("POST", new RegExp(`^/v1/subscriptions/${a.subscriptionId}/migrate$`));
    expect(migrate.map((m) => [m.params, m.idempotencyKey])).toEqual([[{ billing_mode: { type: "flexible" } }, `quote:${q.id}:apply:flexible`]]);
    const sub = t.double.subscription(a.subscriptionId);
    expect(sub.billing_mode.type).toBe("flexible");
    expect(sub.items.data.map((i: { price: { lookup_key: string; recurring: { interval: string } } }) => [i.price.lookup_key, i.price.recurring.interval])).toEqual([
      ["headroom_pro_yearly", "year"],
      ["headroom_pro_metered", "month"],
    ]);
    expect(accountRow(a.accountId)).toMatchObject({ interval: "year" });
  });

  it("a yearly quota: the metered item moves to the yearly metered price on the same item (one item per meter), no mixed intervals", async () => {
    await start("yearly");
    const a = await linkedAccount(t, clock, "pro", NOV, [meteredPriceKey("pro")]);
    const meteredItem = t.double.subscription(a.subscriptionId).items.data[1].id;
    const q = await previewPlanChangeWithProvider(t.srv.deps.billing, { accountId: a.accountId, toPlanId: "pro", interval: "year" });
    await confirmPlanChange(t.srv.deps.billing, a.accountId, accepted(q), who);
    const [update] = updates(a.subscriptionId);
    expect(update!.params.items).toEqual([
      { id: a.itemId, price: t.double.priceByKey(basePriceKey("pro", "year")).id },
      { id: meteredItem, price: t.double.priceByKey(meteredPriceKey("pro", "year")).id },
    ]);
    expect(t.double.calls("POST", /\/migrate$/)).toEqual([]);
    expect(t.double.subscription(a.subscriptionId).billing_mode.type).toBe("classic");
  });

  it("year → month through Stripe: the unused year credited, the month charged; the rest stays as Stripe's credit", async () => {
    await start();
    const a = await linkedAccount(t, clock, "business", { startMs: utc("2026-05-16T00:00:00Z"), endMs: utc("2027-05-16T00:00:00Z") }, [], "year");
    const monthly = t.double.priceByKey(basePriceKey("business")).id;
    const q = await previewPlanChangeWithProvider(t.srv.deps.billing, { accountId: a.accountId, toPlanId: "business", interval: "month" });
    // 181 of 365 days left: $986.82 unused, $199.00 for the first month; nothing due now.
    expect(q).toMatchObject({ pricedBy: "stripe", fromInterval: "year", toInterval: "month", creditMinor: -98682, chargeMinor: 19900, amountDueNowMinor: 0, recurringFromMs: utc("2026-12-16T00:00:00Z") });
    expect(q.consentText).toContain("and the remaining $787.82 stays as credit on my balance for my next invoices.");
    await confirmPlanChange(t.srv.deps.billing, a.accountId, accepted(q), who);
    expect(updates(a.subscriptionId)[0]!.params.items).toEqual([{ id: a.itemId, price: monthly }]);
    expect(accountRow(a.accountId)).toEqual({ planId: "business", interval: "month", anchor: utc("2026-11-16T00:00:00Z") });
  });
});
