import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { consentDigest, confirmationFor } from "../../shared/consent";
import { createAccount } from "../accounts/accounts";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { PortalClient } from "../testing/portal-client";
import { startTestServer, type TestServer } from "../testing/test-server";
import { runBillingCycle } from "./billing-cycle";
import { confirmPlanChange, type Consenter } from "./plan-change";
import { decideApproval } from "./manage-changes";
import { previewOverageChange, previewPlanChange, type QuoteRow } from "./quote";

const DAY = 86_400_000;
const utc = (s: string) => Date.parse(s);
const who: Consenter = { signedInAs: "ops@acme.example", ip: "127.0.0.1", userAgent: "vitest" };
let srv: TestServer;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(utc("2026-11-16T12:00:00Z"));
  srv = await startTestServer({ clock });
});
afterEach(() => srv.stop());

async function account(planId: string, anchor = utc("2026-11-01T00:00:00Z")) {
  return (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: `${Math.random()}@example.com`, planId }, { billingAnchorMs: anchor })).id;
}
const sql = <T>(q: string, ...args: unknown[]) => srv.sqlite.prepare(q).get(...args) as T;
const planOf = (id: string) => sql<{ plan_id: string }>("select plan_id from accounts where id = ?", id).plan_id;
const statusOf = (planChangeId: string) => sql<{ status: string }>("select status from plan_changes where id = ?", planChangeId).status;
const confirm = (id: string, q: QuoteRow, opts: { overage?: boolean } = {}) => confirmPlanChange(srv.deps.billing, id, confirmationFor(q, opts), who);
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  return "none";
}
/** `calls` a day for the last 30 UTC days (today included), each day's busiest minute `peak`. */
function history(id: string, calls: number, peak: number) {
  const insert = srv.sqlite.prepare("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, 0, 0, 0, ?)");
  for (let d = 0; d < 30; d++) insert.run(utc("2026-11-16T00:00:00Z") - d * DAY, id, calls, peak);
}

describe("explicit consent, bound to the words shown", () => {
  it("refuses a confirmation without an agreement, with consent false, or for another text", async () => {
    const id = await account("starter");
    const client = await PortalClient.signIn(srv, id);
    const q = (await client.mutate<QuoteRow>("billing.previewPlanChange", { toPlanId: "business" })).data!;
    const good = confirmationFor(q);

    const missing = await client.mutate("billing.confirm", { quoteId: q.id, accepted: good.accepted });
    expect(missing.status).toBe(400);
    expect(missing.error!.message).toBe("The confirmation must carry your agreement to the words shown: { agreed: true, textDigest }.");
    const refused = await client.mutate("billing.confirm", { ...good, consent: { agreed: false, textDigest: good.consent.textDigest } });
    expect(refused.status).toBe(400);
    expect(refused.error!.message).toBe("Nothing changes without your explicit agreement: tick the box to agree to the words shown.");
    const otherWords = await client.mutate("billing.confirm", { ...good, consent: { agreed: true, textDigest: consentDigest("I agree to anything.") } });
    expect(otherWords.status).toBe(409);
    expect(otherWords.error!.message).toContain("The words you agreed to are not this price preview's. Nothing was charged");
    expect([planOf(id), sql<{ n: number }>("select count(*) as n from consents where account_id = ?", id).n]).toEqual(["starter", 0]);

    const ok = await client.mutate<{ status: string; consentId: string }>("billing.confirm", good);
    expect(ok.data!.status).toBe("applied");
    expect(sql<{ text_shown: string }>("select text_shown from consents where id = ?", ok.data!.consentId).text_shown).toBe(q.consentText);
  });

  it("records the Enterprise per-call clause and the end of grandfathering in the words agreed to", async () => {
    const id = await account("starter");
    srv.sqlite.prepare("update accounts set grandfathered_until_ms = ? where id = ?").run(utc("2027-02-01T00:00:00Z"), id);
    history(id, 2_000, 100);
    const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "enterprise" });
    expect(q.consentText).toMatch(/Every call is also billed at \$0\.50 per 1,000 calls \(about \$30\.00 a month at my current rate\)\./);
    expect(q.consentText).toContain("This ends the terms I keep until 1 Feb 2027.");
    const r = await confirm(id, q);
    expect(sql<{ text_shown: string }>("select text_shown from consents where id = ?", r.consentId).text_shown).toBe(q.consentText);
  });
});

describe("the whole price in the preview: expected overage and its opt-in", () => {
  it("offers overage billing with the change when the traffic would pass the new plan's quota, in its own words and tick", async () => {
    // Copperleaf's shape: about 1,950 calls a day, bursts of 95 a minute: Starter is over, Pro fits with overage.
    const id = await account("starter");
    history(id, 1_950, 95);
    const compare = (await srv.deps.advisor.compare(id))!;
    expect(compare.recommendation).toMatchObject({ planId: "pro", kind: "fits_with_overage" });
    const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro" });
    // The same estimate as the Plans page: 58,500 calls a month, 49 started thousands over the quota at $3.00.
    expect(q.expectedOverageMinor).toBe(14_700);
    expect(q.estimatedMonthlyMinor).toBe(compare.recommendation!.monthlyCostMinor);
    expect(q.estimatedMonthlyMinor).toBe(4_900 + 14_700);
    expect(q.overageConsentText).toBe(
      "I also agree to overage billing on the Pro plan: calls beyond 10,000 in a billing month are served and billed at $3.00 per 1,000 with my monthly invoice, instead of being limited. At my current rate that is about $147.00 a month. I can turn this off at any time on the Billing page.",
    );

    // Ticked: both sentences recorded, and the account bills overage instead of limiting.
    const r = await confirm(id, q, { overage: true });
    expect(r.status).toBe("applied");
    const consent = sql<{ text_shown: string; overage_opt_in: number }>("select text_shown, overage_opt_in from consents where id = ?", r.consentId);
    expect(consent).toEqual({ text_shown: `${q.consentText} ${q.overageConsentText}`, overage_opt_in: 1 });
    expect(sql<{ overage_opt_in: number }>("select overage_opt_in from accounts where id = ?", id).overage_opt_in).toBe(1);
    expect(srv.deps.meter.limitsFor(id).limits.find((l) => l.window === "month")!.limit).toBeNull();
  });

  it("without the overage tick the plan changes and the quota limits; a tick for words not offered is refused", async () => {
    const id = await account("starter");
    history(id, 1_950, 95);
    const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro" });
    const tampered = { ...confirmationFor(q, { overage: true }), overage: { agreed: true as const, textDigest: consentDigest("I also agree to something else.") } };
    expect(await codeOf(() => confirmPlanChange(srv.deps.billing, id, tampered, who))).toBe("CONFLICT");
    const r = await confirm(id, q);
    expect(sql<{ overage_opt_in: number }>("select overage_opt_in from consents where id = ?", r.consentId).overage_opt_in).toBe(0);
    expect(srv.deps.meter.limitsFor(id).limits.find((l) => l.window === "month")!.limit).toBe(10_000);

    const quiet = await account("starter");
    const plain = await previewPlanChange(srv.deps.billing, { accountId: quiet, toPlanId: "business" });
    expect(plain.overageConsentText).toBeNull();
    const withTick = { ...confirmationFor(plain), overage: { agreed: true as const, textDigest: consentDigest("x") } };
    expect(await codeOf(() => confirmPlanChange(srv.deps.billing, quiet, withTick, who))).toBe("BAD_INPUT");
  });

  it("counts a new plan's monthly quota from the switch: calls made on the old plan are not over the new one's", async () => {
    const s = await account("starter");
    const key = (await createKey(srv.deps.db, clock, { accountId: s, name: "k" })).key;
    // 12,000 calls on Starter this period (shadow mode serves them), a minute apart to stay under the key's safety ceiling.
    for (let i = 0; i < 12; i++) {
      srv.deps.meter.check(key, 1_000);
      clock.advance(61_000);
    }
    srv.deps.meter.flush();
    expect(srv.deps.meter.limitsFor(s).limits.find((l) => l.window === "month")!.used).toBe(12_000);
    const q = await previewPlanChange(srv.deps.billing, { accountId: s, toPlanId: "pro" });
    await confirm(s, q);
    const month = srv.deps.meter.limitsFor(s).limits.find((l) => l.window === "month")!;
    expect(month).toMatchObject({ limit: 10_000, used: 0, state: "fine", fromMs: q.prorationAtMs });
    clock.advance(61_000);
    srv.deps.meter.check(key, 500);
    srv.deps.meter.flush();
    expect(srv.deps.meter.limitsFor(s).limits.find((l) => l.window === "month")!.used).toBe(500);
  });

  it("bills the period's usage on the plan it was made on when a downgrade takes effect at the boundary", async () => {
    const id = await account("enterprise", utc("2026-11-01T00:00:00Z"));
    srv.sqlite.prepare("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 2000000, 0, 0, 0, 100)").run(utc("2026-11-10T00:00:00Z"), id);
    const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
    expect((await confirm(id, q)).status).toBe("scheduled");
    clock.set(utc("2026-12-01T00:00:05Z"));
    await runBillingCycle(srv.deps.billing);
    expect(planOf(id)).toBe("business");
    const lines = srv.sqlite
      .prepare("select l.kind, l.amount_minor, l.description from invoice_lines l join invoices i on i.id = l.invoice_id where i.account_id = ? and i.kind = 'period' order by l.kind")
      .all(id) as Array<{ kind: string; amount_minor: number; description: string }>;
    // November's 2,000,000 calls were made on Enterprise: $1,000.00 metered, even though the account is on Business now.
    expect(lines.map((l) => [l.kind, l.amount_minor])).toEqual([
      ["metered", 100_000],
      ["plan", 19_900],
    ]);
    expect(lines[0]!.description).toMatch(/^Enterprise: 2,000,000 calls at \$0\.50 per 1,000/);
  });
});

describe("plan changes never collide", () => {
  it("the schema allows one waiting plan change per account", async () => {
    const id = await account("business");
    const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter" });
    const r = await confirm(id, q);
    const insert = () =>
      srv.sqlite
        .prepare("insert into plan_changes (id, account_id, quote_id, consent_id, kind, from_plan_id, to_plan_id, status, effective_at_ms, created_at_ms, updated_at_ms) values ('p2', ?, ?, ?, 'plan_change', 'business', 'free', 'pending_approval', 0, 0, 0)")
        .run(id, q.id + "x", r.consentId + "x");
    srv.sqlite.pragma("foreign_keys = OFF");
    try {
      expect(insert).toThrow(/UNIQUE constraint failed: plan_changes.account_id/);
    } finally {
      srv.sqlite.pragma("foreign_keys = ON");
    }
  });

  it("an overage opt-in leaves a scheduled downgrade alone", async () => {
    const id = await account("pro");
    const down = await confirm(id, await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter" }));
    expect(down.status).toBe("scheduled");
    const optIn = await confirm(id, await previewOverageChange(srv.deps.billing, { accountId: id, optIn: true }));
    expect(optIn.status).toBe("applied");
    expect(statusOf(down.planChangeId)).toBe("scheduled");
  });

  it("a new choice replaces a change awaiting approval; the withdrawn request can no longer be approved", async () => {
    const id = await account("business");
    srv.deps.billing.billingCapMinor = 50_000;
    const up = await confirm(id, await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "enterprise" }));
    expect(up.status).toBe("pending_approval");
    const down = await confirm(id, await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter" }));
    expect(down.status).toBe("scheduled");
    expect(down.replaced).toEqual([{ planChangeId: up.planChangeId, toPlanId: "enterprise", status: "pending_approval" }]);
    expect(statusOf(up.planChangeId)).toBe("cancelled");
    const request = sql<{ id: string; status: string }>("select id, status from approval_requests where plan_change_id = ?", up.planChangeId);
    expect(request.status).toBe("withdrawn");
    await expect(decideApproval(srv.deps.billing, { requestId: request.id, approve: true }, "op")).rejects.toThrow(/already withdrawn/);
    expect(planOf(id)).toBe("business");
    expect(statusOf(down.planChangeId)).toBe("scheduled");
    const told = sql<{ facts_json: string }>("select facts_json from notices where account_id = ? and dedupe_key like ?", id, `%${up.planChangeId}:replaced`);
    expect(JSON.parse(told.facts_json).title).toBe("Your request to switch to Enterprise was withdrawn");
  });

  it("the calendar applies a scheduled change only while the account is still on the plan it was scheduled from", async () => {
    const id = await account("business");
    const down = await confirm(id, await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter" }));
    // The plan changed some other way since (an operator, a provider's dashboard).
    srv.sqlite.prepare("update accounts set plan_id = 'pro' where id = ?").run(id);
    clock.set(utc("2026-12-01T00:00:01Z"));
    await runBillingCycle(srv.deps.billing);
    expect(planOf(id)).toBe("pro");
    expect(statusOf(down.planChangeId)).toBe("cancelled");
    const told = sql<{ facts_json: string }>("select facts_json from notices where account_id = ? and dedupe_key like ?", id, `%${down.planChangeId}:void`);
    expect(JSON.parse(told.facts_json).title).toBe("Your scheduled switch to Starter was cancelled");
  });
});
