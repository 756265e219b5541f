import { confirmationFor } from "../../shared/consent";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { ManualClock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { DIALECTS, startTestServer, type TestServer } from "../testing/test-server";
import { runBillingCycle } from "./billing-cycle";
import { confirmPlanChange, type Consenter } from "./plan-change";
import { cancelScheduledChange, decideApproval } from "./manage-changes";
import { customerQuote, previewOverageChange, previewPlanChange, type QuoteRow } from "./quote";

const DAY = 86_400_000;
const utc = (s: string) => Date.parse(s);
const who: Consenter = { signedInAs: "ops@acme.example", ip: "127.0.0.1", userAgent: "vitest" };
let srv: TestServer;
let clock: ManualClock;

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeEach(async () => {
    clock = new ManualClock(utc("2026-11-16T00:00:00Z"));
    srv = await startTestServer({ dialect, clock });
  });
  afterEach(() => srv.stop());

  async function account(planId: string, anchor = utc("2026-11-01T00:00:00Z"), email = `${Math.random()}@example.com`) {
    return (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email, planId }, { billingAnchorMs: anchor })).id;
  }
  const accepted = (q: QuoteRow, opts: { overage?: boolean } = {}) => confirmationFor(q, opts);
  const count = async (table: string, accountId: string) => (await srv.value<number>(`select count(*) from ${table} where account_id = ?`, accountId))!;
  /** What the meter enforces for the account now (read ahead first, as on PostgreSQL every caller does). */
const limitsOf = async (accountId: string) => {
  await srv.deps.meter.prepare(accountId);
  return srv.deps.meter.limitsFor(accountId);
};
const planOf = (accountId: string) => srv.value("select plan_id from accounts where id = ?", accountId);
  const expectDomainError = async (fn: () => unknown, code: string) => {
    try {
      await fn();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe(code);
      return;
    }
    throw new Error(`expected ${code}`);
  };

  describe("upgrade now, with consent", () => {
    it("quotes Stripe's proration, applies the consented change once, invoices once, and new caps apply at once", async () => {
      const id = await account("starter");
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      // 15 of 30 days left: −$14.50 + $99.50 = $85.00 now, $199.00 from 1 Dec.
      expect(q).toMatchObject({ timing: "now", creditMinor: -1450, chargeMinor: 9950, amountDueNowMinor: 8500, recurringMinor: 19900, recurringFromMs: utc("2026-12-01T00:00:00Z"), currency: "USD" });
      expect(q.consentText).toBe("I authorise a charge of $85.00 now and $199.00 every month from 1 Dec 2026 until I cancel, for the Business plan.");
      expect(await planOf(id)).toBe("starter");

      const first = await confirmPlanChange(srv.deps.billing, id, accepted(q), who);
      const second = await confirmPlanChange(srv.deps.billing, id, accepted(q), who);
      expect(first).toMatchObject({ status: "applied", replayed: false, toPlanId: "business", amountDueNowMinor: 8500 });
      expect(second).toMatchObject({ status: "applied", replayed: true, planChangeId: first.planChangeId, invoiceId: first.invoiceId });
      expect(await planOf(id)).toBe("business");
      expect([await count("plan_changes", id), await count("consents", id), await count("invoices", id)]).toEqual([1, 1, 1]);
      const invoice = (await srv.sql("select total_minor, status from invoices where account_id = ?", id))[0];
      expect(invoice).toEqual({ total_minor: 8500, status: "paid" });
      const consent = (await srv.sql("select signed_in_as, ip, text_shown, amount_due_now_minor from consents where account_id = ?", id))[0];
      expect(consent).toEqual({ signed_in_as: who.signedInAs, ip: "127.0.0.1", text_shown: q.consentText, amount_due_now_minor: 8500 });
      // The meter uses the Business caps from the next call.
      expect((await limitsOf(id)).limits.find((l) => l.window === "minute")!.limit).toBe(300);
    });

    it("from Free charges the full price now and starts a new billing period at the moment of the change", async () => {
      const id = await account("free", utc("2026-10-20T00:00:00Z"));
      clock.set(utc("2026-11-16T09:30:00.400Z"));
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter" });
      // Not from 00:00 UTC of the day: the half day already gone is not billed.
      expect(q).toMatchObject({ creditMinor: 0, chargeMinor: 2900, amountDueNowMinor: 2900, recurringFromMs: utc("2026-12-16T09:30:00Z") });
      await confirmPlanChange(srv.deps.billing, id, accepted(q), who);
      expect((await srv.value("select billing_anchor_ms from accounts where id = ?", id))).toBe(utc("2026-11-16T09:30:00Z"));
      expect((await limitsOf(id)).period).toEqual({ startMs: utc("2026-11-16T09:30:00Z"), endMs: utc("2026-12-16T09:30:00Z") });
    });
  });

  describe("what a confirmation refuses", () => {
    it("an expired quote", async () => {
      const id = await account("starter");
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      clock.advance(15 * 60_000);
      await expectDomainError(() => confirmPlanChange(srv.deps.billing, id, accepted(q), who), "EXPIRED");
      expect([await count("plan_changes", id), await count("consents", id), await count("invoices", id)]).toEqual([0, 0, 0]);
    });

    it("amounts other than the quote's", async () => {
      const id = await account("starter");
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      for (const tampered of [{ amountDueNow: 1 }, { recurringAmount: 100 }, { currency: "EUR" }]) {
        const input = accepted(q);
        await expectDomainError(() => confirmPlanChange(srv.deps.billing, id, { ...input, accepted: { ...input.accepted, ...tampered } }, who), "CONFLICT");
      }
      expect(await planOf(id)).toBe("starter");
    });

    it("another account's quote, as not found", async () => {
      const mine = await account("starter");
      const theirs = await account("starter");
      const q = await previewPlanChange(srv.deps.billing, { accountId: theirs, toPlanId: "business" });
      await expectDomainError(() => confirmPlanChange(srv.deps.billing, mine, accepted(q), who), "NOT_FOUND");
      expect([await planOf(mine), await planOf(theirs), await count("consents", theirs)]).toEqual(["starter", "starter", 0]);
    });

    it("a quote whose account changed since: the customer must preview again", async () => {
      const id = await account("starter");
      const a = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      const b = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro" });
      await confirmPlanChange(srv.deps.billing, id, accepted(b), who);
      await expectDomainError(() => confirmPlanChange(srv.deps.billing, id, accepted(a), who), "PRECONDITION_FAILED");
      expect(await planOf(id)).toBe("pro");
    });

    it("a plan change without a consent cannot exist in the schema", async () => {
      const id = await account("starter");
      await expect(
        srv.sql("insert into plan_changes (id, account_id, quote_id, consent_id, kind, from_plan_id, to_plan_id, status, effective_at_ms, created_at_ms, updated_at_ms) values ('p', ?, 'q', null, 'plan_change', 'starter', 'business', 'applied', 0, 0, 0)", id),
      ).rejects.toThrow(/NOT NULL|not-null/);
    });
  });

  describe("the same choice, quoted once", () => {
    it("previewing the same change again answers the open quote while it has 5 minutes left; another change, or a changed account, gets a new one", async () => {
      const id = await account("starter");
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      clock.advance(60_000);
      const again = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      expect(again.id).toBe(q.id);
      expect(again.amountDueNowMinor).toBe(q.amountDueNowMinor);
      expect((await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro" })).id).not.toBe(q.id);
      expect(await count("quotes", id)).toBe(2);

      // Under 5 minutes left: priced anew (with its own 15 minutes).
      clock.advance(9 * 60_000 + 1);
      const later = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      expect(later.id).not.toBe(q.id);
      expect(later.expiresAtMs).toBe(clock.now() + 15 * 60_000);

      // A change of the account since (its billing date moved) makes the open quote unusable: a new one.
      await srv.sql("update accounts set billing_anchor_ms = ? where id = ?", utc("2026-11-02T00:00:00Z"), id);
      const moved = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      expect(moved.id).not.toBe(later.id);
      expect(await count("quotes", id)).toBe(4);
    });

    it("a quote the customer consented to is never answered again", async () => {
      const id = await account("free");
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "pro" });
      expect(await confirmPlanChange(srv.deps.billing, id, accepted(q), who)).toMatchObject({ status: "applied" });
      expect((await customerQuote(srv.deps.billing, id, q.id)).state).toBe("consented");
      const back = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter" });
      expect(back.id).not.toBe(q.id);
    });

    it("says where a quote stands for the wizard's reload: open, expired, outdated, consented; another account's is not found", async () => {
      const id = await account("starter");
      const other = await account("starter");
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      expect(await customerQuote(srv.deps.billing, id, q.id)).toMatchObject({ state: "open", quote: { id: q.id } });
      await expectDomainError(() => customerQuote(srv.deps.billing, other, q.id), "NOT_FOUND");
      await expectDomainError(() => customerQuote(srv.deps.billing, id, "quo_nothing"), "NOT_FOUND");
      await srv.sql("update accounts set overage_opt_in = ? where id = ?", srv.dialect === "pg" ? true : 1, id);
      expect((await customerQuote(srv.deps.billing, id, q.id)).state).toBe("outdated");
      clock.advance(15 * 60_000);
      expect((await customerQuote(srv.deps.billing, id, q.id)).state).toBe("expired");
    });
  });

  describe("downgrades at the period end", () => {
    it("schedules without charging, can be cancelled, and applies at the boundary", async () => {
      const id = await account("business");
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter" });
      expect(q).toMatchObject({ timing: "period_end", amountDueNowMinor: 0, effectiveAtMs: utc("2026-12-01T00:00:00Z") });
      expect(q.consentText).toContain("Nothing is charged now.");
      const scheduled = await confirmPlanChange(srv.deps.billing, id, accepted(q), who);
      expect(scheduled.status).toBe("scheduled");
      expect(await planOf(id)).toBe("business");

      await cancelScheduledChange(srv.deps.billing, id, scheduled.planChangeId);
      await expect(cancelScheduledChange(srv.deps.billing, id, scheduled.planChangeId)).rejects.toThrow(DomainError);
      clock.set(utc("2026-12-01T00:00:01Z"));
      await runBillingCycle(srv.deps.billing);
      expect(await planOf(id)).toBe("business");

      clock.set(utc("2026-12-10T00:00:00Z"));
      const again = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "free" });
      expect(again.effectiveAtMs).toBe(utc("2027-01-01T00:00:00Z"));
      await confirmPlanChange(srv.deps.billing, id, accepted(again), who);
      clock.set(utc("2026-12-31T23:59:59Z"));
      await runBillingCycle(srv.deps.billing);
      expect(await planOf(id)).toBe("business");
      clock.set(utc("2027-01-01T00:00:00Z"));
      await runBillingCycle(srv.deps.billing);
      expect(await planOf(id)).toBe("free");
    });
  });

  describe("the billing cap", () => {
    it("turns a confirmation over the cap into an approval request; approved at once, it applies the consented amounts", async () => {
      const id = await account("starter");
      // 30 days at 100,000 calls a day: Enterprise would be $990 + 3M × $0.50/1000 = $2,490/month.
      const insert = (...params: unknown[]) => srv.sql("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 100000, 0, 0, 0, 200)", ...params);
      for (let d = 0; d < 30; d++) await insert(utc("2026-11-16T00:00:00Z") - d * DAY, id);
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "enterprise" });
      expect(q.projectedMonthlyMinor).toBe(99_000 + 150_000);
      const r = await confirmPlanChange(srv.deps.billing, id, accepted(q), who);
      expect(r.status).toBe("pending_approval");
      expect([await planOf(id), await count("invoices", id), await count("consents", id)]).toEqual(["starter", 0, 1]);

      const request = (await srv.value("select id from approval_requests where account_id = ?", id)) as string;
      await expect(decideApproval(srv.deps.billing, { requestId: request, approve: false }, "op")).rejects.toThrow(/Say why/);
      expect((await decideApproval(srv.deps.billing, { requestId: request, approve: true }, "op@provider.example")).status).toBe("approved");
      expect(await planOf(id)).toBe("enterprise");
      expect((await srv.value("select total_minor from invoices where account_id = ?", id))).toBe(q.amountDueNowMinor);
      await expect(decideApproval(srv.deps.billing, { requestId: request, approve: true }, "op")).rejects.toThrow(/already/);
    });

    it("prices an approved change when it is applied: a price that moved is confirmed again, without a second approval", async () => {
      const id = await account("starter");
      const insert = (...params: unknown[]) => srv.sql("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 100000, 0, 0, 0, 200)", ...params);
      for (let d = 0; d < 30; d++) await insert(utc("2026-11-16T00:00:00Z") - d * DAY, id);
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "enterprise" });
      expect((await confirmPlanChange(srv.deps.billing, id, accepted(q), who)).status).toBe("pending_approval");
      const request = (await srv.value("select id from approval_requests where account_id = ?", id)) as string;
      // Approved two days later: less of the period is left, so the prorated amount is no longer the one consented to.
      clock.advance(2 * DAY);
      expect((await decideApproval(srv.deps.billing, { requestId: request, approve: true }, "op")).status).toBe("needs_consent");
      expect([await planOf(id), await count("invoices", id)]).toEqual(["starter", 0]);
      const told = JSON.parse((await srv.value("select facts_json from notices where account_id = ? and kind = 'approval_decided'", id)) as string) as { text: string };
      expect(told.text).toMatch(/its price changed while it waited: \$[\d,.]+ is due now instead of the \$[\d,.]+ you agreed to/);

      // The customer confirms the new price: applied now, at that price, with no second approval.
      const again = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "enterprise" });
      expect(again.amountDueNowMinor).toBeLessThan(q.amountDueNowMinor);
      const r = await confirmPlanChange(srv.deps.billing, id, accepted(again), who);
      expect(r.status).toBe("applied");
      expect(await planOf(id)).toBe("enterprise");
      expect((await srv.value("select total_minor from invoices where account_id = ?", id))).toBe(again.amountDueNowMinor);
    });

    it("starts an approved Free → paid switch's billing period at the approval, not at the quote", async () => {
      const id = await account("free");
      srv.deps.billing.billingCapMinor = 1_000;
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "starter" });
      expect((await confirmPlanChange(srv.deps.billing, id, accepted(q), who)).status).toBe("pending_approval");
      clock.advance(3 * DAY + 5 * 3_600_000 + 17_000);
      const approvedAt = Math.floor(clock.now() / 1000) * 1000;
      const request = (await srv.value("select id from approval_requests where account_id = ?", id)) as string;
      expect((await decideApproval(srv.deps.billing, { requestId: request, approve: true }, "op")).status).toBe("approved");
      const row = (await srv.sql("select plan_id, billing_anchor_ms, plan_started_at_ms from accounts where id = ?", id))[0];
      expect(row).toEqual({ plan_id: "starter", billing_anchor_ms: approvedAt, plan_started_at_ms: approvedAt });
      const invoice = (await srv.sql("select total_minor, period_start_ms from invoices where account_id = ?", id))[0];
      expect(invoice).toEqual({ total_minor: 2_900, period_start_ms: approvedAt });
    });

    it("a denial leaves the plan as it was and tells the customer why", async () => {
      const id = await account("starter");
      srv.deps.billing.billingCapMinor = 10_000;
      const q = await previewPlanChange(srv.deps.billing, { accountId: id, toPlanId: "business" });
      await confirmPlanChange(srv.deps.billing, id, accepted(q), who);
      const request = (await srv.value("select id from approval_requests where account_id = ?", id)) as string;
      expect((await decideApproval(srv.deps.billing, { requestId: request, approve: false, reason: "Please talk to sales first" }, "op")).status).toBe("denied");
      expect(await planOf(id)).toBe("starter");
      const notice = (await srv.value("select facts_json from notices where account_id = ? and kind = 'approval_decided'", id)) as string;
      expect(JSON.parse(notice).text).toContain("Please talk to sales first");
    });
  });

  describe("overage opt-in", () => {
    it("is a consent of its own, lifts the monthly quota in the meter, and can be turned off", async () => {
      const id = await account("pro");
      expect((await limitsOf(id)).limits.find((l) => l.window === "month")!.limit).toBe(10_000);
      const optIn = await previewOverageChange(srv.deps.billing, { accountId: id, optIn: true });
      expect(optIn.consentText).toMatch(/^I agree to pay \$3\.00 per 1,000 calls beyond 10,000 calls in a billing month/);
      expect((await confirmPlanChange(srv.deps.billing, id, accepted(optIn), who)).status).toBe("applied");
      expect((await limitsOf(id)).limits.find((l) => l.window === "month")!.limit).toBeNull();
      await expect(previewOverageChange(srv.deps.billing, { accountId: id, optIn: true })).rejects.toThrow(/already on/);
      const optOut = await previewOverageChange(srv.deps.billing, { accountId: id, optIn: false });
      await confirmPlanChange(srv.deps.billing, id, accepted(optOut), who);
      expect((await limitsOf(id)).limits.find((l) => l.window === "month")!.limit).toBe(10_000);
      expect(await count("consents", id)).toBe(2);
      const starter = await account("starter");
      await expect(previewOverageChange(srv.deps.billing, { accountId: starter, optIn: true })).rejects.toThrow(/no overage option/);
    });
  });

  describe("the billing calendar", () => {
    it("issues one invoice per period with metered usage, and flags a bill over twice the last", async () => {
      const id = await account("enterprise", utc("2026-10-01T00:00:00Z"));
      const insert = (...params: unknown[]) => srv.sql("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, 0, 0, 0, 10)", ...params);
      await insert(utc("2026-10-05T00:00:00Z"), id, 1_000_000); // October: $500 metered
      await insert(utc("2026-11-05T00:00:00Z"), id, 10_000_000); // November: $5,000 metered
      clock.set(utc("2026-11-01T00:00:00Z"));
      await runBillingCycle(srv.deps.billing);
      await runBillingCycle(srv.deps.billing);
      const nov = (await srv.column("select total_minor from invoices where account_id = ? and kind = 'period'", id));
      expect(nov).toEqual([99_000 + 50_000]);
      clock.set(utc("2026-12-01T00:00:00Z"));
      await runBillingCycle(srv.deps.billing);
      const totals = (await srv.column("select total_minor from invoices where account_id = ? and kind = 'period' order by period_start_ms", id));
      expect(totals).toEqual([149_000, 99_000 + 500_000]);
      const anomaly = (await srv.sql("select previous_total_minor, total_minor from anomalies where account_id = ?", id));
      expect(anomaly).toEqual([{ previous_total_minor: 149_000, total_minor: 599_000 }]);
      expect((await srv.value("select count(*) from notices where account_id = ? and kind = 'anomaly'", id))).toBe(1);
    });
  });
});
