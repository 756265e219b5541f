import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows, rowsOf, seedPlanChange, type NewRow } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type DialectStore, type OpenDialect } from "../../testing/pg-dialects";
import * as pgOperator from "../pg/queries/operator";
import * as liteOperator from "../sqlite/queries/operator";
import { insertInvoiceInTx } from "./invoices";
import { issueInvoiceOnce } from "./operator";

const T0 = Date.parse("2026-11-25T10:00:00Z");
const DAY = 86_400_000;
const MINUTE = 60_000;

const liteQueries = liteOperator;

const invoiceRow = (id: string, over: Partial<NewRow<"invoices">> = {}): NewRow<"invoices"> => ({
  id,
  accountId: "acc_1",
  number: `HR-${id}`,
  kind: "period",
  periodStartMs: T0,
  periodEndMs: T0 + 1,
  totalMinor: 1000,
  currency: "USD",
  status: "paid",
  dedupeKey: `period:${id}`,
  createdAtMs: T0,
  ...over,
});

/** Issues an invoice once per key on the store's dialect; the unit writes it with the invoice's id. */
function issueOnce(store: DialectStore, dedupeKey: string, id: string, issued: string[]) {
  const row = invoiceRow(id, { dedupeKey });
  return issueInvoiceOnce(store.db, dedupeKey, function* () {
    issued.push(id);
    yield* insertInvoiceInTx(row, []);
    return id;
  });
}

describe.each(DIALECTS)("operator queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteQueries>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteQueries, pgOperator);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [
      accountRow("acc_1", { name: "Acme", email: "ops@acme.example", planId: "starter", billingAnchorMs: T0, createdAtMs: T0 }),
      accountRow("acc_2", { name: "Brightline", email: "ops@brightline.example", planId: "pro", billingAnchorMs: T0, createdAtMs: T0 }),
    ]);
  });

  describe("grandfathering", () => {
    it("changes nothing unless every account exists", async () => {
      expect(await q.grandfatherAccounts(["acc_1", "acc_gone"], T0 + 1)).toBeNull();
      expect((await rowsOf(database.store, "accounts")).filter((a) => a.grandfatheredUntilMs !== null)).toHaveLength(0);
      const rows = await q.grandfatherAccounts(["acc_1", "acc_2", "acc_1"], T0 + 1);
      expect(rows?.sort((x, y) => x.id.localeCompare(y.id))).toEqual([{ id: "acc_1", planId: "starter" }, { id: "acc_2", planId: "pro" }]);
      expect((await rowsOf(database.store, "accounts")).filter((a) => a.grandfatheredUntilMs === T0 + 1)).toHaveLength(2);
      // null ends it.
      await q.grandfatherAccounts(["acc_2"], null);
      expect((await q.allAccountTerms()).sort((x, y) => x.id.localeCompare(y.id))).toEqual([
        { id: "acc_1", planId: "starter", grandfatheredUntilMs: T0 + 1 },
        { id: "acc_2", planId: "pro", grandfatheredUntilMs: null },
      ]);
    });
  });

  describe("issuing an invoice once per key", () => {
    it("issues the first time and answers with that invoice after", async () => {
      const issued: string[] = [];
      expect(await issueOnce(database.store, "refund:r1", "inv_1", issued)).toEqual({ invoiceId: "inv_1", replayed: false });
      expect(await issueOnce(database.store, "refund:r1", "inv_2", issued)).toEqual({ invoiceId: "inv_1", replayed: true });
      expect(issued).toEqual(["inv_1"]);
    });

    it("of many issuers of one key at once, one issues and the others replay its invoice", async () => {
      const issued: string[] = [];
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => issueOnce(database.store, "refund:race", `inv_${i}`, issued)));
      // One invoice under the key; every answer names it, one as issued. (On PostgreSQL a unit that
      // collided ran again from the start, so more bodies ran than invoices were written.)
      const written = (await rowsOf(database.store, "invoices")).filter((i) => i.dedupeKey === "refund:race");
      expect(written).toHaveLength(1);
      expect(answers.filter((a) => !a.replayed)).toEqual([{ invoiceId: written[0]!.id, replayed: false }]);
      expect(new Set(answers.map((a) => a.invoiceId))).toEqual(new Set([written[0]!.id]));
    });
  });

  describe("acknowledging an anomaly", () => {
    beforeEach(async () => {
      await insertRows(database.store, "invoices", [invoiceRow("inv_1")]);
      await insertRows(database.store, "anomalies", [{ id: "anm_1", accountId: "acc_1", invoiceId: "inv_1", previousTotalMinor: 100, totalMinor: 1000, currency: "USD", createdAtMs: T0 }]);
    });

    it("acknowledges once, and tells a second click from an unknown id", async () => {
      expect(await q.acknowledgeAnomalyOnce("anm_1", "operator", T0 + 1)).toBe("acknowledged");
      expect(await q.acknowledgeAnomalyOnce("anm_1", "someone else", T0 + 2)).toBe("before");
      expect(await rowsOf(database.store, "anomalies")).toMatchObject([{ acknowledgedAtMs: T0 + 1, acknowledgedBy: "operator" }]);
      expect(await q.acknowledgeAnomalyOnce("anm_nope", "operator", T0)).toBe("not_found");
    });

    it("of many operators acknowledging at once, one does", async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => q.acknowledgeAnomalyOnce("anm_1", `op${i}`, T0 + i)));
      expect(answers.filter((a) => a === "acknowledged")).toHaveLength(1);
      expect(answers.filter((a) => a === "before")).toHaveLength(7);
    });
  });

  it("lists invoices newest first with their account, and anomalies acknowledged or not", async () => {
    await insertRows(database.store, "invoices", [
      invoiceRow("inv_a", { createdAtMs: T0, totalMinor: 500 }),
      invoiceRow("inv_b", { accountId: "acc_2", createdAtMs: T0 + 2, status: "queued" }),
      invoiceRow("inv_c", { createdAtMs: T0 + 1, kind: "credit_note", totalMinor: -200 }),
    ]);
    expect((await q.listInvoices({})).map((i) => i.id)).toEqual(["inv_b", "inv_c", "inv_a"]);
    expect(await q.listInvoices({ accountId: "acc_1", limit: 1 })).toEqual([
      { id: "inv_c", number: "HR-inv_c", accountId: "acc_1", accountName: "Acme", kind: "credit_note", status: "paid", totalMinor: -200, currency: "USD", createdAtMs: T0 + 1 },
    ]);
    await insertRows(database.store, "anomalies", [
      { id: "anm_old", accountId: "acc_1", invoiceId: "inv_a", previousTotalMinor: 100, totalMinor: 500, currency: "USD", createdAtMs: T0, acknowledgedAtMs: T0 + 5, acknowledgedBy: "op" },
      { id: "anm_new", accountId: "acc_2", invoiceId: "inv_b", previousTotalMinor: 100, totalMinor: 1000, currency: "USD", createdAtMs: T0 + 3 },
    ]);
    expect(await q.listAnomalies({ includeAcknowledged: false })).toEqual([
      { id: "anm_new", accountId: "acc_2", accountName: "Brightline", invoiceNumber: "HR-inv_b", previousTotalMinor: 100, totalMinor: 1000, currency: "USD", createdAtMs: T0 + 3, acknowledgedAtMs: null, periodStartMs: T0, periodEndMs: T0 + 1 },
    ]);
    expect((await q.listAnomalies({ includeAcknowledged: true })).map((a) => [a.id, a.acknowledgedAtMs])).toEqual([
      ["anm_new", null],
      ["anm_old", T0 + 5],
    ]);
  });

  it("lists the outbox newest first (an account's e-mails and webhooks), and counts it by channel and status", async () => {
    const message = (id: string, over: Partial<NewRow<"outbox">>): NewRow<"outbox"> => ({
      id,
      accountId: "acc_1",
      channel: "email",
      dedupeKey: `d_${id}`,
      recipient: "ops@acme.example",
      subject: `subject ${id}`,
      payloadJson: JSON.stringify({ text: `text ${id}` }),
      status: "sent",
      nextAttemptAtMs: T0,
      createdAtMs: T0,
      ...over,
    });
    await insertRows(database.store, "outbox", [
      message("m1", { createdAtMs: T0 + 1, sentAtMs: T0 + 2 }),
      message("m2", { channel: "webhook", recipient: "https://acme.example/hook", subject: null, payloadJson: JSON.stringify({ html: "<p>hi</p>" }), status: "failed", attempts: 3, lastError: "502", createdAtMs: T0 + 3 }),
      message("m3", { accountId: "acc_2", recipient: "ops@brightline.example", status: "pending", createdAtMs: T0 + 2 }),
      message("m4", { accountId: null, recipient: "operator@example.com", createdAtMs: T0 + 4 }),
    ]);
    expect((await q.listOutbox({ limit: 10 })).map((m) => m.id)).toEqual(["m4", "m2", "m3", "m1"]);
    expect(await q.listOutbox({ accountId: "acc_1", limit: 10 })).toEqual([
      { id: "m2", channel: "webhook", recipient: "https://acme.example/hook", subject: null, status: "failed", attempts: 3, lastError: "502", createdAtMs: T0 + 3, sentAtMs: null, text: null, html: "<p>hi</p>" },
      { id: "m1", channel: "email", recipient: "ops@acme.example", subject: "subject m1", status: "sent", attempts: 0, lastError: null, createdAtMs: T0 + 1, sentAtMs: T0 + 2, text: "text m1", html: null },
    ]);
    expect(await q.listOutbox({ limit: 1 })).toHaveLength(1);
    expect(await q.outboxCounts()).toEqual([
      { channel: "email", status: "pending", n: 1 },
      { channel: "email", status: "sent", n: 2 },
      { channel: "webhook", status: "failed", n: 1 },
    ]);
    expect(await q.deliveryCountsByStatus(T0 + 1, T0 + 4)).toEqual([
      { status: "failed", n: 1 },
      { status: "pending", n: 1 },
      { status: "sent", n: 1 },
    ]);
  });

  it("stores enforcement flips of a plan, and of a cohort on that plan only", async () => {
    expect(await q.planEnforcementSetting("starter")).toBeUndefined();
    await q.storeEnforcement({ planId: "starter", mode: "shadow", atMs: T0, by: "op" });
    await q.storeEnforcement({ planId: "starter", mode: "enforce", atMs: T0 + 1, by: "op2" });
    expect(await q.planEnforcementSetting("starter")).toBe("enforce");
    expect(await rowsOf(database.store, "planSettings")).toEqual([{ planId: "starter", enforcement: "enforce", updatedAtMs: T0 + 1, updatedBy: "op2" }]);
    // acc_2 is on pro: a cohort flip of starter leaves it alone.
    await q.storeEnforcement({ planId: "starter", accountIds: ["acc_1", "acc_2"], mode: "off", atMs: T0, by: "op" });
    const overrides = async () => Object.fromEntries((await rowsOf(database.store, "accounts")).map((a) => [a.id, a.enforcementOverride]));
    expect(await overrides()).toEqual({ acc_1: "off", acc_2: null });
    await q.storeEnforcement({ planId: "starter", accountIds: ["acc_1"], mode: null, atMs: T0, by: "op" });
    expect(await overrides()).toEqual({ acc_1: null, acc_2: null });
  });

  it("reads invoices, collects the queued ones, and tells what refunds gave back (a refund key in any case)", async () => {
    await insertRows(database.store, "invoices", [
      invoiceRow("inv_p", { totalMinor: 5000 }),
      invoiceRow("inv_q1", { status: "queued", createdAtMs: T0 + 1 }),
      invoiceRow("inv_q2", { accountId: "acc_2", status: "queued", createdAtMs: T0 + 2 }),
      invoiceRow("cn_1", { kind: "credit_note", totalMinor: -700, dedupeKey: "refund:1" }),
      // SQLite's LIKE ignores ASCII case: a key written in capitals is a refund too, on both.
      invoiceRow("cn_2", { kind: "credit_note", totalMinor: -300, dedupeKey: "REFUND:2" }),
      invoiceRow("cn_other", { kind: "credit_note", totalMinor: -50, dedupeKey: "goodwill:1" }),
      invoiceRow("cn_later", { kind: "credit_note", totalMinor: -1, dedupeKey: "refund:3", periodStartMs: T0 + 1 }),
    ]);
    expect(await q.accountPlan("acc_2")).toEqual({ id: "acc_2", planId: "pro" });
    expect(await q.accountPlan("acc_gone")).toBeUndefined();
    expect(await q.findInvoice("inv_p")).toEqual({ ...invoiceRow("inv_p", { totalMinor: 5000 }), stripeInvoiceId: null });
    expect(await q.findInvoice("nope")).toBeUndefined();
    expect((await q.invoiceByDedupeKey("refund:1"))?.id).toBe("cn_1");
    expect(await q.invoiceByDedupeKey("refund:nope")).toBeUndefined();
    expect(await q.refundedFor({ accountId: "acc_1", periodStartMs: T0, periodEndMs: T0 + 1 })).toBe(1000);
    expect(await q.refundedFor({ accountId: "acc_2", periodStartMs: T0, periodEndMs: T0 + 1 })).toBe(-0);
    const all = await rowsOf(database.store, "invoices");
    expect((await q.refundedInvoiceIds(all)).sort()).toEqual(["inv_p", "inv_q1"]);
    expect(await q.refundedInvoiceIds([])).toEqual([]);
    expect(await q.queuedInvoiceCount()).toBe(2);
    expect(await q.collectQueuedInvoices()).toBe(2);
    expect(await q.queuedInvoiceCount()).toBe(0);
    expect(await q.collectQueuedInvoices()).toBe(0);
    expect((await q.invoicesCreatedBetween(T0 + 1, T0 + 3)).map((i) => [i.id, i.status]).sort()).toEqual([
      ["inv_q1", "paid"],
      ["inv_q2", "paid"],
    ]);
  });

  it("reads what the shadow audit needs: day rows of a meter, calls per minute, recent notices, the last plan change", async () => {
    const meter = ["api", ""] as const;
    const day = Date.parse("2026-11-20T00:00:00Z");
    await insertRows(database.store, "usageDay", [
      // The day meters arrived: a row under '' and one under the id, summed.
      { dayMs: day, accountId: "acc_1", meter: "", allowed: 10, wouldThrottle: 1, throttled: 2, ceiling: 0, peakMinute: 4 },
      { dayMs: day, accountId: "acc_1", meter: "api", allowed: 5, wouldThrottle: 0, throttled: 1, ceiling: 1, peakMinute: 7 },
      { dayMs: day + DAY, accountId: "acc_1", meter: "api", allowed: 3, wouldThrottle: 0, throttled: 0, ceiling: 0, peakMinute: 1 },
      { dayMs: day, accountId: "acc_2", meter: "api", allowed: 8, wouldThrottle: 2, throttled: 0, ceiling: 0, peakMinute: 3 },
      // Another meter, and a day after the window.
      { dayMs: day, accountId: "acc_1", meter: "mcp", allowed: 99, wouldThrottle: 0, throttled: 0, ceiling: 0, peakMinute: 99 },
      { dayMs: day + 2 * DAY, accountId: "acc_1", meter: "api", allowed: 1, wouldThrottle: 0, throttled: 0, ceiling: 0, peakMinute: 1 },
    ]);
    expect(await q.usageDaysOf(["acc_2", "acc_1"], meter, day, day + 2 * DAY)).toEqual([
      { dayMs: day, accountId: "acc_1", allowed: 15, wouldThrottle: 1, throttled: 3, ceiling: 1, peakMinute: 7 },
      { dayMs: day + DAY, accountId: "acc_1", allowed: 3, wouldThrottle: 0, throttled: 0, ceiling: 0, peakMinute: 1 },
      { dayMs: day, accountId: "acc_2", allowed: 8, wouldThrottle: 2, throttled: 0, ceiling: 0, peakMinute: 3 },
    ]);
    await insertRows(database.store, "usageMinute", [
      { minuteMs: T0 + MINUTE, keyId: "k1", accountId: "acc_1", meter: "api", allowed: 2, wouldThrottle: 1, throttled: 1 },
      { minuteMs: T0 + MINUTE, keyId: "k2", accountId: "acc_1", meter: "", allowed: 3 },
      { minuteMs: T0, keyId: "k1", accountId: "acc_1", meter: "api", allowed: 1 },
      { minuteMs: T0, keyId: "k1", accountId: "acc_1", meter: "mcp", allowed: 50 },
      { minuteMs: T0 + 2 * MINUTE, keyId: "k1", accountId: "acc_1", meter: "api", allowed: 9 },
      { minuteMs: T0, keyId: "k9", accountId: "acc_2", meter: "api", allowed: 40 },
    ]);
    expect(await q.callsPerMinute("acc_1", meter, T0, T0 + 2 * MINUTE)).toEqual([
      { minuteMs: T0, calls: 1 },
      { minuteMs: T0 + MINUTE, calls: 7 },
    ]);
    const notice = (id: string, kind: string, createdAtMs: number, deliveredAtMs: number | null = null): NewRow<"notices"> => ({
      id,
      accountId: "acc_1",
      kind,
      periodStartMs: T0,
      dedupeKey: `n_${id}`,
      createdAtMs,
      deliveredAtMs,
    });
    await insertRows(database.store, "notices", [notice("n1", "cap_80", T0 - DAY), notice("n2", "cap_100", T0 + 1, T0 + 2), notice("n3", "cap_80", T0 + 5), notice("n4", "throttled", T0 + 3)]);
    expect(await q.recentNoticesOf("acc_1", T0, 2)).toEqual([
      { kind: "cap_80", createdAtMs: T0 + 5, deliveredAtMs: null },
      { kind: "throttled", createdAtMs: T0 + 3, deliveredAtMs: null },
    ]);
    expect(await q.recentNoticesOf("acc_2", 0, 5)).toEqual([]);
    expect(await q.noticeCountsByKind(T0, T0 + 10)).toEqual([
      { kind: "cap_100", n: 1 },
      { kind: "cap_80", n: 1 },
      { kind: "throttled", n: 1 },
    ]);
    expect((await q.noticesOfKindsBetween(["cap_80", "cap_100"], T0 - DAY, T0 + 5)).sort((a, b) => a.createdAtMs - b.createdAtMs)).toEqual([
      { accountId: "acc_1", createdAtMs: T0 - DAY },
      { accountId: "acc_1", createdAtMs: T0 + 1 },
    ]);
    expect(await q.lastPlanChangeOf("acc_1")).toBeUndefined();
    await seedPlanChange(database.store, { id: "pc_1", accountId: "acc_1", toPlanId: "pro", status: "applied", createdAtMs: T0 });
    await seedPlanChange(database.store, { id: "pc_2", accountId: "acc_1", toPlanId: "business", status: "denied", createdAtMs: T0 + 10 });
    await seedPlanChange(database.store, { id: "pc_3", accountId: "acc_2", toPlanId: "business", status: "applied", createdAtMs: T0 + 20 });
    expect(await q.lastPlanChangeOf("acc_1")).toEqual({ toPlanId: "business", status: "denied", createdAtMs: T0 + 10 });
    expect((await q.appliedPlanChangesOf(["acc_1", "acc_2"])).map((c) => c.id).sort()).toEqual(["pc_1", "pc_3"]);
    expect(await q.appliedPlanChangesOf([])).toEqual([]);
    expect((await q.planChangesCreatedBetween(T0 + 1, T0 + 20)).map((c) => c.id)).toEqual(["pc_2"]);
    expect((await q.quoteTimesOf(["acc_2", "acc_nope"])).map((r) => r)).toEqual([{ accountId: "acc_2", createdAtMs: T0 + 20 }]);
    expect(await q.quoteTimesOf([])).toEqual([]);
  });

  it("adds up calls per day over every account, and an account's calls over its caps", async () => {
    const day = Date.parse("2026-11-20T00:00:00Z");
    await insertRows(database.store, "usageDay", [
      { dayMs: day, accountId: "acc_1", meter: "", allowed: 10, wouldThrottle: 1, throttled: 2 },
      { dayMs: day, accountId: "acc_1", meter: "mcp", allowed: 5, wouldThrottle: 4, throttled: 0 },
      { dayMs: day, accountId: "acc_2", meter: "api", allowed: 7, wouldThrottle: 0, throttled: 3 },
      { dayMs: day + DAY, accountId: "acc_1", meter: "api", allowed: 1, wouldThrottle: 0, throttled: 6 },
      { dayMs: day + 2 * DAY, accountId: "acc_1", meter: "api", allowed: 100, wouldThrottle: 100, throttled: 100 },
    ]);
    expect(await q.callsPerDay(day, day + 2 * DAY)).toEqual([
      { dayMs: day, served: 27, wouldThrottle: 5, throttled: 5 },
      { dayMs: day + DAY, served: 1, wouldThrottle: 0, throttled: 6 },
    ]);
    expect(await q.callsOverCaps("acc_1", day, day + 2 * DAY)).toBe(13);
    expect(await q.callsOverCaps("acc_2", day + DAY, day + 2 * DAY)).toBe(0);
  });
});
