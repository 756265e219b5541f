import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { nextInvoiceNumber } from "../../billing/invoice-number";
import { DIALECTS, runUnit, type OpenDialect } from "../../testing/pg-dialects";
import * as pg from "../pg/schema";
import { accounts, quotes } from "../schema";
import { approvalStatusInTx, decideApprovalInTx, isBillingPausedInTx } from "./billing";
import { creditBalanceInTx, insertInvoiceInTx, invoiceByDedupeKeyInTx, invoiceInTx, moveInvoiceInTx, previousPeriodInvoiceInTx, type NewInvoice, type NewInvoiceLine } from "./invoices";
import {
  accountInTx,
  approvalsInTx,
  claimForApplyInTx,
  consentTickedOverageInTx,
  insertApprovalRequestInTx,
  insertConsentInTx,
  insertPlanChangeInTx,
  moveChangeInTx,
  openSwitchesInTx,
  quoteInTx,
  updateAccountInTx,
  withdrawApprovalInTx,
} from "./plan-changes";
import { queueUsageReportInTx, reportedByMinuteInTx, storeEventInTx, switchesAwaitingPaymentInTx, waitingSwitchToInTx } from "./stripe";
import { statement, type Unit } from "./unit";

const NOW = Date.parse("2026-11-25T14:00:00Z");
type AccountInsert = typeof accounts.$inferInsert;

// Statements the tests need that the domain does not: written like the domain's, for both dialects.
const insertAccount = statement(
  (tx, row: AccountInsert) => {
    tx.insert(accounts).values(row).run();
  },
  async (tx, row) => {
    await tx.insert(pg.accounts).values(row);
  },
);
const insertQuote = statement(
  (tx, row: typeof pg.quotes.$inferInsert) => {
    tx.insert(quotes).values(row).run();
  },
  async (tx, row) => {
    await tx.insert(pg.quotes).values(row);
  },
);

const account = (id: string): AccountInsert => ({ id, name: id, email: `${id}@example.com`, planId: "starter", billingAnchorMs: NOW, createdAtMs: NOW });
const invoice = (id: string, accountId: string, extra: Partial<NewInvoice> = {}): NewInvoice => ({
  id,
  accountId,
  number: id.toUpperCase(),
  kind: "period",
  periodStartMs: NOW,
  periodEndMs: NOW + 1,
  totalMinor: 2900,
  currency: "USD",
  status: "paid",
  dedupeKey: id,
  createdAtMs: NOW,
  ...extra,
});
const line = (id: string, amountMinor: number, kind: NewInvoiceLine["kind"] = "plan"): NewInvoiceLine => ({ id, kind, description: kind, quantity: 1, amountMinor });

describe.each(DIALECTS)("units of work ($dialect)", ({ dialect, open }) => {
  let database: OpenDialect;
  const run = <T>(work: () => Unit<T>) => runUnit(database.store, work);

  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database.close());
  beforeEach(() => database.reset());

  it("fails the unit with the first statement that fails, even where the unit would catch it", async () => {
    let cleanedUp = false;
    await expect(
      run(function* () {
        yield* insertAccount(account("acc_1"));
        try {
          yield* insertAccount(account("acc_1"));
        } catch {
          // PostgreSQL could not go on in this transaction: neither does SQLite, so a unit behaves alike on both.
          yield* insertAccount(account("acc_2"));
          return "caught";
        } finally {
          cleanedUp = true;
        }
        return "inserted twice";
      }),
    ).rejects.toThrow();
    expect(cleanedUp).toBe(true);
    expect(await run(() => accountInTx("acc_1"))).toBeUndefined();
    expect(await run(() => accountInTx("acc_2"))).toBeUndefined();
  });

  it("commits nothing of a unit that throws", async () => {
    await expect(
      run(function* () {
        yield* insertAccount(account("acc_1"));
        yield* insertInvoiceInTx(invoice("inv_1", "acc_1"), [line("il_1", 2900)]);
        throw new Error("the charge was declined");
      }),
    ).rejects.toThrow("declined");
    expect(await run(() => accountInTx("acc_1"))).toBeUndefined();
    expect(await run(() => invoiceInTx("inv_1"))).toBeUndefined();
  });

  it("hands out invoice numbers once each to units running at once", async () => {
    const numbers = await Promise.all(Array.from({ length: 20 }, () => run(nextInvoiceNumber)));
    expect(new Set(numbers).size).toBe(20);
    expect([...numbers].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `HR-${String(i + 1).padStart(6, "0")}`));
  });

  it("moves an invoice once when many units try at once", async () => {
    await run(function* () {
      yield* insertAccount(account("acc_1"));
      yield* insertInvoiceInTx(invoice("inv_1", "acc_1", { status: "open" }), []);
    });
    const moved = await Promise.all(Array.from({ length: 10 }, () => run(() => moveInvoiceInTx("inv_1", "open", "paid"))));
    expect(moved.filter(Boolean)).toHaveLength(1);
    expect((await run(() => invoiceInTx("inv_1")))?.status).toBe("paid");
  });

  it("never spends the same credit twice: two invoices at once take 1,000 of a 1,000 balance between them", async () => {
    await run(function* () {
      yield* insertAccount(account("acc_1"));
      // A proration that credited 10.00.
      yield* insertInvoiceInTx(invoice("inv_credit", "acc_1", { kind: "proration", totalMinor: -1000 }), [line("il_c", -1000, "proration_credit")]);
    });
    let reads = 0;
    let bothRead!: () => void;
    const gate = new Promise<void>((r) => {
      bothRead = r;
    });
    // On PostgreSQL each unit waits, after reading the balance, until the other has read it too: both
    // decide from the same balance, as two instances would. SERIALIZABLE must abort one, which runs again.
    const afterRead = statement(
      () => undefined,
      async () => {
        if (++reads === 2) bothRead();
        await Promise.race([gate, new Promise((r) => setTimeout(r, 2_000))]);
      },
    );
    let attempts = 0;
    const take = (id: string) =>
      run(function* () {
        attempts++;
        const balance = yield* creditBalanceInTx("acc_1");
        yield* afterRead();
        const taken = Math.min(balance, 800);
        yield* insertInvoiceInTx(invoice(id, "acc_1", { totalMinor: 800 - taken }), [line(`${id}_plan`, 800), ...(taken > 0 ? [line(`${id}_bal`, -taken, "balance")] : [])]);
        return taken;
      });
    const taken = await Promise.all([take("inv_a"), take("inv_b")]);
    expect(taken.reduce((a, b) => a + b, 0)).toBe(1000);
    expect([...taken].sort((a, b) => a - b)).toEqual([200, 800]);
    expect(await run(() => creditBalanceInTx("acc_1"))).toBe(0);
    // SQLite runs the two one after the other; PostgreSQL ran one of them again.
    expect(attempts).toBe(dialect === "sqlite" ? 2 : 3);
  });

  it("answers every billing statement alike", async () => {
    await run(function* () {
      yield* insertAccount(account("acc_1"));
      yield* insertAccount(account("acc_2"));
      yield* updateAccountInTx("acc_2", { stripeCustomerId: "cus_2", stripeSubscriptionId: "sub_2" });
      yield* insertInvoiceInTx(invoice("inv_jan", "acc_1", { periodStartMs: NOW - 2, totalMinor: 1000 }), [line("il_1", 1000)]);
      yield* insertInvoiceInTx(invoice("inv_feb", "acc_1", { periodStartMs: NOW - 1, totalMinor: 500, status: "void" }), [line("il_2", 500)]);
      yield* insertInvoiceInTx(invoice("inv_mar", "acc_1", { periodStartMs: NOW, totalMinor: 3000 }), [line("il_3", 3000)]);
    });
    expect(await run(() => accountInTx("acc_2"))).toMatchObject({ stripeCustomerId: "cus_2", overageOptIn: false, billingInterval: "month" });
    expect((await run(() => invoiceByDedupeKeyInTx("inv_mar")))?.id).toBe("inv_mar");
    // The previous period invoice skips the void one.
    expect((await run(() => previousPeriodInvoiceInTx({ accountId: "acc_1", periodStartMs: NOW })))?.id).toBe("inv_jan");
    expect(await run(() => previousPeriodInvoiceInTx({ accountId: "acc_1", periodStartMs: NOW - 2 }))).toBeUndefined();
    expect(await run(isBillingPausedInTx)).toBe(false);

    // A quote, a consent and two plan changes, one in flight at Stripe, one scheduled.
    await run(function* () {
      const base = { accountId: "acc_1", kind: "plan_change" as const, fromPlanId: "starter", toPlanId: "pro", timing: "now" as const, effectiveAtMs: NOW, prorationAtMs: NOW, periodStartMs: NOW, periodEndMs: NOW + 1, recurringFromMs: NOW + 1, creditMinor: 0, chargeMinor: 0, amountDueNowMinor: 0, recurringMinor: 4900, currency: "USD", linesJson: "[]", consentText: "ok", accountFingerprint: "-", catalogFingerprint: "-", projectedMonthlyMinor: 4900, createdAtMs: NOW, expiresAtMs: NOW };
      yield* insertQuote({ ...base, id: "qt_1" });
      yield* insertQuote({ ...base, id: "qt_2", accountId: "acc_2", toPlanId: "business" });
      yield* insertConsentInTx({ id: "cns_1", quoteId: "qt_1", accountId: "acc_1", signedInAs: "ops@acme.example", textShown: "ok", overageOptIn: true, amountDueNowMinor: 0, recurringMinor: 4900, currency: "USD", createdAtMs: NOW });
      yield* insertConsentInTx({ id: "cns_2", quoteId: "qt_2", accountId: "acc_2", signedInAs: "ops@acme.example", textShown: "ok", amountDueNowMinor: 0, recurringMinor: 4900, currency: "USD", createdAtMs: NOW });
      const change = { kind: "plan_change" as const, fromPlanId: "starter", effectiveAtMs: NOW, updatedAtMs: NOW };
      yield* insertPlanChangeInTx({ ...change, accountId: "acc_1", id: "pch_1", quoteId: "qt_1", consentId: "cns_1", toPlanId: "pro", status: "payment_pending", createdAtMs: NOW });
      yield* insertPlanChangeInTx({ ...change, accountId: "acc_2", id: "pch_2", quoteId: "qt_2", consentId: "cns_2", toPlanId: "business", status: "pending_approval", createdAtMs: NOW + 1 });
      yield* insertApprovalRequestInTx({ id: "apr_1", planChangeId: "pch_2", accountId: "acc_2", projectedMonthlyMinor: 9900, billingCapMinor: 5000, status: "pending", createdAtMs: NOW });
    });
    expect((await run(() => quoteInTx("qt_2")))?.toPlanId).toBe("business");
    expect(await run(() => consentTickedOverageInTx("cns_1"))).toBe(true);
    expect(await run(() => consentTickedOverageInTx("cns_2"))).toBe(false);
    expect((await run(() => openSwitchesInTx("acc_1"))).map((c) => c.id)).toEqual(["pch_1"]);
    expect((await run(() => openSwitchesInTx("acc_2"))).map((c) => c.id)).toEqual(["pch_2"]);
    expect((await run(() => waitingSwitchToInTx("acc_1", "pro")))?.id).toBe("pch_1");
    expect(await run(() => waitingSwitchToInTx("acc_1", "business"))).toBeUndefined();
    expect((await run(() => switchesAwaitingPaymentInTx("acc_1"))).map((c) => c.id)).toEqual(["pch_1"]);

    // Decided once; the second decision changes nothing.
    const decision = { status: "approved" as const, reason: null, decidedBy: "op", decidedAtMs: NOW + 5 };
    expect(await run(() => decideApprovalInTx("apr_1", decision))).toBe(true);
    expect(await run(() => decideApprovalInTx("apr_1", { ...decision, status: "denied" }))).toBe(false);
    expect(await run(() => approvalStatusInTx("apr_1"))).toBe("approved");
    expect(await run(() => approvalsInTx("acc_2"))).toEqual([{ toPlanId: "business", projected: 9900, decidedAtMs: NOW + 5 }]);
    // Withdrawing moves only a pending request.
    await run(() => withdrawApprovalInTx("pch_2", NOW + 6));
    expect(await run(() => approvalStatusInTx("apr_1"))).toBe("approved");

    // Claimed once, from pending approval; moved only from a status it is in.
    expect(await run(() => claimForApplyInTx("pch_2", NOW + 7))).toBe(true);
    expect(await run(() => claimForApplyInTx("pch_2", NOW + 8))).toBe(false);
    expect(await run(() => moveChangeInTx("pch_1", ["applying"], { status: "failed", updatedAtMs: NOW }))).toBe(false);
    expect(await run(() => moveChangeInTx("pch_1", ["applying", "payment_pending"], { status: "failed", updatedAtMs: NOW }))).toBe(true);

    // Stripe's events and meter reports.
    const event = { id: "evt_1", type: "invoice.paid", createdMs: NOW, processedAtMs: NOW };
    expect(await run(() => storeEventInTx(event))).toBe(true);
    expect(await run(() => storeEventInTx(event))).toBe(false);
    const report = { identifier: "hr:calls:acc_1:0", accountId: "acc_1", eventName: "calls", minuteMs: 0, seq: 0, value: 5, nextAttemptAtMs: NOW, createdAtMs: NOW };
    await run(function* () {
      yield* queueUsageReportInTx(report);
      yield* queueUsageReportInTx({ ...report, value: 9 });
      yield* queueUsageReportInTx({ ...report, identifier: "hr:calls:acc_1:0:1", seq: 1, value: 2 });
      yield* queueUsageReportInTx({ ...report, identifier: "hr:calls:acc_1:60000", minuteMs: 60_000, value: 7 });
    });
    expect(await run(() => reportedByMinuteInTx("acc_1", "calls", 0, 120_000))).toEqual(
      new Map([
        [0, { sum: 7, n: 2 }],
        [60_000, { sum: 7, n: 1 }],
      ]),
    );
  });
});
