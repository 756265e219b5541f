import { confirmationFor } from "../../../shared/consent";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../../accounts/accounts";
import { confirmPlanChange, type Consenter } from "../../billing/plan-change";
import { previewPlanChange } from "../../billing/quote";
import { ManualClock } from "../../lib/clock";
import { accountRow, insertRows, rowsOf, seedPlanChange, type NewRow } from "../../testing/dialect-rows";
import { DIALECTS, runUnit, type OpenDialect } from "../../testing/pg-dialects";
import { startTestServer, type TestServer } from "../../testing/test-server";
import {
  allAccountRows,
  approvalRequestById,
  callsOnDays,
  cancelWaitingChange,
  changeThatMovedAnchor,
  decideApprovalInTx,
  dueScheduledChanges,
  insertQuote,
  pendingApprovalRows,
  planChangesWithConsents,
  quoteConsented,
  quoteOfAccount,
  readBillingPaused,
  recentQuotes,
  reusableQuote,
  waitingChange,
  writeBillingPaused,
  type NewQuote,
} from "./billing";
import { claimForApplyInTx, inTransaction, updateChangeInTx } from "./plan-changes";

const who: Consenter = { signedInAs: "ops@acme.example", ip: null, userAgent: null };
let srv: TestServer;
let clock: ManualClock;

/** An account with one change waiting: a downgrade scheduled at the period end, or (over the cap) a switch awaiting approval. */
async function waiting(kind: "scheduled" | "pending_approval") {
  const accountId = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: `${Math.random()}@example.com`, planId: "pro" }, { billingAnchorMs: Date.parse("2026-11-01T00:00:00Z") })).id;
  srv.deps.billing.billingCapMinor = kind === "pending_approval" ? 1_000 : 100_000;
  const q = await previewPlanChange(srv.deps.billing, { accountId, toPlanId: kind === "scheduled" ? "starter" : "business" });
  const r = await confirmPlanChange(srv.deps.billing, accountId, confirmationFor(q), who);
  expect(r.status).toBe(kind);
  return { accountId, planChangeId: r.planChangeId };
}
const row = (sql: string, id: string) => srv.sqlite.prepare(sql).get(id);

describe("billing queries through the whole server", () => {
  beforeEach(async () => {
    clock = new ManualClock(Date.parse("2026-11-16T00:00:00Z"));
    srv = await startTestServer({ clock });
  });
  afterEach(() => srv.stop());

  it("cancel a waiting change once, only for its own account, withdrawing its pending approval with it", async () => {
    const scheduled = await waiting("scheduled");
    expect(await cancelWaitingChange(srv.deps.db, "acc_someone_else", scheduled.planChangeId, clock.now())).toBe(false);
    expect(row("select status from plan_changes where id = ?", scheduled.planChangeId)).toEqual({ status: "scheduled" });
    expect(await cancelWaitingChange(srv.deps.db, scheduled.accountId, scheduled.planChangeId, clock.now())).toBe(true);
    expect(await cancelWaitingChange(srv.deps.db, scheduled.accountId, scheduled.planChangeId, clock.now())).toBe(false);
    expect(row("select status from plan_changes where id = ?", scheduled.planChangeId)).toEqual({ status: "cancelled" });

    const pending = await waiting("pending_approval");
    clock.advance(60_000);
    expect(await cancelWaitingChange(srv.deps.db, pending.accountId, pending.planChangeId, clock.now())).toBe(true);
    expect(row("select status, decided_at_ms as decidedAtMs from approval_requests where plan_change_id = ?", pending.planChangeId)).toEqual({ status: "withdrawn", decidedAtMs: clock.now() });
  });

  it("decide an approval request once: a second decision changes nothing", async () => {
    const pending = await waiting("pending_approval");
    const requestId = (row("select id from approval_requests where plan_change_id = ?", pending.planChangeId) as { id: string }).id;
    const decide = (status: "approved" | "denied", by: string) => inTransaction(srv.deps.db, () => decideApprovalInTx(requestId, { status, reason: null, decidedBy: by, decidedAtMs: clock.now() }));
    expect(await decide("approved", "op-a")).toBe(true);
    expect(await decide("denied", "op-b")).toBe(false);
    expect(row("select status, decided_by as decidedBy from approval_requests where id = ?", requestId)).toEqual({ status: "approved", decidedBy: "op-a" });
  });
});

const NOW = Date.parse("2026-11-25T14:00:00Z");
const DAY = 86_400_000;

/** A quote with the figures beside the point; what a test varies it passes in `over`. */
const quote = (id: string, over: Partial<NewQuote> = {}): NewQuote => ({
  id,
  accountId: "acc_1",
  kind: "plan_change",
  fromPlanId: "starter",
  toPlanId: "pro",
  timing: "now",
  prorationAtMs: NOW,
  periodStartMs: NOW - 10 * DAY,
  periodEndMs: NOW + 20 * DAY,
  creditMinor: 1000,
  chargeMinor: 3000,
  amountDueNowMinor: 2000,
  recurringMinor: 4900,
  recurringFromMs: NOW + 20 * DAY,
  effectiveAtMs: NOW,
  projectedMonthlyMinor: 4900,
  currency: "USD",
  consentText: "Pay $20.00 now",
  linesJson: "[]",
  accountFingerprint: "acct-fp",
  catalogFingerprint: "cat-fp",
  createdAtMs: NOW,
  expiresAtMs: NOW + 30 * 60_000,
  ...over,
});
const consent = (id: string, quoteId: string, over: Partial<NewRow<"consents">> = {}): NewRow<"consents"> => ({
  id,
  quoteId,
  accountId: "acc_1",
  signedInAs: "ops@acme.example",
  ip: "203.0.113.7",
  textShown: "Pay $20.00 now",
  amountDueNowMinor: 2000,
  recurringMinor: 4900,
  currency: "USD",
  createdAtMs: NOW,
  ...over,
});
const approval = (id: string, planChangeId: string, over: Partial<NewRow<"approvalRequests">> = {}): NewRow<"approvalRequests"> => ({
  id,
  planChangeId,
  accountId: "acc_1",
  projectedMonthlyMinor: 49_900,
  billingCapMinor: 10_000,
  status: "pending",
  createdAtMs: NOW,
  ...over,
});

describe.each(DIALECTS)("billing queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  const db = () => database.store.db;
  /** A change of acc_1 (or another account) waiting for an operator, with its pending request `apr_<id>`. */
  const awaitingApproval = async (id: string, accountId = "acc_1", createdAtMs = NOW) => {
    await seedPlanChange(database.store, { id, accountId, toPlanId: "business", status: "pending_approval", effectiveAtMs: createdAtMs });
    await insertRows(database.store, "approvalRequests", [approval(`apr_${id}`, id, { accountId, createdAtMs })]);
  };
  const changeRow = async (id: string) => (await rowsOf(database.store, "planChanges")).find((c) => c.id === id);
  const approvalRow = async (id: string) => (await rowsOf(database.store, "approvalRequests")).find((a) => a.id === id);

  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [accountRow("acc_1", { name: "Acme" }), accountRow("acc_2", { name: "Other" })]);
  });

  it("switches billing off and on again", async () => {
    expect(await readBillingPaused(db())).toBe(false);
    await writeBillingPaused(db(), true, NOW);
    expect(await readBillingPaused(db())).toBe(true);
    await writeBillingPaused(db(), false, NOW + 1);
    expect(await readBillingPaused(db())).toBe(false);
    expect((await rowsOf(database.store, "settings")).filter((r) => r.key === "billing_paused")).toEqual([{ key: "billing_paused", value: "false", updatedAtMs: NOW + 1 }]);
  });

  it("stores a quote and answers it to its own account only; consented once a consent names it", async () => {
    const stored = await insertQuote(db(), quote("qt_1"));
    expect(stored).toEqual({
      ...quote("qt_1"),
      toPlanVersion: 1,
      fromInterval: "month",
      toInterval: "month",
      expectedOverageMinor: 0,
      estimatedMonthlyMinor: 0,
      endsGrandfathering: false,
      overageConsentText: null,
      pricedBy: "local",
      stripeItemsJson: null,
      stripeProrationBehavior: null,
      stripeSubscriptionId: null,
    });
    expect(await quoteOfAccount(db(), "acc_1", "qt_1")).toEqual(stored);
    expect(await quoteOfAccount(db(), "acc_2", "qt_1")).toBeUndefined();
    expect(await quoteOfAccount(db(), "acc_1", "qt_none")).toBeUndefined();
    expect(await quoteConsented(db(), "qt_1")).toBe(false);
    await insertRows(database.store, "consents", [consent("cns_1", "qt_1")]);
    expect(await quoteConsented(db(), "qt_1")).toBe(true);
  });

  it("reuses the newest quote for the same change from the same state, still valid and not consented to", async () => {
    const same = { accountId: "acc_1", kind: "plan_change" as const, toPlanId: "pro", toPlanVersion: 1, toInterval: "month" as const, accountFingerprint: "acct-fp", catalogFingerprint: "cat-fp" };
    await insertQuote(db(), quote("qt_old", { createdAtMs: NOW - 2 }));
    await insertQuote(db(), quote("qt_new", { createdAtMs: NOW - 1 }));
    await insertQuote(db(), quote("qt_yearly", { toInterval: "year", createdAtMs: NOW }));
    await insertQuote(db(), quote("qt_other_state", { accountFingerprint: "changed", createdAtMs: NOW }));
    await insertQuote(db(), quote("qt_short", { createdAtMs: NOW, expiresAtMs: NOW + 60_000 }));
    await insertQuote(db(), quote("qt_other_account", { accountId: "acc_2", createdAtMs: NOW }));
    expect((await reusableQuote(db(), { ...same, validUntilMs: NOW + 5 * 60_000 }))?.id).toBe("qt_new");
    expect((await reusableQuote(db(), { ...same, validUntilMs: NOW + 60_000 }))?.id).toBe("qt_short");
    await insertRows(database.store, "consents", [consent("cns_new", "qt_new")]);
    expect((await reusableQuote(db(), { ...same, validUntilMs: NOW + 5 * 60_000 }))?.id).toBe("qt_old");
    expect(await reusableQuote(db(), { ...same, toPlanVersion: 2, validUntilMs: NOW })).toBeUndefined();
  });

  it("lists the account's most recent quotes, newest first", async () => {
    for (const [id, at] of [["qt_b", 2], ["qt_c", 3], ["qt_a", 1]] as const) await insertQuote(db(), quote(id, { createdAtMs: NOW + at }));
    await insertQuote(db(), quote("qt_other", { accountId: "acc_2", createdAtMs: NOW + 9 }));
    expect((await recentQuotes(db(), "acc_1", 10)).map((q) => q.id)).toEqual(["qt_c", "qt_b", "qt_a"]);
    expect((await recentQuotes(db(), "acc_1", 2)).map((q) => q.id)).toEqual(["qt_c", "qt_b"]);
    expect(await recentQuotes(db(), "acc_none", 2)).toEqual([]);
  });

  it("reads an approval request, and lists the pending ones newest first with their change and quote", async () => {
    await insertRows(database.store, "accounts", [accountRow("acc_3")]);
    await awaitingApproval("pch_1", "acc_1", NOW);
    await awaitingApproval("pch_2", "acc_2", NOW + 5);
    await awaitingApproval("pch_3", "acc_3", NOW + 2);
    await runUnit(database.store, () => decideApprovalInTx("apr_pch_3", { status: "denied", reason: "too much", decidedBy: "op", decidedAtMs: NOW + 3 }));
    expect(await approvalRequestById(db(), "apr_pch_3")).toEqual({ ...approval("apr_pch_3", "pch_3", { accountId: "acc_3", createdAtMs: NOW + 2 }), status: "denied", reason: "too much", decidedBy: "op", decidedAtMs: NOW + 3 });
    expect(await approvalRequestById(db(), "apr_none")).toBeUndefined();
    const pending = await pendingApprovalRows(db());
    expect(pending.map((r) => [r.approval_requests.id, r.plan_changes.id, r.quotes.id])).toEqual([
      ["apr_pch_2", "pch_2", "q_pch_2"],
      ["apr_pch_1", "pch_1", "q_pch_1"],
    ]);
    expect(pending[1]).toEqual({ approval_requests: await approvalRow("apr_pch_1"), plan_changes: await changeRow("pch_1"), quotes: (await rowsOf(database.store, "quotes")).find((q) => q.id === "q_pch_1") });
  });

  it("finds a waiting change of the account's only; cancels it once, withdrawing its pending request", async () => {
    await awaitingApproval("pch_1");
    await seedPlanChange(database.store, { id: "pch_sched", accountId: "acc_2", toPlanId: "free", status: "scheduled", effectiveAtMs: NOW });
    expect(await waitingChange(db(), "acc_1", "pch_1")).toMatchObject({ id: "pch_1", status: "pending_approval" });
    expect(await waitingChange(db(), "acc_2", "pch_1")).toBeUndefined();
    expect(await cancelWaitingChange(db(), "acc_2", "pch_1", NOW + 1)).toBe(false);
    expect(await cancelWaitingChange(db(), "acc_1", "pch_1", NOW + 2)).toBe(true);
    expect(await cancelWaitingChange(db(), "acc_1", "pch_1", NOW + 3)).toBe(false);
    expect(await waitingChange(db(), "acc_1", "pch_1")).toBeUndefined();
    expect(await changeRow("pch_1")).toMatchObject({ status: "cancelled", updatedAtMs: NOW + 2 });
    expect(await approvalRow("apr_pch_1")).toMatchObject({ status: "withdrawn", decidedAtMs: NOW + 2 });
    // A scheduled change has no request to withdraw.
    expect(await waitingChange(db(), "acc_2", "pch_sched")).toMatchObject({ status: "scheduled" });
    expect(await cancelWaitingChange(db(), "acc_2", "pch_sched", NOW + 4)).toBe(true);
    expect(await changeRow("pch_sched")).toMatchObject({ status: "cancelled", updatedAtMs: NOW + 4 });
  });

  it("finds the changes scheduled in the local calendar whose date has come", async () => {
    await insertRows(database.store, "accounts", [accountRow("acc_3"), accountRow("acc_4")]);
    await seedPlanChange(database.store, { id: "pch_due", accountId: "acc_1", toPlanId: "free", status: "scheduled", effectiveAtMs: NOW - 1 });
    await seedPlanChange(database.store, { id: "pch_now", accountId: "acc_2", toPlanId: "free", status: "scheduled", effectiveAtMs: NOW });
    await seedPlanChange(database.store, { id: "pch_later", accountId: "acc_3", toPlanId: "free", status: "scheduled", effectiveAtMs: NOW + 1 });
    await seedPlanChange(database.store, { id: "pch_remote", accountId: "acc_4", toPlanId: "free", status: "scheduled", effectiveAtMs: NOW - 1 });
    await runUnit(database.store, () => updateChangeInTx("pch_remote", { providerRef: "sub_sched_1" }));
    await seedPlanChange(database.store, { id: "pch_applied", accountId: "acc_1", toPlanId: "pro", status: "applied", effectiveAtMs: NOW - 1 });
    expect((await dueScheduledChanges(db(), NOW)).map((c) => c.id).sort()).toEqual(["pch_due", "pch_now"]);
    expect(await dueScheduledChanges(db(), NOW - 2)).toEqual([]);
  });

  it("finds the applied change that moved the account's anchor, with the period it cut short", async () => {
    const moved = quote("q_moved", { fromPlanId: "starter", fromInterval: "month", toInterval: "year", periodStartMs: NOW - 10 * DAY, periodEndMs: NOW + 20 * DAY, recurringFromMs: NOW });
    await insertQuote(db(), moved);
    await insertRows(database.store, "consents", [consent("c_moved", "q_moved")]);
    const row = { accountId: "acc_1", kind: "plan_change" as const, fromPlanId: "starter", toPlanId: "pro", createdAtMs: NOW, updatedAtMs: NOW };
    await insertRows(database.store, "planChanges", [{ ...row, id: "pch_moved", quoteId: "q_moved", consentId: "c_moved", status: "applied", effectiveAtMs: NOW }]);
    // A change that kept the period (its recurring price starts at the period end) did not move the anchor.
    await insertQuote(db(), quote("q_kept", { recurringFromMs: NOW + 30 * DAY, periodEndMs: NOW + 30 * DAY }));
    await insertRows(database.store, "consents", [consent("c_kept", "q_kept")]);
    await insertRows(database.store, "planChanges", [{ ...row, id: "pch_kept", quoteId: "q_kept", consentId: "c_kept", status: "applied", effectiveAtMs: NOW + DAY }]);
    expect(await changeThatMovedAnchor(db(), "acc_1", NOW)).toEqual({ fromPlanId: "starter", fromInterval: "month", periodStartMs: NOW - 10 * DAY });
    expect(await changeThatMovedAnchor(db(), "acc_1", NOW + DAY)).toBeUndefined();
    expect(await changeThatMovedAnchor(db(), "acc_2", NOW)).toBeUndefined();
    await runUnit(database.store, () => updateChangeInTx("pch_moved", { status: "cancelled" }));
    expect(await changeThatMovedAnchor(db(), "acc_1", NOW)).toBeUndefined();
  });

  it("lists every account", async () => {
    expect((await allAccountRows(db())).map((a) => [a.id, a.name]).sort()).toEqual([
      ["acc_1", "Acme"],
      ["acc_2", "Other"],
    ]);
  });

  it("counts a meter's calls on whole days from the day rollup, the default meter's old rows with it", async () => {
    await insertRows(database.store, "usageDay", [
      { dayMs: 0, accountId: "acc_1", meter: "calls", allowed: 40, wouldThrottle: 2, throttled: 99 },
      { dayMs: 0, accountId: "acc_1", meter: "", allowed: 8 },
      { dayMs: DAY, accountId: "acc_1", meter: "calls", allowed: 3_000_000_000 },
      { dayMs: DAY, accountId: "acc_1", meter: "tokens", allowed: 7 },
      { dayMs: DAY, accountId: "acc_2", meter: "calls", allowed: 5 },
      { dayMs: 2 * DAY, accountId: "acc_1", meter: "calls", allowed: 1 },
    ]);
    expect(await callsOnDays(db(), "acc_1", 0, 2 * DAY, ["calls", ""])).toBe(3_000_000_050);
    expect(await callsOnDays(db(), "acc_1", DAY, 3 * DAY, ["tokens", "tokens"])).toBe(7);
    expect(await callsOnDays(db(), "acc_1", 5 * DAY, 6 * DAY, ["calls", ""])).toBe(0);
  });

  it("lists the account's plan changes newest first, each with its consent and its approval if it needed one", async () => {
    await seedPlanChange(database.store, { id: "pch_old", accountId: "acc_1", toPlanId: "pro", toPlanVersion: 2, status: "applied", effectiveAtMs: NOW - 5 });
    await awaitingApproval("pch_new", "acc_1", NOW);
    await awaitingApproval("pch_other", "acc_2", NOW + 9);
    expect(await planChangesWithConsents(db(), "acc_1")).toEqual([
      {
        id: "pch_new",
        kind: "plan_change",
        status: "pending_approval",
        fromPlanId: "starter",
        toPlanId: "business",
        toPlanVersion: 1,
        effectiveAtMs: NOW,
        createdAtMs: NOW,
        approval: { status: "pending", reason: null },
        consent: { id: "c_pch_new", text: "", signedInAs: "test", atMs: NOW, ip: null, amountDueNowMinor: 0, recurringMinor: 0, currency: "USD" },
      },
      {
        id: "pch_old",
        kind: "plan_change",
        status: "applied",
        fromPlanId: "starter",
        toPlanId: "pro",
        toPlanVersion: 2,
        effectiveAtMs: NOW - 5,
        createdAtMs: NOW - 5,
        approval: null,
        consent: { id: "c_pch_old", text: "", signedInAs: "test", atMs: NOW - 5, ip: null, amountDueNowMinor: 0, recurringMinor: 0, currency: "USD" },
      },
    ]);
    expect(await planChangesWithConsents(db(), "acc_none")).toEqual([]);
  });

  it("of cancellations of one change at once, exactly one cancels, whether it awaited approval or was scheduled", async () => {
    for (let round = 0; round < 8; round++) {
      const accountId = `acc_race_${round}`;
      const id = `pch_race_${round}`;
      const scheduled = round % 2 === 1;
      await insertRows(database.store, "accounts", [accountRow(accountId)]);
      if (scheduled) await seedPlanChange(database.store, { id, accountId, toPlanId: "free", status: "scheduled", effectiveAtMs: NOW });
      else await awaitingApproval(id, accountId);
      const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => cancelWaitingChange(db(), accountId, id, NOW + i)));
      expect(answers.filter(Boolean)).toHaveLength(1);
      const at = NOW + answers.indexOf(true);
      expect(await changeRow(id)).toMatchObject({ status: "cancelled", updatedAtMs: at });
      if (!scheduled) expect(await approvalRow(`apr_${id}`)).toMatchObject({ status: "withdrawn", decidedAtMs: at });
    }
  });

  it("of a cancellation and an operator's approval at once, exactly one happens, whole", async () => {
    for (let round = 0; round < 6; round++) {
      const accountId = `acc_race_${round}`;
      const id = `pch_race_${round}`;
      await insertRows(database.store, "accounts", [accountRow(accountId)]);
      await awaitingApproval(id, accountId);
      // The operator's side as the approval takes it: the request first, then the change.
      const approve = inTransaction(db(), function* () {
        if (!(yield* decideApprovalInTx(`apr_${id}`, { status: "approved", reason: null, decidedBy: "op", decidedAtMs: NOW }))) return false;
        if (!(yield* claimForApplyInTx(id, NOW))) throw new Error("the change moved under an approved request");
        return true;
      });
      const [approved, cancelled] = await Promise.all([approve, cancelWaitingChange(db(), accountId, id, NOW)]);
      expect([approved, cancelled].filter(Boolean)).toHaveLength(1);
      expect(await changeRow(id)).toMatchObject({ status: approved ? "applied" : "cancelled" });
      expect(await approvalRow(`apr_${id}`)).toMatchObject({ status: approved ? "approved" : "withdrawn" });
    }
  });
});
