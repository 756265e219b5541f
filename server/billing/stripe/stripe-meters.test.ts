import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mcpBilledCatalog } from "../../../shared/testing/two-meter-catalog";
import { createAccount } from "../../accounts/accounts";
import { ManualClock } from "../../lib/clock";
import { StripeDouble } from "../../testing/stripe-double";
import { accepted, linkedAccount, startStripeTest, who, type StripeTest } from "../../testing/stripe-harness";
import { confirmPlanChange } from "../plan-change";
import { previewOverageChange, previewPlanChangeWithProvider } from "../quote";
import { basePriceKey, meterEventName, meteredPriceKey, syncStripeCatalog } from "./stripe-catalog";
import { createStripeClient } from "./stripe-client";

/**
 * Every meter billed through Stripe, on a catalog of two meters ("calls", the default; "mcp", MCP tool
 * calls) where Starter bills MCP tool calls over its quota only, Business meters them only, Pro bills
 * both meters' overage and Enterprise meters both: a Stripe meter per catalog meter and kind, a metered
 * price per plan and meter, subscription items carrying them, usage reported to the right meter.
 */

const utc = (s: string) => Date.parse(s);
const NOV = { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") };
const MIN = 60_000;
const mcp = { meter: "mcp" } as const;

describe("event names", () => {
  it("keep the default meter's, and derive the others' from the meter id and kind, never taking the default's", () => {
    const main = { id: "calls", isDefault: true };
    expect([meterEventName(main, "metered"), meterEventName(main, "overage")]).toEqual(["headroom_api_calls", "headroom_overage_calls"]);
    expect([meterEventName({ id: "mcp", isDefault: false }, "metered"), meterEventName({ id: "mcp", isDefault: false }, "overage")]).toEqual(["headroom_mcp_calls", "headroom_mcp_overage"]);
    expect([meterEventName({ id: "api", isDefault: false }, "metered"), meterEventName({ id: "overage", isDefault: false }, "metered")]).toEqual(["headroom_api_metered", "headroom_overage_metered"]);
    expect(meteredPriceKey("pro", "month", mcp)).toBe("headroom_pro_mcp_metered");
    expect(meteredPriceKey("pro", "year", mcp)).toBe("headroom_pro_mcp_metered_per_year");
  });
});

describe("stripe sync with several meters", () => {
  let double: StripeDouble;
  beforeEach(async () => {
    double = await StripeDouble.start(new ManualClock(utc("2026-11-16T00:00:00Z")));
  });
  afterEach(() => double.stop());

  it("creates a Stripe meter per meter and kind, and each plan's metered price per meter, once", async () => {
    const stripe = createStripeClient("sk_test_headroom", { apiBase: double.url });
    const first = await syncStripeCatalog(stripe, mcpBilledCatalog);
    const created = (object: string) => first.filter((a) => a.object === object && a.action === "created").map((a) => a.key).sort();
    expect(created("meter")).toEqual(["headroom_api_calls", "headroom_mcp_calls", "headroom_mcp_overage", "headroom_overage_calls"]);
    expect(created("price")).toEqual(
      [
        "headroom_starter_monthly",
        "headroom_starter_mcp_metered",
        "headroom_pro_monthly",
        "headroom_pro_metered",
        "headroom_pro_mcp_metered",
        "headroom_business_monthly",
        "headroom_business_mcp_metered",
        "headroom_enterprise_monthly",
        "headroom_enterprise_metered",
        "headroom_enterprise_mcp_metered",
      ].sort(),
    );
    const meter = (event: string) => [...double.meters.values()].find((m) => m.event_name === event)!;
    expect(meter("headroom_mcp_calls").display_name).toBe("MCP tool calls");
    expect(meter("headroom_mcp_overage").display_name).toBe("MCP tool calls over the monthly quota");
    // Each price on its own meter: MCP tool calls over Pro's 2,000 at $5.00 per started 1,000; every one on Business at $0.002.
    expect(double.priceByKey("headroom_pro_mcp_metered")).toMatchObject({
      unit_amount: 500,
      transform_quantity: { divide_by: 1000, round: "up" },
      recurring: { interval: "month", usage_type: "metered", meter: meter("headroom_mcp_overage").id },
      metadata: { headroom_plan_id: "pro", headroom_plan_version: "1", headroom_meter: "mcp" },
    });
    expect(double.priceByKey("headroom_business_mcp_metered")).toMatchObject({ unit_amount_decimal: "0.2", recurring: { usage_type: "metered", meter: meter("headroom_mcp_calls").id } });
    expect(double.priceByKey("headroom_enterprise_mcp_metered")).toMatchObject({ unit_amount_decimal: "0.1", recurring: { meter: meter("headroom_mcp_calls").id } });
    expect(double.priceByKey("headroom_starter_mcp_metered")).toMatchObject({ unit_amount: 400, recurring: { meter: meter("headroom_mcp_overage").id } });
    expect(double.priceByKey("headroom_pro_metered").recurring.meter).toBe(meter("headroom_overage_calls").id);
    expect(double.priceByKey("headroom_enterprise_metered").recurring.meter).toBe(meter("headroom_api_calls").id);

    double.clearRequests();
    const second = await syncStripeCatalog(stripe, mcpBilledCatalog);
    expect(second.every((a) => a.action === "unchanged")).toBe(true);
    expect(double.requests.filter((r) => r.method === "POST")).toEqual([]);
    expect(double.calls("GET", /^\/v1\/prices$/).map((r) => r.params.lookup_keys.length)).toEqual([10]);
  });
});

describe("several meters through a Stripe subscription", () => {
  let clock: ManualClock;
  let t: StripeTest;
  beforeEach(async () => {
    clock = new ManualClock(utc("2026-11-16T12:00:00Z"));
    t = await startStripeTest(clock, { catalog: mcpBilledCatalog });
  });
  afterEach(() => t.stop());

  const billing = () => t.srv.deps.billing;
  const price = (key: string) => t.double.priceByKey(key).id;
  const updates = (subId: string) => t.double.calls("POST", new RegExp(`^/v1/subscriptions/${subId}$`));
  function usage(accountId: string, meter: string, minuteMs: number, allowed: number) {
    t.srv.sqlite
      .prepare("insert into usage_minute (minute_ms, key_id, account_id, meter, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, ?, ?, 0, 0, 0)")
      .run(minuteMs, `key_${accountId}`, accountId, meter, allowed);
  }

  it("reports each meter's usage to its own Stripe meter: metered units, and units over each meter's quota with the opt-in", async () => {
    const m1 = utc("2026-11-16T10:00:00Z");
    const enterprise = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise"), meteredPriceKey("enterprise", "month", mcp)]);
    usage(enterprise.accountId, "calls", m1, 120);
    usage(enterprise.accountId, "mcp", m1, 30);
    usage(enterprise.accountId, "mcp", m1 + MIN, 7);
    const business = await linkedAccount(t, clock, "business", NOV, [meteredPriceKey("business", "month", mcp)]);
    usage(business.accountId, "calls", m1, 500);
    usage(business.accountId, "mcp", m1, 40);
    const pro = await linkedAccount(t, clock, "pro", NOV, [meteredPriceKey("pro"), meteredPriceKey("pro", "month", mcp)]);
    t.srv.sqlite.prepare("update accounts set overage_opt_in = 1 where id = ?").run(pro.accountId);
    usage(pro.accountId, "calls", utc("2026-11-15T10:00:00Z"), 9_000);
    usage(pro.accountId, "calls", m1, 1_500); // 500 over 10,000
    usage(pro.accountId, "mcp", utc("2026-11-15T10:00:00Z"), 1_900);
    usage(pro.accountId, "mcp", m1 + MIN, 300); // 200 over 2,000
    const starter = await linkedAccount(t, clock, "starter", NOV, [meteredPriceKey("starter", "month", mcp)]);
    t.srv.sqlite.prepare("update accounts set overage_opt_in = 1 where id = ?").run(starter.accountId);
    usage(starter.accountId, "calls", m1, 5_000);
    usage(starter.accountId, "mcp", m1, 3_100); // 100 over 3,000
    // Without the opt-in, nothing over the quota is billed.
    const starterOff = await linkedAccount(t, clock, "starter", NOV);
    usage(starterOff.accountId, "mcp", m1, 3_100);

    const reporter = t.srv.deps.stripe!.usage;
    expect(await reporter.enqueue()).toBe(7);
    expect(await reporter.send()).toMatchObject({ sent: 7, failed: 0 });
    const sent = t.double.meterEvents.map((e) => [e.event_name, e.payload.stripe_customer_id, e.payload.value, e.identifier]).sort();
    expect(sent).toEqual(
      [
        ["headroom_api_calls", enterprise.customerId, "120", `hr:calls:${enterprise.accountId}:${m1}`],
        ["headroom_mcp_calls", enterprise.customerId, "30", `hr:mcp:calls:${enterprise.accountId}:${m1}`],
        ["headroom_mcp_calls", enterprise.customerId, "7", `hr:mcp:calls:${enterprise.accountId}:${m1 + MIN}`],
        ["headroom_mcp_calls", business.customerId, "40", `hr:mcp:calls:${business.accountId}:${m1}`],
        ["headroom_overage_calls", pro.customerId, "500", `hr:overage:${pro.accountId}:${m1}`],
        ["headroom_mcp_overage", pro.customerId, "200", `hr:mcp:overage:${pro.accountId}:${m1 + MIN}`],
        ["headroom_mcp_overage", starter.customerId, "100", `hr:mcp:overage:${starter.accountId}:${m1}`],
      ].sort(),
    );
    // Every event goes to a meter Stripe has (an event to no meter is accepted and never billed).
    expect(t.double.noMeterFound()).toEqual([]);
    // Each event's meter is the one the subscription's metered price of that meter counts.
    const meterOfEvent = (event: string) => [...t.double.meters.values()].find((m) => m.event_name === event)!.id;
    expect(t.double.priceByKey(meteredPriceKey("pro", "month", mcp)).recurring.meter).toBe(meterOfEvent("headroom_mcp_overage"));
    expect(t.double.priceByKey(meteredPriceKey("business", "month", mcp)).recurring.meter).toBe(meterOfEvent("headroom_mcp_calls"));
    expect([await reporter.enqueue(), (await reporter.send()).sent]).toEqual([0, 0]);
  });

  it("an upgrade puts the metered price of every meter the new plan bills on the subscription", async () => {
    const a = await linkedAccount(t, clock, "starter", NOV, [meteredPriceKey("starter", "month", mcp)]);
    const q = await previewPlanChangeWithProvider(billing(), { accountId: a.accountId, toPlanId: "enterprise" });
    const [preview] = t.double.calls("POST", /^\/v1\/invoices\/create_preview$/);
    // Enterprise's API calls price is a new item; its MCP tool calls price is on another Stripe meter than Starter's overage, so a new item too.
    const items = [{ id: a.itemId, price: price(basePriceKey("enterprise")) }, { price: price(meteredPriceKey("enterprise")) }, { price: price(meteredPriceKey("enterprise", "month", mcp)) }];
    expect(preview!.params.subscription_details.items).toEqual(items);
    expect((await confirmPlanChange(billing(), a.accountId, accepted(q), who)).status).toBe("applied");
    expect(updates(a.subscriptionId).at(-1)!.params.items).toEqual(items);
    expect(t.double.subscription(a.subscriptionId).items.data.map((i: { price: { lookup_key: string } }) => i.price.lookup_key)).toEqual([
      "headroom_enterprise_monthly",
      "headroom_starter_mcp_metered",
      "headroom_enterprise_metered",
      "headroom_enterprise_mcp_metered",
    ]);

    // Business → Enterprise: Enterprise's MCP tool calls price goes on the item already counting that Stripe meter (Business's), not a second one.
    const b = await linkedAccount(t, clock, "business", NOV, [meteredPriceKey("business", "month", mcp)]);
    const businessMcp = t.double.subscription(b.subscriptionId).items.data[1].id as string;
    const q2 = await previewPlanChangeWithProvider(billing(), { accountId: b.accountId, toPlanId: "enterprise" });
    expect((await confirmPlanChange(billing(), b.accountId, accepted(q2), who)).status).toBe("applied");
    expect(updates(b.subscriptionId).at(-1)!.params.items).toEqual([
      { id: b.itemId, price: price(basePriceKey("enterprise")) },
      { price: price(meteredPriceKey("enterprise")) },
      { id: businessMcp, price: price(meteredPriceKey("enterprise", "month", mcp)) },
    ]);
  });

  it("Checkout and the overage opt-in carry each meter's price", async () => {
    const free = await createAccount(t.srv.deps.db, t.srv.deps.catalog, clock, { name: "Newco", email: "founder@newco.example", planId: "free" });
    const q = await previewPlanChangeWithProvider(billing(), { accountId: free.id, toPlanId: "enterprise" });
    expect((await confirmPlanChange(billing(), free.id, accepted(q), who)).status).toBe("payment_required");
    const [session] = t.double.calls("POST", /^\/v1\/checkout\/sessions$/);
    expect(session!.params.line_items).toEqual([{ price: price(basePriceKey("enterprise")), quantity: "1" }, { price: price(meteredPriceKey("enterprise")) }, { price: price(meteredPriceKey("enterprise", "month", mcp)) }]);

    // Pro's one opt-in adds the overage price of the meter not on the subscription yet (MCP tool calls), once.
    const pro = await linkedAccount(t, clock, "pro", NOV, [meteredPriceKey("pro")]);
    const on = await previewOverageChange(billing(), { accountId: pro.accountId, optIn: true });
    expect((await confirmPlanChange(billing(), pro.accountId, accepted(on), who)).status).toBe("applied");
    const added = t.double.calls("POST", /^\/v1\/subscription_items$/);
    expect(added.map((r) => r.params)).toEqual([{ subscription: pro.subscriptionId, price: price(meteredPriceKey("pro", "month", mcp)) }]);
    expect(added[0]!.idempotencyKey).toBe(`quote:${on.id}:apply:mcp`);
    expect(t.srv.deps.meter.limitsFor(pro.accountId, "mcp").limits.find((l) => l.window === "month")!.limit).toBeNull();
  });
});
