import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import { pgMeteringQueries } from "../db/pg/queries/metering";
import { hashKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { createLogger } from "../lib/logger";
import { accountRow, insertRows, rowsOf } from "../testing/dialect-rows";
import { DIALECTS, type OpenDialect } from "../testing/pg-dialects";
import { DatabaseUnavailableError, Meter, type CheckResult } from "./meter";
import { PrimedReads } from "./primed-reads";

const T0 = Date.parse("2026-11-25T14:00:00Z");
const KEY = "hr_live_meter_dialects_key";
const OTHER = "hr_live_meter_dialects_other";

/** The meter on either dialect: SQLite answers at once, PostgreSQL after reading ahead. The same decisions either way. */
describe.each(DIALECTS)("the meter on $dialect", ({ open }) => {
  let database: OpenDialect;
  let clock: ManualClock;
  let meter: Meter<boolean>;

  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    clock = new ManualClock(T0);
    // Starter: 60 calls a minute in the demo catalog; enforced, so the 61st is refused.
    await insertRows(database.store, "accounts", [accountRow("acc_1", { planId: "starter", billingAnchorMs: T0 - 86_400_000, enforcementOverride: "enforce" }), accountRow("acc_2", { planId: "pro", billingAnchorMs: T0 })]);
    await insertRows(database.store, "apiKeys", [
      { id: "key_1", accountId: "acc_1", hash: hashKey(KEY), prefix: KEY.slice(0, 12), name: "one", createdAtMs: T0 },
      { id: "key_2", accountId: "acc_2", hash: hashKey(OTHER), prefix: OTHER.slice(0, 12), name: "two", createdAtMs: T0, revokedAtMs: T0 },
    ]);
    // Told an hour ago that it reached its minute cap: with no grace left, enforcement refuses over it.
    await insertRows(database.store, "notices", [{ id: "ntc_1", accountId: "acc_1", kind: "reached", window: "minute", periodStartMs: 0, dedupeKey: "d1", createdAtMs: T0 - 3_600_000, deliveredAtMs: T0 - 3_600_000 }]);
    const common = { catalog: demoCatalog, clock, logger: createLogger("silent"), flushMs: 60_000, ceilingPerMinute: 1_000, graceMs: 0, maxLatenessMs: 24 * 3_600_000 };
    const s = database.store;
    meter = s.dialect === "sqlite" ? new Meter<boolean>({ ...common, sqlite: s.db.$client }) : new Meter<boolean>({ ...common, primed: new PrimedReads(pgMeteringQueries(s.db, clock)), instanceId: "test" });
  });

  const decide = async (key: string, id?: string): Promise<CheckResult> => meter.check(key, 1, id);
  const decision = (r: CheckResult) => (r.ok ? r.decision : r.reason);

  it("decides and counts each call once, ids retried count nothing, and the flush writes what was counted", async () => {
    const out: string[] = [];
    for (let i = 0; i < 62; i++) out.push(decision(await decide(KEY, `id-${i}`)));
    expect(out.slice(0, 60).every((d) => d === "allow")).toBe(true);
    expect(out.slice(60)).toEqual(["throttle", "throttle"]);
    // The same ids again: the first decisions, nothing counted.
    expect(decision(await decide(KEY, "id-3"))).toBe("allow");
    expect(decision(await decide(KEY, "id-61"))).toBe("throttle");
    expect(decision(await decide("hr_live_nobody"))).toBe("unknown_key");
    expect(decision(await decide(OTHER))).toBe("revoked_key");
    expect(await meter.flushNow()).toBe(true);
    const minutes = await rowsOf(database.store, "usageMinute");
    expect(minutes.map((m) => ({ allowed: m.allowed, throttled: m.throttled }))).toEqual([{ allowed: 60, throttled: 2 }]);
    expect((await rowsOf(database.store, "meteredIds")).length).toBe(62);
    // After the flush the ids are found in the database: still counted once.
    expect(decision(await decide(KEY, "id-7"))).toBe("allow");
    clock.advance(60_000);
    expect(decision(await decide(KEY, "id-new"))).toBe("allow");
    expect(await meter.flushNow()).toBe(true);
    const served = (await rowsOf(database.store, "usageMinute")).reduce((s, m) => s + m.allowed, 0);
    expect(served).toBe(61);
  });

  it("flushNow writes what is buffered when it is called, even while a write of an earlier batch is under way", async () => {
    for (let i = 0; i < 10; i++) await decide(KEY, `early-${i}`);
    const under = meter.flushNow(); // on PostgreSQL: a write of these 10 is now under way
    for (let i = 0; i < 5; i++) await decide(KEY, `late-${i}`);
    expect(await meter.flushNow()).toBe(true);
    await under;
    expect((await rowsOf(database.store, "usageMinute")).reduce((s, m) => s + m.allowed, 0)).toBe(15);
    expect((await rowsOf(database.store, "meteredIds")).length).toBe(15);
  });

  it("a meter started afresh counts from the rollups: the minute's 60 calls are remembered", async () => {
    for (let i = 0; i < 60; i++) await decide(KEY);
    expect(await meter.flushNow()).toBe(true);
    await meter.stop(1_000);
    const common = { catalog: demoCatalog, clock, logger: createLogger("silent"), flushMs: 60_000, ceilingPerMinute: 1_000, graceMs: 0, maxLatenessMs: 24 * 3_600_000 };
    const s = database.store;
    meter = s.dialect === "sqlite" ? new Meter<boolean>({ ...common, sqlite: s.db.$client }) : new Meter<boolean>({ ...common, primed: new PrimedReads(pgMeteringQueries(s.db, clock)), instanceId: "again" });
    expect(decision(await decide(KEY))).toBe("throttle");
    await meter.prepare("acc_1");
    const minute = meter.limitsFor("acc_1").limits.find((l) => l.window === "minute")!;
    expect(minute.used).toBe(60);
  });

  it("records a batch of events once by id, and says which it refused", async () => {
    const at = T0 - 1_000;
    const events = [
      { id: "e1", key: KEY, cost: 3, timestampMs: at },
      { id: "e2", key: KEY, cost: 2, timestampMs: at },
      { id: "e1", key: KEY, cost: 3, timestampMs: at },
      { id: "e3", key: "hr_live_nobody", cost: 1, timestampMs: at },
      { id: "e4", key: OTHER, cost: 1, timestampMs: at },
    ];
    const first = await meter.recordEvents(events);
    expect(first.accepted).toBe(2);
    expect(first.rejected.map((r) => r.reason)).toEqual(["duplicate_in_batch", "unknown_key", "revoked_key"]);
    expect(await meter.flushNow()).toBe(true);
    // Sent again after the flush: every id is found stored.
    const again = await meter.recordEvents(events.slice(0, 2));
    expect(again).toMatchObject({ accepted: 0, duplicates: 2 });
    expect((await rowsOf(database.store, "usageMinute")).reduce((s, m) => s + m.allowed, 0)).toBe(5);
  });
});

describe("the meter on PostgreSQL while the database does not answer", () => {
  let database: OpenDialect;
  beforeAll(async () => {
    database = await DIALECTS.find((d) => d.dialect === "pg")!.open();
  });
  afterAll(() => database.close());

  it("answers from what it holds, keeps the usage, writes it once when the database is back; a key it never saw gets a 503's error", async () => {
    const store = database.store;
    if (store.dialect !== "pg") throw new Error("expected PostgreSQL");
    const clock = new ManualClock(T0);
    await insertRows(store, "accounts", [accountRow("acc_1", { planId: "pro", billingAnchorMs: T0 - 86_400_000 })]);
    await insertRows(store, "apiKeys", [
      { id: "key_1", accountId: "acc_1", hash: hashKey(KEY), prefix: KEY.slice(0, 12), name: "one", createdAtMs: T0 },
      { id: "key_2", accountId: "acc_1", hash: hashKey(OTHER), prefix: OTHER.slice(0, 12), name: "two", createdAtMs: T0 },
    ]);
    const real = pgMeteringQueries(store.db, clock);
    let down = false;
    // Every statement fails while "down", as with PostgreSQL restarting or cut off.
    const source = new Proxy(real, {
      get(target, name: keyof typeof real) {
        const f = target[name] as (...a: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => (down ? Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432")) : f(...args));
      },
    });
    const meter = new Meter<boolean>({ catalog: demoCatalog, clock, logger: createLogger("silent"), flushMs: 60_000, ceilingPerMinute: 1_000, graceMs: 0, maxLatenessMs: 24 * 3_600_000, primed: new PrimedReads(source), instanceId: "cut" });
    for (let i = 0; i < 5; i++) expect((await meter.check(KEY, 1, `before-${i}`)).ok).toBe(true);
    expect(await meter.flushNow()).toBe(true);

    down = true;
    const during = [];
    for (let i = 0; i < 20; i++) during.push(await meter.check(KEY, 1, `during-${i}`));
    expect(during.every((r) => r.ok && r.decision === "allow")).toBe(true);
    // A retried id is still known: it waits in the buffer.
    expect(await meter.check(KEY, 1, "during-3")).toMatchObject({ ok: true, duplicate: true });
    expect(await meter.flushNow()).toBe(false);
    expect(meter.pendingCount()).toBeGreaterThan(0);
    // The other key was never read by this instance: it cannot be checked now.
    await expect(meter.check(OTHER, 1)).rejects.toThrow(DatabaseUnavailableError);

    down = false;
    clock.advance(10_000);
    expect(await meter.flushNow()).toBe(true);
    const minutes = await rowsOf(store, "usageMinute");
    expect(minutes.reduce((s, m) => s + m.allowed, 0)).toBe(25);
    expect((await rowsOf(store, "meteredIds")).length).toBe(25);
    expect((await meter.check(OTHER, 1)).ok).toBe(true);
    await meter.stop(1_000);
  });
});
