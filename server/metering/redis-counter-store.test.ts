import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { persistedUsage } from "../db/queries/usage";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import { createAccount } from "../accounts/accounts";
import { migrateDatabase, openDatabase, type Database_ } from "../db/client";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { createLogger } from "../lib/logger";
import { Metrics } from "../lib/metrics";
import { deleteRedisPrefix, TEST_REDIS_URL, testRedis, testRedisPrefix } from "../testing/redis";
import { Meter, type CheckResult } from "./meter";
import { RedisCounterStore, redisOptions } from "./redis-counter-store";

const T0 = Date.parse("2026-11-25T14:00:00Z");
const HOUR = 3_600_000;
const PREFIX = testRedisPrefix("counter-store");

let admin: Redis;
let dir: string;
/** Two connections to one SQLite file, as two processes have. */
let dbs: Database_[];
let clock: ManualClock;
let meters: Array<Meter<boolean>>;
let stores: RedisCounterStore[];

function redisMeter(database: Database_, opts: { ceilingPerMinute?: number; redis?: Redis; url?: string; metrics?: Metrics; clock?: ManualClock } = {}): { meter: Meter<boolean>; store: RedisCounterStore } {
  const clock_ = opts.clock ?? clock;
  const store = new RedisCounterStore({ url: opts.url ?? TEST_REDIS_URL, redis: opts.redis, prefix: PREFIX, persisted: persistedUsage(database.sqlite), clock: clock_, logger: createLogger(process.env.DEBUG_REDIS ? "debug" : "silent"),
    // A shared test machine can stall a burst of 2,000 calls for more than the default second: these tests are about counts, not timeouts.
    commandTimeoutMs: 10_000, metrics: opts.metrics, probeMs: 50 });
  stores.push(store);
  const meter = new Meter<boolean>({
    catalog: demoCatalog,
    sqlite: database.sqlite,
    clock: clock_,
    logger: createLogger("silent"),
    flushMs: 250,
    ceilingPerMinute: opts.ceilingPerMinute ?? 1_000,
    graceMs: 72 * HOUR,
    maxLatenessMs: 24 * HOUR,
    counters: store,
    metrics: opts.metrics,
  });
  return { meter, store };
}

async function account(opts: { caps?: Record<string, number>; mode?: "off" | "shadow" | "enforce"; anchor?: number; noticeAt?: number } = {}) {
  const db = dbs[0]!;
  const acc = await createAccount(db.db, demoCatalog, clock, { name: `Acct ${Math.random()}`, email: `a${Math.random()}@example.com`, planId: "starter" }, { billingAnchorMs: opts.anchor });
  if (opts.caps) db.sqlite.prepare("update accounts set cap_overrides_json = ? where id = ?").run(JSON.stringify(opts.caps), acc.id);
  if (opts.mode) db.sqlite.prepare("update accounts set enforcement_override = ? where id = ?").run(opts.mode, acc.id);
  if (opts.noticeAt !== undefined)
    db.sqlite
      .prepare("insert into notices (id, account_id, kind, window, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', null, 0, ?, ?, ?)")
      .run(`n${Math.random()}`, acc.id, `d${Math.random()}`, opts.noticeAt, opts.noticeAt);
  const key = await createKey(db.db, clock, { accountId: acc.id, name: "k" });
  for (const m of meters) m.refreshIfChangedElsewhere();
  return { id: acc.id, key: key.key };
}

const ok = (r: CheckResult) => {
  if (!r.ok) throw new Error(`expected a decision, got ${r.reason}`);
  return r;
};
const windowOf = (r: CheckResult, w: "minute" | "day" | "month") => ok(r).limits.find((l) => l.window === w)!;
const servedInDb = (accountId: string) =>
  dbs[0]!.sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) s, coalesce(sum(throttled + ceiling), 0) r from usage_minute where account_id = ?").get(accountId) as { s: number; r: number };

beforeAll(() => {
  admin = testRedis();
});
afterAll(async () => {
  await deleteRedisPrefix(admin, PREFIX);
  admin.disconnect();
});
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "headroom-redis-"));
  const path = join(dir, "h.db");
  const first = openDatabase(path);
  migrateDatabase(first.db);
  dbs = [first, openDatabase(path)];
  clock = new ManualClock(T0);
  stores = [];
  meters = [];
  for (const db of dbs) {
    const { meter, store } = redisMeter(db);
    await store.connect();
    meters.push(meter);
  }
});
afterEach(async () => {
  for (const s of stores) await s.close();
  for (const db of dbs) db.close();
  rmSync(dir, { recursive: true, force: true });
  await deleteRedisPrefix(admin, PREFIX);
});

describe("two processes share exact counts", () => {
  it("2 × 1,000 concurrent calls against a day cap of 700: exactly 700 are served", async () => {
    const a = await account({ caps: { minute: 1_000_000, day: 700 }, mode: "enforce", noticeAt: T0 - 100 * HOUR });
    const results = await Promise.all(Array.from({ length: 2_000 }, (_, i) => meters[i % 2]!.check(a.key, 1)));
    const allowed = results.filter((r) => ok(r).allowed).length;
    // Redis answered every call (none was counted in a process alone).
    expect(stores.map((s) => s.status().degraded)).toEqual([false, false]);
    expect(allowed).toBe(700);
    expect(results.filter((r) => ok(r).decision === "throttle")).toHaveLength(1_300);
    for (const m of meters) expect(m.flush()).toBe(true);
    expect(servedInDb(a.id)).toEqual({ s: 700, r: 1_300 });
    // The next call on either process sees the shared day.
    expect(windowOf(await meters[1]!.check(a.key, 1), "day")).toMatchObject({ used: 700, limit: 700 });
  });

  it("the per-key ceiling is one count for both processes", async () => {
    for (const s of stores) await s.close();
    stores = [];
    meters = dbs.map((db) => redisMeter(db, { ceilingPerMinute: 50 }).meter);
    for (const s of stores) await s.connect();
    const a = await account({ caps: { minute: 1_000_000, day: 1_000_000 } });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => meters[i % 2]!.check(a.key, 1)));
    expect(results.filter((r) => ok(r).decision === "ceiling")).toHaveLength(150);
    const last = ok(await meters[0]!.check(a.key, 1));
    expect(last.ceiling).toMatchObject({ limit: 50, used: 50 });
    // All 50 were counted in this second: room again when it leaves the window.
    expect(last.ceiling.resetAtMs).toBe(T0 + 60_000);
  });

  it("an idempotency id is counted once across the processes, and the repeat answers the first decision", async () => {
    const a = await account();
    const [x, y] = await Promise.all([meters[0]!.check(a.key, 5, "req-1"), meters[1]!.check(a.key, 5, "req-1")]);
    expect([ok(x).duplicate, ok(y).duplicate].sort()).toEqual([false, true]);
    expect(ok(x).decision).toBe(ok(y).decision);
    const again = ok(await meters[1]!.check(a.key, 5, "req-1"));
    expect(again.duplicate).toBe(true);
    expect(windowOf(again, "day").used).toBe(5);
    for (const m of meters) m.flush();
    expect(servedInDb(a.id).s).toBe(5);
    expect(dbs[0]!.sqlite.prepare("select count(*) from metered_ids where account_id = ?").pluck().get(a.id)).toBe(1);
    expect(await admin.pttl(`${PREFIX}{${a.id}}:i:calls:req-1`)).toBeGreaterThanOrEqual(48 * HOUR);
  });
});

describe("windows by the injected clock", () => {
  it("a new UTC day starts the day count over; the month goes on", async () => {
    const a = await account({ caps: { minute: 1_000, day: 1_000 } });
    clock.set(Date.parse("2026-11-25T23:59:59Z"));
    await meters[0]!.check(a.key, 7);
    clock.set(Date.parse("2026-11-26T00:00:01Z"));
    const r = await meters[1]!.check(a.key, 2);
    expect(windowOf(r, "day")).toMatchObject({ used: 2, resetAtMs: Date.parse("2026-11-27T00:00:00Z") });
    expect(windowOf(r, "month").used).toBe(9);
    expect(windowOf(r, "minute").used).toBe(9);
  });

  it("a new billing period starts the month count over", async () => {
    const anchor = Date.parse("2026-11-10T00:00:00Z");
    const a = await account({ caps: { minute: 1_000, day: 1_000, month: 5_000 }, anchor });
    clock.set(Date.parse("2026-12-09T23:00:00Z"));
    expect(windowOf(await meters[0]!.check(a.key, 40), "month")).toMatchObject({ used: 40, resetAtMs: Date.parse("2026-12-10T00:00:00Z") });
    clock.set(Date.parse("2026-12-10T00:30:00Z"));
    const r = await meters[1]!.check(a.key, 3);
    expect(windowOf(r, "month")).toMatchObject({ used: 3, fromMs: Date.parse("2026-12-10T00:00:00Z"), resetAtMs: Date.parse("2027-01-10T00:00:00Z") });
    expect(ok(r).period).toEqual({ startMs: Date.parse("2026-12-10T00:00:00Z"), endMs: Date.parse("2027-01-10T00:00:00Z") });
  });

  it("the sliding minute frees calls one second at a time, as in memory", async () => {
    const a = await account({ caps: { minute: 10, day: 1_000 }, mode: "enforce", noticeAt: T0 - 100 * HOUR });
    for (let i = 0; i < 10; i++) {
      clock.set(T0 + i * 1_000);
      await meters[i % 2]!.check(a.key, 1);
    }
    const refused = ok(await meters[0]!.check(a.key, 3));
    expect(refused.decision).toBe("throttle");
    // Three calls must leave: the one of second 2 leaves at T0 + 62 s.
    expect(windowOf(refused, "minute").resetAtMs).toBe(T0 + 62_000);
    clock.set(T0 + 60_000);
    expect(ok(await meters[1]!.check(a.key, 1)).decision).toBe("allow");
  });

  it("a process whose clock is behind by more than the window counts its call in the day, and leaves nothing in the minute for good", async () => {
    const a = await account({ caps: { minute: 1_000, day: 1_000 } });
    const late = redisMeter(dbs[1]!, { clock: new ManualClock(T0 - 90_000) });
    await late.store.connect();
    clock.set(T0);
    await meters[0]!.check(a.key, 3);
    const r = ok(await late.meter.check(a.key, 5));
    expect(windowOf(r, "day").used).toBe(8);
    expect(windowOf(r, "minute").used).toBe(3);
    clock.set(T0 + 60_000);
    expect(windowOf(await meters[0]!.check(a.key, 1), "minute").used).toBe(1);
  });
});

describe("seeding from the rollups", () => {
  it("after Redis lost the keys, the counts come back from the database (flushed calls)", async () => {
    const anchor = Date.parse("2026-11-01T00:00:00Z");
    clock.set(T0 - 3 * HOUR);
    const a = await account({ caps: { minute: 1_000, day: 1_000 }, anchor });
    clock.set(T0 - 2 * HOUR);
    await meters[0]!.check(a.key, 30);
    clock.set(T0);
    await meters[1]!.check(a.key, 12);
    for (const m of meters) expect(m.flush()).toBe(true);
    expect(await deleteRedisPrefix(admin, PREFIX)).toBeGreaterThan(0);
    clock.set(T0 + 5_000);
    const r = await meters[0]!.check(a.key, 1);
    expect(windowOf(r, "day").used).toBe(43);
    expect(windowOf(r, "month").used).toBe(43);
    // The current minute's 12 calls are restored at the minute's start.
    expect(windowOf(r, "minute").used).toBe(13);
    // Both processes now read the same seeded count: it was set once.
    expect(windowOf(await meters[1]!.check(a.key, 1), "day").used).toBe(44);
  });

  it("two processes seeding at once do not add the rollups twice", async () => {
    const a = await account({ caps: { minute: 1_000, day: 1_000 } });
    await meters[0]!.check(a.key, 20);
    meters[0]!.flush();
    await deleteRedisPrefix(admin, PREFIX);
    const [x, y] = await Promise.all([meters[0]!.check(a.key, 1), meters[1]!.check(a.key, 1)]);
    expect([windowOf(x, "day").used, windowOf(y, "day").used].sort()).toEqual([21, 22]);
  });
});

describe("/v1/events through Redis", () => {
  it("a batch is one script run per account and meter; ids are counted once across processes", async () => {
    const client = new Redis(TEST_REDIS_URL, redisOptions());
    await client.connect();
    const { meter } = redisMeter(dbs[0]!, { redis: client });
    meters[0] = meter;
    const a = await account({ caps: { minute: 1_000, day: 10 } });
    const b = await account({ caps: { minute: 1_000, day: 10 } });
    const events = (ids: string[], key = a.key) => ids.map((id) => ({ id, key, cost: 2, timestampMs: T0 - 1_000 }));
    // Seeded once per account (a second run), then one run per account and meter per batch.
    await meters[0]!.recordEvents([...events(["s1"]), ...events(["s1"], b.key)]);
    const runs = vi.spyOn(client as unknown as { headroomEvents: () => Promise<number[]> }, "headroomEvents");
    const first = await meters[0]!.recordEvents([...events(["e1", "e2", "e3"]), ...events(["e1", "e2"], b.key)]);
    expect(first).toEqual({ accepted: 5, duplicates: 0, rejected: [] });
    // Calls on the client itself (auto-pipelining replays each on its pipeline, through the same method).
    expect(runs.mock.contexts.filter((c) => c === client)).toHaveLength(2);
    const second = await meters[1]!.recordEvents(events(["e3", "e4", "e5", "e6"]));
    expect(second).toEqual({ accepted: 3, duplicates: 1, rejected: [] });
    const r = await meters[1]!.check(a.key, 1);
    // s1, e1–e6: 14, then this call.
    expect(windowOf(r, "day").used).toBe(15);
    for (const m of meters) m.flush();
    // Served already, none refused: over the day cap of 10 they are would_throttle (e5, e6 and the check).
    expect(dbs[0]!.sqlite.prepare("select sum(allowed) a, sum(would_throttle) w from usage_minute where account_id = ?").get(a.id)).toEqual({ a: 10, w: 5 });
  });
});

describe("Redis unreachable", () => {
  it("a store pointed at a closed port answers every call, counted in the process, the ceiling held", async () => {
    const metrics = new Metrics(false);
    const { meter, store } = redisMeter(dbs[0]!, { url: "redis://127.0.0.1:1", ceilingPerMinute: 20, metrics });
    await store.connect(300);
    expect(store.status()).toMatchObject({ backend: "redis", degraded: true });
    expect(store.status().since).toBe(T0);
    const a = await account({ caps: { minute: 1_000, day: 1_000 } });
    const results = [];
    for (let i = 0; i < 30; i++) results.push(ok(await meter.check(a.key, 1)));
    expect(results.filter((r) => r.allowed)).toHaveLength(20);
    expect(results.filter((r) => r.decision === "ceiling")).toHaveLength(10);
    expect((await metrics.registry.getSingleMetric("headroom_counter_store_degraded")!.get()).values[0]!.value).toBe(1);
    expect((await metrics.registry.getSingleMetric("headroom_counter_store_fallback_calls_total")!.get()).values[0]!.value).toBe(30);
  });

  it("calls counted while Redis was away are added to it when it answers again", async () => {
    const client = new Redis(TEST_REDIS_URL, redisOptions());
    const { meter, store } = redisMeter(dbs[0]!, { redis: client });
    await client.connect();
    const a = await account({ caps: { minute: 1_000, day: 1_000 } });
    await meter.check(a.key, 4, "before");
    client.disconnect();
    expect(windowOf(await meter.check(a.key, 6, "while-away"), "day").used).toBe(10);
    expect(store.status().degraded).toBe(true);
    const during = meter.check(a.key, 1);
    // Counted at once, in the process: no promise, no wait.
    expect(during instanceof Promise).toBe(false);
    expect(windowOf(await during, "day").used).toBe(11);
    await waitFor(() => client.status === "end");
    await client.connect();
    await waitFor(() => !store.status().degraded);
    // The other process sees the calls counted while away, and the id.
    const other = ok(await meters[1]!.check(a.key, 1));
    expect(windowOf(other, "day").used).toBe(12);
    expect(ok(await meters[1]!.check(a.key, 6, "while-away")).duplicate).toBe(true);
    await store.close();
    client.disconnect();
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
