import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows, rowsOf, seedPlanChange } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgSupport from "../pg/queries/support";
import * as liteSupport from "../sqlite/queries/support";

const T0 = Date.parse("2026-11-25T10:00:00Z");
const MINUTE = 60_000;

describe.each(DIALECTS)("support queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteSupport>>;
  const ask = (id: string, accountId: string, createdAtMs: number) => q.insertSupportRequest({ id, accountId, topic: "plan", message: `question ${id}`, createdAtMs });

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteSupport, pgSupport);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [
      accountRow("acc_1", { name: "Acme", email: "ops@acme.example", billingAnchorMs: T0, createdAtMs: T0 }),
      accountRow("acc_2", { name: "Brightline", email: "ops@brightline.example", billingAnchorMs: T0, createdAtMs: T0 }),
    ]);
  });

  describe("support requests", () => {
    it("are answered once", async () => {
      expect(await ask("sup_1", "acc_1", T0)).toEqual({ id: "sup_1", accountId: "acc_1", topic: "plan", message: "question sup_1", createdAtMs: T0, reply: null, repliedBy: null, repliedAtMs: null });
      const done = await q.replyOnce({ requestId: "sup_1", reply: "Business.", repliedBy: "operator", atMs: T0 + MINUTE });
      expect(done).toMatchObject({ id: "sup_1", accountId: "acc_1", reply: "Business.", repliedAtMs: T0 + MINUTE });
      expect(await q.replyOnce({ requestId: "sup_1", reply: "Pro.", repliedBy: "operator", atMs: T0 + 2 * MINUTE })).toBe("answered");
      expect((await rowsOf(database.store, "supportRequests")).map((r) => r.reply)).toEqual(["Business."]);
      expect(await q.replyOnce({ requestId: "sup_nope", reply: "Pro.", repliedBy: "operator", atMs: T0 })).toBe("not_found");
    });

    it("answered by several operators at once keep one reply, and the others hear it was answered", async () => {
      await ask("sup_1", "acc_1", T0);
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => q.replyOnce({ requestId: "sup_1", reply: `reply ${i}`, repliedBy: `op${i}`, atMs: T0 + i })));
      const stored = answers.filter((a) => typeof a === "object");
      expect(stored).toHaveLength(1);
      expect(answers.filter((a) => a === "answered")).toHaveLength(5);
      expect(await q.supportRequestsOf("acc_1")).toEqual(stored);
    });

    it("are listed per account newest first, all with their accounts oldest first, and by when they were sent", async () => {
      await ask("sup_a1", "acc_1", T0);
      await ask("sup_b1", "acc_2", T0 + MINUTE);
      await ask("sup_a2", "acc_1", T0 + 2 * MINUTE);
      await ask("sup_a3", "acc_1", T0 + 3 * MINUTE);
      expect((await q.supportRequestsOf("acc_1")).map((r) => r.id)).toEqual(["sup_a3", "sup_a2", "sup_a1"]);
      expect(await q.supportRequestsOf("acc_none")).toEqual([]);
      expect((await q.supportRequestsWithAccounts()).map(({ request, account }) => [request.id, account.name, account.email])).toEqual([
        ["sup_a1", "Acme", "ops@acme.example"],
        ["sup_b1", "Brightline", "ops@brightline.example"],
        ["sup_a2", "Acme", "ops@acme.example"],
        ["sup_a3", "Acme", "ops@acme.example"],
      ]);
      // [from, to): the request sent at `to` is the next window's.
      expect((await q.supportRequestsBetween(T0 + MINUTE, T0 + 3 * MINUTE)).map((r) => r.id).sort()).toEqual(["sup_a2", "sup_b1"]);
      expect(await q.supportRequestsBetween(T0 + 4 * MINUTE, T0 + 5 * MINUTE)).toEqual([]);
    });
  });

  describe("satisfaction answers", () => {
    beforeEach(async () => {
      await seedPlanChange(database.store, { id: "pc_1", accountId: "acc_1", toPlanId: "pro", status: "applied", effectiveAtMs: T0 });
      await seedPlanChange(database.store, { id: "pc_2", accountId: "acc_2", toPlanId: "pro", status: "applied", effectiveAtMs: T0 });
    });

    it("are stored for the account's own plan change only, one per change", async () => {
      expect(await q.recordSatisfaction({ id: "sat_x", accountId: "acc_2", planChangeId: "pc_1", score: 0, atMs: T0 })).toBe(false);
      expect(await q.recordSatisfaction({ id: "sat_1", accountId: "acc_1", planChangeId: "pc_1", score: 6, atMs: T0 })).toBe(true);
      expect(await q.recordSatisfaction({ id: "sat_2", accountId: "acc_1", planChangeId: "pc_1", score: 9, atMs: T0 + 1 })).toBe(true);
      expect((await rowsOf(database.store, "satisfaction")).map((r) => [r.accountId, r.score, r.createdAtMs])).toEqual([["acc_1", 9, T0 + 1]]);
      expect(await q.recordSatisfaction({ id: "sat_3", accountId: "acc_1", planChangeId: "pc_nope", score: 5, atMs: T0 })).toBe(false);
    });

    it("are found by when they were given and by plan change", async () => {
      await q.recordSatisfaction({ id: "sat_1", accountId: "acc_1", planChangeId: "pc_1", score: 6, atMs: T0 });
      await q.recordSatisfaction({ id: "sat_2", accountId: "acc_2", planChangeId: "pc_2", score: 10, atMs: T0 + MINUTE });
      expect((await q.satisfactionBetween(T0, T0 + MINUTE)).map((r) => r.id)).toEqual(["sat_1"]);
      expect((await q.satisfactionBetween(T0, T0 + MINUTE + 1)).map((r) => r.id).sort()).toEqual(["sat_1", "sat_2"]);
      expect(await q.satisfactionFor(["pc_2", "pc_nope"])).toEqual([{ id: "sat_2", accountId: "acc_2", planChangeId: "pc_2", score: 10, createdAtMs: T0 + MINUTE }]);
      expect(await q.satisfactionFor([])).toEqual([]);
    });
  });
});
