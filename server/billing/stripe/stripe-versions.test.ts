import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import demoFile from "../../../headroom.catalog.json";
import { parseCatalog, type CatalogFileInput } from "../../../shared/catalog-file";
import { ManualClock } from "../../lib/clock";
import { accepted, linkedAccount, postEvent, startStripeTest, who, type StripeTest } from "../../testing/stripe-harness";
import { confirmPlanChange } from "../plan-change";
import { previewOverageChange, previewPlanChangeWithProvider } from "../quote";
import { baseTermsOfPrice, basePriceKey, meteredPriceKey, planOfPrice, priceLookupKey, syncStripeCatalogInUse } from "./stripe-catalog";

/** Stripe prices per plan version: a new version's price never changes what a subscription on an older one pays. */

const utc = (s: string) => Date.parse(s);
const NOV = { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") };

describe("lookup keys per plan version", () => {
  it("version 1 keeps the keys Stripe already has; version n has _v<n>; a key reads back as its plan, version and interval", () => {
    expect(priceLookupKey("starter", "month", "base", { version: 1 })).toBe("headroom_starter_monthly");
    expect(priceLookupKey("starter", "month", "base", { version: 2 })).toBe("headroom_starter_v2_monthly");
    expect(basePriceKey("pro", "year", 3)).toBe("headroom_pro_v3_yearly");
    expect(meteredPriceKey("pro", "month", { version: 2 })).toBe("headroom_pro_v2_metered");
    expect(meteredPriceKey("pro", "year", { version: 2, meter: "mcp" })).toBe("headroom_pro_v2_mcp_metered_per_year");
    expect(baseTermsOfPrice({ lookup_key: "headroom_starter_v2_monthly" })).toEqual({ planId: "starter", version: 2, interval: "month" });
    expect(baseTermsOfPrice({ lookup_key: "headroom_starter_monthly" })).toEqual({ planId: "starter", version: 1, interval: "month" });
    expect(planOfPrice({ lookup_key: "headroom_pro_v12_yearly" })).toBe("pro");
    // A plan whose id ends like a version: the plan id our prices carry in their metadata says which it is.
    expect(baseTermsOfPrice({ lookup_key: "headroom_pro_v2_monthly", metadata: { headroom_plan_id: "pro_v2" } })).toEqual({ planId: "pro_v2", version: 1, interval: "month" });
    expect(baseTermsOfPrice({ lookup_key: "headroom_pro_v2_v3_monthly", metadata: { headroom_plan_id: "pro_v2" } })).toEqual({ planId: "pro_v2", version: 3, interval: "month" });
    expect(baseTermsOfPrice({ lookup_key: "headroom_pro_v2_metered" })).toBeNull();
  });
});

describe("a new plan version in Stripe", () => {
  const running: StripeTest[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const t of running.splice(0)) await t.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** The demo catalog with Starter at $39, Pro at $59, Business at $249 and Enterprise at $1,190 a month. */
  function raised() {
    const file = structuredClone(demoFile) as CatalogFileInput;
    const prices: Record<string, number> = { starter: 3_900, pro: 5_900, business: 24_900, enterprise: 119_000 };
    for (const p of file.plans) if (prices[p.id]) p.price = { month: prices[p.id]! };
    return parseCatalog(file);
  }

  it("after a restart on raised prices, sync creates the new versions' prices and keeps the old ones; an account on v1 takes v2 through Stripe", async () => {
    const clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
    const first = await startStripeTest(clock);
    const starter = await linkedAccount(first, clock, "starter", NOV);
    const pro = await linkedAccount(first, clock, "pro", NOV);
    await linkedAccount(first, clock, "business", NOV);
    await linkedAccount(first, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
    const v1 = first.double.priceByKey("headroom_starter_monthly");
    const double = first.double;
    await first.srv.started.stop();
    dirs.push(first.srv.dir);

    // The same database and Stripe account, the new file: each paid plan gets a version 2.
    const t = await startStripeTest(clock, { catalog: raised(), double, databasePath: first.srv.deps.config.DATABASE_PATH, sync: false });
    running.push(t);
    expect(["free", "starter", "pro", "business", "enterprise"].map((id) => t.srv.deps.catalog.plan(id).version)).toEqual([1, 2, 2, 2, 2]);
    const actions = await syncStripeCatalogInUse(t.srv.deps.db, t.stripe, t.srv.deps.catalog);
    expect(actions.filter((a) => a.action !== "unchanged").map((a) => `${a.action} ${a.key}`).sort()).toEqual(
      [
        "created headroom_business_v2_monthly",
        "created headroom_enterprise_v2_metered",
        "created headroom_enterprise_v2_monthly",
        "created headroom_pro_v2_metered",
        "created headroom_pro_v2_monthly",
        "created headroom_starter_v2_monthly",
      ].sort(),
    );
    // Version 1's prices stay as they were, active under their keys (accounts are on them); nothing was archived.
    expect(actions.filter((a) => a.action === "unchanged" && a.object === "price").map((a) => a.key)).toEqual(
      expect.arrayContaining(["headroom_starter_monthly", "headroom_pro_monthly", "headroom_pro_metered", "headroom_business_monthly", "headroom_enterprise_monthly", "headroom_enterprise_metered"]),
    );
    expect(double.priceByKey("headroom_starter_monthly")).toMatchObject({ id: v1.id, unit_amount: 2_900, active: true });
    expect(double.calls("POST", /^\/v1\/prices\/price_/)).toEqual([]);
    expect(double.priceByKey("headroom_starter_v2_monthly")).toMatchObject({ unit_amount: 3_900, product: "headroom_starter", metadata: { headroom_plan_id: "starter", headroom_plan_version: "2" } });
    // 12 prices looked up, at most 10 keys a request.
    expect(double.calls("GET", /^\/v1\/prices$/).map((r) => r.params.lookup_keys.length)).toEqual([10, 2]);
    double.clearRequests();
    expect((await syncStripeCatalogInUse(t.srv.deps.db, t.stripe, t.srv.deps.catalog)).every((a) => a.action === "unchanged")).toBe(true);

    // The Starter account on v1 takes v2: Stripe's preview and update move its item to the v2 price.
    const v2 = double.priceByKey("headroom_starter_v2_monthly").id;
    const q = await previewPlanChangeWithProvider(t.srv.deps.billing, { accountId: starter.accountId, toPlanId: "starter" });
    expect(q).toMatchObject({ toPlanId: "starter", toPlanVersion: 2, pricedBy: "stripe", timing: "now", recurringMinor: 3_900 });
    expect(q.consentText).toContain("for the Starter v2 plan");
    expect(double.calls("POST", /^\/v1\/invoices\/create_preview$/)[0]!.params.subscription_details.items).toEqual([{ id: starter.itemId, price: v2 }]);
    expect(await confirmPlanChange(t.srv.deps.billing, starter.accountId, accepted(q), who)).toMatchObject({ status: "applied" });
    expect(double.calls("POST", new RegExp(`^/v1/subscriptions/${starter.subscriptionId}$`)).at(-1)!.params.items).toEqual([{ id: starter.itemId, price: v2 }]);
    expect(double.subscription(starter.subscriptionId).items.data[0].price.id).toBe(v2);
    const versionOf = (id: string) => t.srv.sqlite.prepare("select plan_id || ' v' || plan_version from accounts where id = ?").pluck().get(id);
    expect(versionOf(starter.accountId)).toBe("starter v2");

    // Stripe's word about that subscription keeps it on v2: the version is read from its price.
    expect((await postEvent(t, double.event("customer.subscription.updated", double.subscription(starter.subscriptionId)))).status).toBe(200);
    expect(versionOf(starter.accountId)).toBe("starter v2");
    // Moved back to v1's price at Stripe (the dashboard): the account follows its price's version.
    double.subscriptions.get(starter.subscriptionId)!.items[0].price = v1.id;
    expect((await postEvent(t, double.event("customer.subscription.updated", double.subscription(starter.subscriptionId)))).status).toBe(200);
    expect(versionOf(starter.accountId)).toBe("starter v1");
    const audit = t.srv.sqlite.prepare("select details_json from audit_log where account_id = ? and action = 'stripe.plan_changed'").pluck().all(starter.accountId) as string[];
    expect(audit.map((d) => JSON.parse(d))).toEqual([expect.objectContaining({ from: "starter", to: "starter", fromVersion: 2, toVersion: 1 })]);

    // The Pro account stays on v1: its overage opt-in adds v1's overage price, not v2's.
    expect(versionOf(pro.accountId)).toBe("pro v1");
    const on = await previewOverageChange(t.srv.deps.billing, { accountId: pro.accountId, optIn: true });
    expect(await confirmPlanChange(t.srv.deps.billing, pro.accountId, accepted(on), who)).toMatchObject({ status: "applied" });
    expect(double.calls("POST", /^\/v1\/subscription_items$/).map((r) => r.params.price)).toEqual([double.priceByKey("headroom_pro_metered").id]);
  });
});
