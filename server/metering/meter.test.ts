import { demoCatalog } from "../../shared/testing/demo-catalog";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { migrateDatabase, openDatabase, type Database_ } from "../db/client";
import { createKey, revokeKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { testMeter } from "../testing/test-meter";
import type { CheckResult, Meter } from "./meter";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-11-25T14:00:00Z");

let dir: string;
let database: Database_;
let clock: ManualClock;
let meter: Meter;

async function setup(planId = "starter", opts: { mode?: "off" | "shadow" | "enforce"; anchor?: number } = {}) {
  const acc = await createAccount(database.db, demoCatalog, clock, { name: `Acct ${Math.random()}`, email: `a${Math.random()}@example.com`, planId }, { billingAnchorMs: opts.anchor });
  if (opts.mode) database.sqlite.prepare("update accounts set enforcement_override = ? where id = ?").run(opts.mode, acc.id);
  const key = await createKey(database.db, clock, { accountId: acc.id, name: "k" });
  return { accountId: acc.id, key: key.key, keyId: key.id };
}

const ok = (r: CheckResult) => {
  if (!r.ok) throw new Error(`expected a decision, got ${r.reason}`);
  return r;
};
const minuteOf = (r: CheckResult) => ok(r).limits.find((l) => l.window === "minute")!;
const served = (accountId: string) =>
  database.sqlite.prepare("select coalesce(sum(allowed), 0) a, coalesce(sum(would_throttle), 0) w, coalesce(sum(throttled), 0) t, coalesce(sum(ceiling), 0) c from usage_minute where account_id = ?").get(accountId) as {
    a: number;
    w: number;
    t: number;
    c: number;
  };
function notify(accountId: string, window: string | null, deliveredAtMs: number) {
  database.sqlite
    .prepare("insert into notices (id, account_id, kind, window, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', ?, 0, ?, ?, ?)")
    .run(`n${Math.random()}`, accountId, window, `d${Math.random()}`, deliveredAtMs, deliveredAtMs);
  meter.invalidateAccount(accountId);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "headroom-meter-"));
  database = openDatabase(join(dir, "h.db"));
  migrateDatabase(database.db);
  clock = new ManualClock(T0);
  meter = testMeter(database.sqlite, clock);
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("windows", () => {
  it("slides the minute window: 60 calls fill it, the 61st waits for the oldest to age out", async () => {
    const { key } = await setup("starter", { mode: "enforce" });
    for (let i = 0; i < 30; i++) ok(meter.check(key, 1));
    clock.advance(30_000);
    for (let i = 0; i < 30; i++) ok(meter.check(key, 1));
    const over = ok(meter.check(key, 1));
    expect(over.decision).toBe("would_throttle"); // not notified yet: served, counted as would_throttle
    expect(over.violated).toEqual(["minute"]);
    // At the calendar minute boundary a fixed window would reset; the sliding one does not.
    clock.set(T0 + 60_000);
    expect(minuteOf(meter.check(key, 1)).used).toBeGreaterThan(60 - 30);
    clock.set(T0 + 91_000);
    expect(minuteOf(meter.check(key, 1)).used).toBe(2);
  });

  it("resets the day window at UTC midnight", async () => {
    const { key } = await setup("starter");
    clock.set(Date.parse("2026-11-25T23:59:59Z"));
    ok(meter.check(key, 50));
    expect(ok(meter.check(key, 1)).limits.find((l) => l.window === "day")).toMatchObject({ used: 51, resetAtMs: Date.parse("2026-11-26T00:00:00Z") });
    clock.set(Date.parse("2026-11-26T00:00:00Z"));
    expect(ok(meter.check(key, 1)).limits.find((l) => l.window === "day")!.used).toBe(1);
  });

  it("follows the account's billing period for the month window, not the calendar month", async () => {
    const { key } = await setup("free", { anchor: Date.parse("2026-10-15T00:00:00Z") });
    clock.set(Date.parse("2026-11-20T12:00:00Z")); // period 15 Nov – 15 Dec
    ok(meter.check(key, 900));
    clock.set(Date.parse("2026-12-01T00:00:00Z")); // a new calendar month: still the same billing period
    expect(ok(meter.check(key, 1)).limits.find((l) => l.window === "month")!.used).toBe(901);
    clock.set(Date.parse("2026-12-15T00:00:00Z"));
    const next = ok(meter.check(key, 1)).limits.find((l) => l.window === "month")!;
    expect(next.used).toBe(1);
    expect(next.resetAtMs).toBe(Date.parse("2027-01-15T00:00:00Z"));
  });
});

describe("modes, grace and the safety ceiling", () => {
  it("shadow serves calls over a cap and counts them as would_throttle", async () => {
    const { key, accountId } = await setup("starter", { mode: "shadow" });
    for (let i = 0; i < 100; i++) meter.check(key, 1);
    meter.flush();
    expect(served(accountId)).toEqual({ a: 60, w: 40, t: 0, c: 0 });
  });

  it("enforce refuses only after a delivered notice plus the grace period; refused calls consume nothing", async () => {
    const { key, accountId } = await setup("starter", { mode: "enforce" });
    notify(accountId, "minute", T0 - 72 * HOUR + 1000);
    for (let i = 0; i < 60; i++) expect(ok(meter.check(key, 1)).decision).toBe("allow");
    expect(ok(meter.check(key, 1)).decision).toBe("would_throttle"); // 1 s of grace left
    clock.advance(1000);
    const refused = ok(meter.check(key, 1));
    expect(refused).toMatchObject({ decision: "throttle", allowed: false, refusing: ["minute"] });
    expect(minuteOf(refused).used).toBe(61); // the refused call was not counted
    meter.flush();
    expect(served(accountId)).toEqual({ a: 60, w: 1, t: 1, c: 0 });
  });

  it("a notice about every cap (no window) starts the grace for each cap", async () => {
    const { key, accountId } = await setup("starter", { mode: "enforce" });
    notify(accountId, null, T0 - 100 * HOUR);
    ok(meter.check(key, 60));
    expect(ok(meter.check(key, 1)).decision).toBe("throttle");
  });

  it("refuses a cost that does not fit in a window without consuming from any", async () => {
    const { key, accountId } = await setup("starter", { mode: "enforce" });
    notify(accountId, "minute", T0 - 100 * HOUR);
    ok(meter.check(key, 58));
    const r = ok(meter.check(key, 5));
    expect(r.decision).toBe("throttle");
    expect(r.limits.find((l) => l.window === "day")!.used).toBe(58);
    expect(ok(meter.check(key, 2)).decision).toBe("allow");
    expect(ok(meter.check(key, 61)).decision).toBe("throttle");
  });

  it("applies the per-key ceiling in every mode, and it is not the plan", async () => {
    const { key, accountId } = await setup("enterprise");
    expect(ok(meter.check(key, 1000)).decision).toBe("allow");
    const r = ok(meter.check(key, 1));
    expect(r).toMatchObject({ decision: "ceiling", allowed: false, mode: "off" });
    expect(r.ceiling).toMatchObject({ limit: 1000, used: 1000 });
    expect(r.ceiling.resetAtMs).toBe(T0 + 60_000);
    clock.advance(60_000);
    expect(ok(meter.check(key, 1)).decision).toBe("allow");
    meter.flush();
    expect(served(accountId)).toMatchObject({ a: 1001, c: 1 });
  });
});

describe("after a refusal", () => {
  it("reports the counts before the call, and a sliding window's reset as when a call of this cost fits again", async () => {
    const { key, accountId } = await setup("starter", { mode: "enforce" });
    notify(accountId, "minute", T0 - 100 * HOUR);
    ok(meter.check(key, 30)); // at 14:00:00
    clock.advance(20_000);
    ok(meter.check(key, 20)); // at 14:00:20
    clock.advance(10_000);
    const r = ok(meter.check(key, 20)); // 50 + 20 > 60: the 30 calls of 14:00:00 must leave first
    expect(r).toMatchObject({ decision: "throttle", cost: 20 });
    expect(minuteOf(r)).toMatchObject({ used: 50, resetAtMs: T0 + 60_000 });
    // A cost above the cap never fits: the reset stays the window's own (the count is below the cap).
    expect(minuteOf(ok(meter.check(key, 61))).resetAtMs).toBe(T0 + 60_000);
    clock.set(T0 + 59_999);
    expect(ok(meter.check(key, 20)).decision).toBe("throttle");
    clock.set(T0 + 60_000);
    expect(ok(meter.check(key, 20)).decision).toBe("allow");
  });

  it("the ceiling's reset is when a call of this cost fits under it again", async () => {
    const { key } = await setup("enterprise");
    ok(meter.check(key, 500)); // at 14:00:00
    clock.advance(20_000);
    ok(meter.check(key, 480)); // at 14:00:20
    clock.advance(16_000);
    const r = ok(meter.check(key, 21));
    expect(r.decision).toBe("ceiling");
    expect(r.ceiling).toEqual({ limit: 1000, used: 980, resetAtMs: T0 + 60_000 });
    clock.set(T0 + 60_000);
    expect(ok(meter.check(key, 21)).decision).toBe("allow");
  });
});

describe("keys", () => {
  it("refuses unknown and revoked keys without counting anything", async () => {
    const { key, keyId, accountId } = await setup();
    expect(meter.check("hr_live_unknown", 1)).toEqual({ ok: false, reason: "unknown_key" });
    ok(meter.check(key, 1));
    await revokeKey(database.db, clock, { keyId });
    meter.invalidateKeys();
    expect(meter.check(key, 1)).toEqual({ ok: false, reason: "revoked_key" });
    meter.flush();
    expect(served(accountId).a).toBe(1);
  });

  it("sees a revocation committed by another process (the CLI) on its next refresh", async () => {
    const { key, keyId } = await setup();
    ok(meter.check(key, 1));
    const other = new Database(join(dir, "h.db"));
    other.prepare("update api_keys set revoked_at_ms = ? where id = ?").run(clock.now(), keyId);
    other.close();
    meter.refreshIfChangedElsewhere();
    expect(meter.check(key, 1)).toEqual({ ok: false, reason: "revoked_key" });
  });

  it("rebuilds an account's counts when another process changed its plan and billing period", async () => {
    const { key, accountId } = await setup("free", { anchor: Date.parse("2026-11-10T00:00:00Z") });
    ok(meter.check(key, 900));
    clock.advance(60_000);
    // Free → Pro in another process: a new billing period, and the new plan's quota, from this moment.
    const upgradedAt = clock.now();
    const other = new Database(join(dir, "h.db"));
    other.prepare("update accounts set plan_id = 'pro', billing_anchor_ms = ?, plan_started_at_ms = ? where id = ?").run(upgradedAt, upgradedAt, accountId);
    other.close();
    meter.refreshIfChangedElsewhere();
    const r = ok(meter.check(key, 1));
    expect(r.plan.id).toBe("pro");
    expect(r.period.startMs).toBe(upgradedAt);
    expect(r.limits.find((l) => l.window === "month")).toMatchObject({ limit: 10_000, used: 1 });
    expect(r.limits.find((l) => l.window === "day")!.used).toBe(901);
    meter.flush();
    expect(served(accountId).a).toBe(901);
  });
});

describe("exactness", () => {
  it("counts a call with an idempotency id once, across flushes and restarts", async () => {
    const { key, accountId } = await setup();
    const first = ok(meter.check(key, 3, "req-1"));
    const retry = ok(meter.check(key, 3, "req-1"));
    expect(retry).toMatchObject({ duplicate: true, decision: first.decision });
    meter.flush();
    expect(ok(meter.check(key, 3, "req-1")).duplicate).toBe(true);
    const restarted = testMeter(database.sqlite, clock);
    expect(ok(restarted.check(key, 3, "req-1")).duplicate).toBe(true);
    restarted.flush();
    expect(served(accountId).a).toBe(3);
  });

  it("continues from the rollups after a restart", async () => {
    const { key } = await setup("starter");
    for (let i = 0; i < 40; i++) meter.check(key, 1);
    clock.advance(61_000);
    for (let i = 0; i < 10; i++) meter.check(key, 1);
    meter.flush();
    const restarted = testMeter(database.sqlite, clock);
    const r = ok(restarted.check(key, 1));
    expect(r.limits.find((l) => l.window === "day")!.used).toBe(51);
    expect(minuteOf(r).used).toBe(11);
  });

  it("keeps the buffer when the database is locked by another process, and writes it once later", async () => {
    const { key, accountId } = await setup();
    for (let i = 0; i < 5; i++) meter.check(key, 1);
    const locker = new Database(join(dir, "h.db"));
    locker.pragma("busy_timeout = 0");
    locker.exec("begin immediate");
    database.sqlite.pragma("busy_timeout = 0");
    expect(meter.flush()).toBe(false);
    for (let i = 0; i < 5; i++) meter.check(key, 1);
    locker.exec("commit");
    locker.close();
    expect(meter.flush()).toBe(true);
    expect(served(accountId).a).toBe(10);
    expect(meter.flush()).toBe(true);
    expect(served(accountId).a).toBe(10);
  });

  it("writes per-day rollups with the busiest minute over all keys", async () => {
    const { key, accountId } = await setup("business");
    const second = (await createKey(database.db, clock, { accountId, name: "second" })).key;
    meter.check(key, 100);
    meter.check(second, 50);
    meter.flush();
    meter.check(second, 25); // same minute, a later flush
    meter.flush();
    const day = database.sqlite.prepare("select allowed, peak_minute as peak from usage_day where account_id = ?").get(accountId);
    expect(day).toEqual({ allowed: 175, peak: 175 });
    const lastUsed = database.sqlite.prepare("select last_used_at_ms as t from api_keys where account_id = ? order by t").pluck().all(accountId);
    expect(lastUsed).toEqual([T0, T0]);
  });

  it("records the limit events for the audit", async () => {
    const { key, accountId } = await setup("starter", { mode: "shadow" });
    meter.check(key, 70);
    meter.flush();
    const rows = database.sqlite.prepare("select window, decision, count from limit_events where account_id = ?").all(accountId);
    expect(rows).toEqual([{ window: "minute", decision: "would_throttle", count: 70 }]);
  });
});

describe("events recorded after the fact", () => {
  it("accepts, dedupes by id, and rejects late, future and unknown-key events with reasons", async () => {
    const { key, accountId } = await setup("business");
    const r = meter.recordEvents([
      { id: "e1", key, cost: 2, timestampMs: T0 - 10 * 60_000 },
      { id: "e2", key, cost: 1, timestampMs: T0 - 25 * HOUR },
      { id: "e3", key, cost: 1, timestampMs: T0 + 6 * 60_000 },
      { id: "e4", key: "hr_live_nope", cost: 1, timestampMs: T0 },
      { id: "e1", key, cost: 2, timestampMs: T0 },
    ]);
    expect(r.accepted).toBe(1);
    expect(r.rejected.map((x) => [x.index, x.reason])).toEqual([
      [1, "too_late"],
      [2, "in_the_future"],
      [3, "unknown_key"],
      [4, "duplicate_in_batch"],
    ]);
    meter.flush();
    const again = meter.recordEvents([{ id: "e1", key, cost: 2, timestampMs: T0 - 10 * 60_000 }]);
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
    meter.flush();
    expect(served(accountId).a).toBe(2);
    const row = database.sqlite.prepare("select minute_ms from usage_minute where account_id = ?").pluck().get(accountId);
    expect(row).toBe(T0 - 10 * 60_000);
  });

  it("counts each id once per account in a mixed batch: stored, waiting in the buffer, and new", async () => {
    const a = await setup("business");
    const b = await setup("business");
    const at = T0 - 60_000;
    expect(meter.recordEvents([{ id: "stored", key: a.key, cost: 1, timestampMs: at }]).accepted).toBe(1);
    meter.flush();
    expect(meter.recordEvents([{ id: "pending", key: a.key, cost: 1, timestampMs: at }]).accepted).toBe(1);
    // Not flushed: "pending" is only in the buffer. The same ids under another account are other calls.
    const r = meter.recordEvents([
      { id: "stored", key: a.key, cost: 1, timestampMs: at },
      { id: "stored", key: b.key, cost: 1, timestampMs: at },
      { id: "pending", key: a.key, cost: 1, timestampMs: at },
      { id: "pending", key: b.key, cost: 1, timestampMs: at },
      { id: 'quote"and\\backslash', key: a.key, cost: 1, timestampMs: at },
      { id: "new", key: a.key, cost: 1, timestampMs: at },
    ]);
    expect(r).toEqual({ accepted: 4, duplicates: 2, rejected: [] });
    meter.flush();
    expect(served(a.accountId).a).toBe(4);
    expect(served(b.accountId).a).toBe(2);
    const again = meter.recordEvents([{ id: 'quote"and\\backslash', key: a.key, cost: 1, timestampMs: at }]);
    expect(again).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
  });

  it("writes every id of a large flush with its own decision (ids are written in chunks)", async () => {
    const { key, accountId } = await setup("starter", { mode: "shadow" });
    const at = T0 - 60_000;
    // Starter allows 1,000 a day: the first 1,000 are allowed, the next 3,500 served over the cap.
    const r = meter.recordEvents(Array.from({ length: 4_500 }, (_, i) => ({ id: `big-${i}`, key, cost: 1, timestampMs: at })));
    expect(r.accepted).toBe(4_500);
    expect(meter.flush()).toBe(true);
    const rows = database.sqlite.prepare("select decision, count(*) n from metered_ids where account_id = ? group by decision order by decision").all(accountId);
    expect(rows).toEqual([
      { decision: "allow", n: 1_000 },
      { decision: "would_throttle", n: 3_500 },
    ]);
    expect(meter.recordEvents([{ id: "big-4499", key, cost: 1, timestampMs: at }])).toMatchObject({ accepted: 0, duplicates: 1 });
  });
});
