import { beforeEach, describe, expect, it } from "vitest";
import { type Database_ } from "../client";
import { insertSupportRequest, recordSatisfaction, replyOnce } from "./support";
import { memoryDatabase } from "../../testing/memory-database";

let database: Database_;
const T0 = Date.parse("2026-11-25T10:00:00Z");

beforeEach(() => {
  database = memoryDatabase();
  const account = database.sqlite.prepare("insert into accounts (id, name, email, plan_id, billing_anchor_ms, created_at_ms) values (?, ?, ?, 'starter', ?, ?)");
  account.run("acc_1", "Acme", "ops@acme.example", T0, T0);
  account.run("acc_2", "Brightline", "ops@brightline.example", T0, T0);
});

describe("support requests", () => {
  it("are answered once", async () => {
    await insertSupportRequest(database.db, { id: "sup_1", accountId: "acc_1", topic: "plan", message: "Which plan fits?", createdAtMs: T0 });
    const done = await replyOnce(database.db, { requestId: "sup_1", reply: "Business.", repliedBy: "operator", atMs: T0 + 60_000 });
    expect(done).toMatchObject({ id: "sup_1", accountId: "acc_1", reply: "Business.", repliedAtMs: T0 + 60_000 });
    expect(await replyOnce(database.db, { requestId: "sup_1", reply: "Pro.", repliedBy: "operator", atMs: T0 + 120_000 })).toBe("answered");
    expect(database.sqlite.prepare("select reply from support_requests").pluck().get()).toBe("Business.");
    expect(await replyOnce(database.db, { requestId: "sup_nope", reply: "Pro.", repliedBy: "operator", atMs: T0 })).toBe("not_found");
  });
});

describe("satisfaction answers", () => {
  it("are stored for the account's own plan change only, one per change", async () => {
    // A bare plan change row: what is under test is the check and the upsert, not the consent behind it.
    database.sqlite.pragma("foreign_keys = OFF");
    database.sqlite
      .prepare("insert into plan_changes (id, account_id, quote_id, consent_id, kind, from_plan_id, to_plan_id, status, effective_at_ms, created_at_ms, updated_at_ms) values ('pc_1', 'acc_1', 'q_1', 'c_1', 'plan_change', 'starter', 'pro', 'applied', ?, ?, ?)")
      .run(T0, T0, T0);
    database.sqlite.pragma("foreign_keys = ON");
    expect(await recordSatisfaction(database.db, { id: "sat_x", accountId: "acc_2", planChangeId: "pc_1", score: 0, atMs: T0 })).toBe(false);
    expect(await recordSatisfaction(database.db, { id: "sat_1", accountId: "acc_1", planChangeId: "pc_1", score: 6, atMs: T0 })).toBe(true);
    expect(await recordSatisfaction(database.db, { id: "sat_2", accountId: "acc_1", planChangeId: "pc_1", score: 9, atMs: T0 + 1 })).toBe(true);
    expect(database.sqlite.prepare("select account_id, score, created_at_ms from satisfaction").all()).toEqual([{ account_id: "acc_1", score: 9, created_at_ms: T0 + 1 }]);
  });
});
