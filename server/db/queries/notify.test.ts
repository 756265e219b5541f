import { beforeEach, describe, expect, it } from "vitest";
import { type Database_ } from "../client";
import { claimOutboxMessage, insertNoticeOnce, recordOutboxSent, type NoticeRow, type OutboxDraft } from "./notify";
import { memoryDatabase } from "../../testing/memory-database";

let database: Database_;
const T0 = Date.parse("2026-11-25T10:00:00Z");

beforeEach(() => {
  database = memoryDatabase();
  database.sqlite.prepare("insert into accounts (id, name, email, plan_id, billing_anchor_ms, created_at_ms) values ('acc_1', 'Acme', 'ops@acme.example', 'starter', ?, ?)").run(T0, T0);
});

const notice = (id: string, accountId = "acc_1"): NoticeRow => ({ id, accountId, kind: "reached", window: "minute", periodStartMs: T0, dedupeKey: `${accountId}:reached:minute:${T0}`, factsJson: "{}", createdAtMs: T0, deliveredAtMs: null, dismissedAtMs: null });
const email = (id: string, to: string): OutboxDraft => ({ id, channel: "email", dedupeKey: `${id}:email`, recipient: to, subject: "s", payloadJson: "{}", status: "pending", nextAttemptAtMs: T0, createdAtMs: T0 });
const count = (table: string) => database.sqlite.prepare(`select count(*) from ${table}`).pluck().get();

describe("raising a notice", () => {
  it("writes the notice and its messages once per dedupe key, addressed from the account", async () => {
    expect(await insertNoticeOnce(database.db, notice("ntc_1"), (a) => [email("msg_1", a.email)])).toBe(true);
    expect(database.sqlite.prepare("select notice_id, account_id, recipient from outbox").all()).toEqual([{ notice_id: "ntc_1", account_id: "acc_1", recipient: "ops@acme.example" }]);
    // The same key again: nothing more is written, not even the messages.
    expect(await insertNoticeOnce(database.db, notice("ntc_2"), (a) => [email("msg_2", a.email)])).toBe(false);
    expect([count("notices"), count("outbox")]).toEqual([1, 1]);
  });

  it("writes nothing for an account that does not exist", async () => {
    expect(await insertNoticeOnce(database.db, notice("ntc_1", "acc_gone"), () => [email("msg_1", "x@example.com")])).toBe(false);
    expect([count("notices"), count("outbox")]).toEqual([0, 0]);
  });
});

describe("the outbox claim", () => {
  it("lets one sender claim a message as read, and records an outcome only while that claim stands", async () => {
    await insertNoticeOnce(database.db, notice("ntc_1"), (a) => [email("msg_1", a.email)]);
    expect(await claimOutboxMessage(database.db, "msg_1", 0, T0)).toBe(true);
    // Another sender read it before that claim: its claim fails.
    expect(await claimOutboxMessage(database.db, "msg_1", 0, T0)).toBe(false);
    // Stale, it is claimed again (attempt 2): the first send's late record changes nothing.
    expect(await claimOutboxMessage(database.db, "msg_1", 1, T0 + 120_000)).toBe(true);
    await recordOutboxSent(database.db, "msg_1", 1, T0 + 130_000);
    expect(database.sqlite.prepare("select status, attempts, sent_at_ms from outbox").get()).toEqual({ status: "sending", attempts: 2, sent_at_ms: null });
    await recordOutboxSent(database.db, "msg_1", 2, T0 + 140_000);
    expect(database.sqlite.prepare("select status, attempts, sent_at_ms from outbox").get()).toEqual({ status: "sent", attempts: 2, sent_at_ms: T0 + 140_000 });
  });
});
