import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { perThousandCostMinor } from "../../../shared/money";
import { PLANS } from "../../../shared/testing/demo-catalog";
import { createAccount } from "../../accounts/accounts";
import { createKey } from "../../keys/keys";
import { ManualClock } from "../../lib/clock";
import { PortalClient } from "../../testing/portal-client";
import { linkedAccount, postEvent, startStripeTest, type StripeTest } from "../../testing/stripe-harness";
import { startTestServer, type TestServer } from "../../testing/test-server";
import { runBillingCycle } from "../billing-cycle";
import type { billingOverview } from "../billing-overview";
import { meteredPriceKey } from "./stripe-catalog";

/**
 * Enterprise's per-call price, end to end: the usage Headroom counts is reported to Stripe's meter,
 * and the renewal invoice Stripe makes for the period (the double, billing the meter's events at the
 * price's unit_amount_decimal, rounded on the line) is, to the minor unit, what the Billing page
 * estimated and what Headroom's local provider invoices for the same calls — for totals that land on
 * half a cent, just under and just over it.
 */

const utc = (s: string) => Date.parse(s);
const NOV = { startMs: utc("2026-11-01T00:00:00Z"), endMs: utc("2026-12-01T00:00:00Z") };
const MIN = 60_000;
const PER_1000 = PLANS.enterprise.overagePer1000Minor!;
const BASE = PLANS.enterprise.priceMinor;
/** Below the per-key ceiling of a minute, so every call is served and billed. */
const CHUNK = 900;

/** Calls in a period: 0.05 cents each, so 10 is half a cent, 9 just under it, 1,030 lands on 51.5 cents. */
const TOTALS = [0, 9, 10, 11, 30, 1_030, 2_999, 12_345];

type Overview = Awaited<ReturnType<typeof billingOverview>>;

let clock: ManualClock;
let t: StripeTest;
let local: TestServer;

beforeEach(async () => {
  clock = new ManualClock(NOV.startMs + 3_600_000);
  t = await startStripeTest(clock);
  // The same catalog on the local provider (no Stripe): Headroom's own invoice for the same calls.
  local = await startTestServer({ clock });
});
afterEach(async () => {
  await local.stop();
  await t.stop();
});

interface Case {
  total: number;
  stripe: { accountId: string; customerId: string; subscriptionId: string; key: string };
  local: { accountId: string; key: string };
  /** The calls of each phase: the first days, mid-period, the period's last minute (reported after it ends). */
  phases: [number, number, number];
}

const chunks = (n: number) => Array.from({ length: Math.ceil(n / CHUNK) }, (_, i) => Math.min(CHUNK, n - i * CHUNK));

/** The calls of one phase, a chunk a minute from `atMs`, counted by each server's meter and flushed to its rollups. */
async function spend(cases: Case[], phase: 0 | 1 | 2, atMs: number) {
  const most = Math.max(...cases.map((c) => chunks(c.phases[phase]).length));
  for (let i = 0; i < most; i++) {
    clock.set(atMs + i * MIN);
    for (const c of cases) {
      const n = chunks(c.phases[phase])[i];
      if (!n) continue;
      expect(await t.srv.deps.meter.check(c.stripe.key, n)).toMatchObject({ ok: true, allowed: true });
      expect(await local.deps.meter.check(c.local.key, n)).toMatchObject({ ok: true, allowed: true });
    }
  }
  t.srv.deps.meter.flush();
  local.deps.meter.flush();
}

/** The usage reporter's runs until nothing is left to send (a minute is sent once it has settled). */
async function report() {
  const usage = t.srv.deps.stripe!.usage;
  await usage.enqueue();
  while ((await usage.send()).sent > 0);
}

describe("Enterprise's per-call price: Stripe's invoice is the Billing page's estimate and the local provider's invoice", () => {
  it("for each total, to the minor unit, including sums that land on half a cent", async () => {
    const cases: Case[] = [];
    for (const total of TOTALS) {
      const a = await linkedAccount(t, clock, "enterprise", NOV, [meteredPriceKey("enterprise")]);
      const key = (await createKey(t.srv.deps.db, clock, { accountId: a.accountId })).key;
      const mine = await createAccount(local.deps.db, local.deps.catalog, clock, { name: "Local", email: `local-${total}@example.com`, planId: "enterprise" }, { billingAnchorMs: NOV.startMs });
      const localKey = (await createKey(local.deps.db, clock, { accountId: mine.id })).key;
      // Up to 17 calls in the period's last minute (one chunk, so none spill into the next period), the rest split between the other two phases.
      const last = Math.min(total, 17);
      const first = Math.floor((total - last) / 2);
      cases.push({ total, stripe: { ...a, key }, local: { accountId: mine.id, key: localKey }, phases: [first, total - last - first, last] });
    }
    t.srv.deps.meter.invalidateKeys();
    local.deps.meter.invalidateKeys();

    await spend(cases, 0, NOV.startMs + 3_600_000);
    clock.advance(3 * MIN);
    await report();
    await spend(cases, 1, utc("2026-11-16T12:00:00Z"));
    clock.advance(3 * MIN);
    await report();
    // The period's last minute: counted now, reported to Stripe only after the period has ended.
    await spend(cases, 2, NOV.endMs - MIN);

    // The Billing page, a moment before the period ends: the next invoice, with this period's metered calls.
    clock.set(NOV.endMs - 1_000);
    const estimates = new Map<number, Overview["nextInvoice"]>();
    for (const c of cases) {
      const page = await PortalClient.signIn(t.srv, c.stripe.accountId);
      estimates.set(c.total, (await page.query<Overview>("billing.overview")).data!.nextInvoice);
    }

    // The period ends at Stripe: a draft renewal invoice per subscription. The last minute's calls are
    // reported in the grace hour, then Stripe finalizes and charges the invoices.
    clock.set(NOV.endMs);
    for (const c of cases) t.double.endPeriod(c.stripe.subscriptionId);
    clock.set(NOV.endMs + 3 * MIN);
    await report();
    clock.set(NOV.endMs + 3_600_000);
    for (const c of cases) t.double.finalizeInvoice(t.double.subscription(c.stripe.subscriptionId).latest_invoice as string);
    for (const e of t.double.takeEvents()) expect((await postEvent(t, e)).status).toBe(200);

    // Headroom's local provider, for the same calls: its calendar invoices the period that ended.
    await runBillingCycle(local.deps.billing);

    const rows = [];
    for (const c of cases) {
      const invoice = t.double.invoices.get(t.double.subscription(c.stripe.subscriptionId).latest_invoice as string)!;
      const usageLine = invoice.lines.data.find((l: { period: { start: number } }) => l.period.start === NOV.startMs / 1000);
      const estimate = estimates.get(c.total)!;
      const localInvoice = local.sqlite.prepare("select id, total_minor from invoices where account_id = ? and period_start_ms = ?").get(c.local.accountId, NOV.endMs) as { id: string; total_minor: number };
      const localUsage = local.sqlite.prepare("select coalesce(sum(amount_minor), 0) from invoice_lines where invoice_id = ? and kind = 'metered'").pluck().get(localInvoice.id) as number;
      const mirrored = t.srv.sqlite.prepare("select total_minor from invoices where account_id = ? and dedupe_key = ?").pluck().get(c.stripe.accountId, `stripe:${invoice.id}`);
      rows.push({
        total: c.total,
        reported: t.double.usageOf(usageLine.pricing.price_details.price, c.stripe.customerId, NOV.startMs / 1000, NOV.endMs / 1000),
        stripeUsage: usageLine.amount,
        estimateUsage: estimate.lines.filter((l) => l.kind === "metered").reduce((s, l) => s + l.amountMinor, 0),
        localUsage,
        stripeTotal: invoice.total,
        estimateTotal: estimate.totalMinor,
        localTotal: localInvoice.total_minor,
        mirroredTotal: mirrored,
        status: invoice.status,
      });
    }
    // Every call was billed once at Stripe, and each figure is the total's cost at 0.05 cents a call, rounded once, a half up.
    expect(rows).toEqual(
      TOTALS.map((total) => {
        const usage = perThousandCostMinor(total, PER_1000);
        return { total, reported: String(total), stripeUsage: usage, estimateUsage: usage, localUsage: usage, stripeTotal: BASE + usage, estimateTotal: BASE + usage, localTotal: BASE + usage, mirroredTotal: BASE + usage, status: "paid" };
      }),
    );
    // The half cents, spelled out: rounding per call would have billed 9, 10, 11 and 30 cents.
    expect(rows.filter((r) => [9, 10, 11, 30, 1_030].includes(r.total)).map((r) => [r.total, r.stripeUsage])).toEqual([
      [9, 0],
      [10, 1],
      [11, 1],
      [30, 2],
      [1_030, 52],
    ]);
  });
});
