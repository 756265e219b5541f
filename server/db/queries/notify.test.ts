import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, countRows, insertRows, rowsOf } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgNotify from "../pg/queries/notify";
import * as liteNotify from "../sqlite/queries/notify";
import type { NoticeRow, OutboxDraft } from "../sqlite/queries/notify";

const T0 = Date.parse("2026-11-25T10:00:00Z");
const MINUTE = 60_000;

const notice = (id: string, accountId = "acc_1", over: Partial<NoticeRow> = {}): NoticeRow => ({
  id,
  accountId,
  kind: "reached",
  window: "minute",
  periodStartMs: T0,
  dedupeKey: `${accountId}:reached:minute:${T0}`,
  factsJson: "{}",
  createdAtMs: T0,
  deliveredAtMs: null,
  dismissedAtMs: null,
  ...over,
});
const email = (id: string, to: string, over: Partial<OutboxDraft> = {}): OutboxDraft => ({ id, channel: "email", dedupeKey: `${id}:email`, recipient: to, subject: "s", payloadJson: "{}", status: "pending", nextAttemptAtMs: T0, createdAtMs: T0, ...over });

describe.each(DIALECTS)("notify queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteNotify>>;
  const outboxRows = async () => (await rowsOf(database.store, "outbox")).sort((a, b) => a.id.localeCompare(b.id));

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteNotify, pgNotify);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [accountRow("acc_1", { name: "Acme", email: "ops@acme.example", billingAnchorMs: T0, createdAtMs: T0 }), accountRow("acc_2")]);
  });

  describe("raising a notice", () => {
    it("writes the notice and its messages once per dedupe key, addressed from the account", async () => {
      expect(await q.insertNoticeOnce(notice("ntc_1"), (a) => [email("msg_1", a.email)])).toBe(true);
      expect((await outboxRows()).map((m) => ({ noticeId: m.noticeId, accountId: m.accountId, recipient: m.recipient }))).toEqual([{ noticeId: "ntc_1", accountId: "acc_1", recipient: "ops@acme.example" }]);
      // The same key again: nothing more is written, not even the messages.
      expect(await q.insertNoticeOnce(notice("ntc_2"), (a) => [email("msg_2", a.email)])).toBe(false);
      expect([await countRows(database.store, "notices"), await countRows(database.store, "outbox")]).toEqual([1, 1]);
      // The meter defaults to the default meter's ''.
      expect((await q.noticesOf("acc_1", 10))[0]).toEqual({ ...notice("ntc_1"), meter: "" });
    });

    it("writes nothing for an account that does not exist", async () => {
      expect(await q.insertNoticeOnce(notice("ntc_1", "acc_gone"), () => [email("msg_1", "x@example.com")])).toBe(false);
      expect([await countRows(database.store, "notices"), await countRows(database.store, "outbox")]).toEqual([0, 0]);
    });

    it("raised by several instances at once is written once, with its messages once", async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => q.insertNoticeOnce(notice(`ntc_${i}`), (a) => [email(`msg_${i}`, a.email), email(`hook_${i}`, "https://hooks.example", { channel: "webhook" })])),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
      const winner = answers.indexOf(true);
      expect((await outboxRows()).map((m) => [m.id, m.noticeId])).toEqual([
        [`hook_${winner}`, `ntc_${winner}`],
        [`msg_${winner}`, `ntc_${winner}`],
      ]);
    });
  });

  describe("the account's notices", () => {
    beforeEach(async () => {
      await q.insertNoticeOnce(notice("ntc_old", "acc_1", { dedupeKey: "k_old", periodStartMs: T0 - 30 * 24 * 60 * MINUTE, createdAtMs: T0 - MINUTE }), () => []);
      await q.insertNoticeOnce(notice("ntc_a", "acc_1", { dedupeKey: "k_a", createdAtMs: T0 + MINUTE }), () => []);
      await q.insertNoticeOnce(notice("ntc_b", "acc_1", { dedupeKey: "k_b", createdAtMs: T0 + 2 * MINUTE }), () => []);
      await q.insertNoticeOnce(notice("ntc_other", "acc_2", { dedupeKey: "k_other", createdAtMs: T0 + 3 * MINUTE }), () => []);
    });

    it("come newest first, up to the limit; the undismissed ones from a period on", async () => {
      expect((await q.noticesOf("acc_1", 10)).map((n) => n.id)).toEqual(["ntc_b", "ntc_a", "ntc_old"]);
      expect((await q.noticesOf("acc_1", 2)).map((n) => n.id)).toEqual(["ntc_b", "ntc_a"]);
      expect(await q.markNoticeDismissed("acc_1", "ntc_b", T0 + 4 * MINUTE)).toBe(true);
      expect((await q.undismissedNoticesSince("acc_1", T0, 10)).map((n) => n.id)).toEqual(["ntc_a"]);
      expect((await q.undismissedNoticesSince("acc_1", T0 - 30 * 24 * 60 * MINUTE, 1)).map((n) => n.id)).toEqual(["ntc_a"]);
      expect((await q.undismissedNoticesSince("acc_1", T0 - 30 * 24 * 60 * MINUTE, 10)).map((n) => n.id)).toEqual(["ntc_a", "ntc_old"]);
    });

    it("are marked delivered once, found and dismissed by their own account only", async () => {
      expect(await q.findNotice("acc_1", "ntc_a")).toEqual({ id: "ntc_a", deliveredAtMs: null });
      expect(await q.findNotice("acc_2", "ntc_a")).toBeUndefined();
      expect(await q.markNoticeDelivered("acc_2", "ntc_a", T0)).toBe(false);
      expect(await q.markNoticeDelivered("acc_1", "ntc_a", T0 + 5)).toBe(true);
      expect(await q.markNoticeDelivered("acc_1", "ntc_a", T0 + 9)).toBe(false);
      expect(await q.findNotice("acc_1", "ntc_a")).toEqual({ id: "ntc_a", deliveredAtMs: T0 + 5 });
      expect(await q.markNoticeDismissed("acc_2", "ntc_a", T0)).toBe(false);
      expect(await q.markNoticeDismissed("acc_1", "ntc_nope", T0)).toBe(false);
      expect(await q.markNoticeDismissed("acc_1", "ntc_a", T0 + 7)).toBe(true);
      expect((await q.noticesOf("acc_1", 10)).find((n) => n.id === "ntc_a")).toMatchObject({ deliveredAtMs: T0 + 5, dismissedAtMs: T0 + 7 });
    });
  });

  it("stores an e-mail preference per account and kind; a second choice replaces the first", async () => {
    expect(await q.storedEmailPreference("acc_1", "reached")).toBeUndefined();
    await q.storeEmailPreference("acc_1", "reached", false);
    await q.storeEmailPreference("acc_1", "approaching", true);
    expect(await q.storedEmailPreference("acc_1", "reached")).toBe(false);
    await q.storeEmailPreference("acc_1", "reached", true);
    expect(await q.storedEmailPreference("acc_1", "reached")).toBe(true);
    expect(await q.storedEmailPreference("acc_1", "approaching")).toBe(true);
    expect(await q.storedEmailPreference("acc_2", "reached")).toBeUndefined();
  });

  describe("the outbox", () => {
    it("answers the messages due, soonest first: pending ones whose time has come and ones left sending since before the stale mark", async () => {
      await q.insertNoticeOnce(notice("ntc_1"), (a) => [
        email("msg_later", a.email, { nextAttemptAtMs: T0 + 10 * MINUTE }),
        email("msg_due", a.email, { nextAttemptAtMs: T0 + MINUTE }),
        email("msg_first", a.email, { nextAttemptAtMs: T0 }),
        email("msg_stale", a.email, { status: "sending", nextAttemptAtMs: T0 - 5 * MINUTE }),
        email("msg_sending", a.email, { status: "sending", nextAttemptAtMs: T0 + MINUTE }),
        email("msg_sent", a.email, { status: "sent", nextAttemptAtMs: T0 - 9 * MINUTE }),
        email("msg_failed", a.email, { status: "failed", nextAttemptAtMs: T0 - 9 * MINUTE }),
      ]);
      const now = T0 + 2 * MINUTE;
      expect((await q.dueOutboxMessages(now, now - 2 * MINUTE, 10)).map((m) => m.id)).toEqual(["msg_stale", "msg_first", "msg_due"]);
      expect((await q.dueOutboxMessages(now, now - 2 * MINUTE, 2)).map((m) => m.id)).toEqual(["msg_stale", "msg_first"]);
      expect((await q.dueOutboxMessages(now, now, 10)).map((m) => m.id)).toEqual(["msg_stale", "msg_first", "msg_due", "msg_sending"]);
    });

    it("lets one sender claim a message as read, and records an outcome only while that claim stands", async () => {
      await q.insertNoticeOnce(notice("ntc_1"), (a) => [email("msg_1", a.email)]);
      expect(await q.claimOutboxMessage("msg_1", 0, T0)).toBe(true);
      // Another sender read it before that claim: its claim fails.
      expect(await q.claimOutboxMessage("msg_1", 0, T0)).toBe(false);
      // Stale, it is claimed again (attempt 2): the first send's late record changes nothing.
      expect(await q.claimOutboxMessage("msg_1", 1, T0 + 2 * MINUTE)).toBe(true);
      await q.recordOutboxSent("msg_1", 1, T0 + 130_000);
      expect(await outboxRows()).toMatchObject([{ status: "sending", attempts: 2, sentAtMs: null }]);
      await q.recordOutboxSent("msg_1", 2, T0 + 140_000);
      expect(await outboxRows()).toMatchObject([{ status: "sent", attempts: 2, sentAtMs: T0 + 140_000 }]);
    });

    it("records a failed send to retry or for good, while the claim stands", async () => {
      await q.insertNoticeOnce(notice("ntc_1"), (a) => [email("msg_1", a.email)]);
      await q.claimOutboxMessage("msg_1", 0, T0);
      await q.recordOutboxFailure("msg_1", 0, { status: "failed", nextAttemptAtMs: T0, lastError: "late" });
      expect(await outboxRows()).toMatchObject([{ status: "sending", attempts: 1, lastError: null }]);
      await q.recordOutboxFailure("msg_1", 1, { status: "pending", nextAttemptAtMs: T0 + MINUTE, lastError: "550 mailbox busy" });
      expect(await outboxRows()).toMatchObject([{ status: "pending", attempts: 1, nextAttemptAtMs: T0 + MINUTE, lastError: "550 mailbox busy" }]);
      await q.claimOutboxMessage("msg_1", 1, T0 + MINUTE);
      await q.recordOutboxFailure("msg_1", 2, { status: "failed", nextAttemptAtMs: T0 + MINUTE, lastError: "550 no such user" });
      expect(await outboxRows()).toMatchObject([{ status: "failed", attempts: 2, lastError: "550 no such user" }]);
      // Failed for good, it is claimed no more.
      expect(await q.claimOutboxMessage("msg_1", 2, T0 + 2 * MINUTE)).toBe(false);
    });

    it("of senders claiming one message at once, exactly one gets it", async () => {
      await q.insertNoticeOnce(notice("ntc_1"), (a) => [email("msg_1", a.email)]);
      const claims = await Promise.all(Array.from({ length: 6 }, () => q.claimOutboxMessage("msg_1", 0, T0)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await outboxRows()).toMatchObject([{ status: "sending", attempts: 1 }]);
    });
  });
});
