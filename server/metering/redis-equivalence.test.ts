import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { persistedUsage } from "../db/queries/usage";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import { createAccount } from "../accounts/accounts";
import { migrateDatabase, openDatabase, type Database_ } from "../db/client";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { createLogger } from "../lib/logger";
import { deleteRedisPrefix, TEST_REDIS_URL, testRedis, testRedisPrefix } from "../testing/redis";
import { Meter, type CheckResult, type EventsResult } from "./meter";
import { RedisCounterStore } from "./redis-counter-store";

/**
 * The Lua script is a second implementation of decide() and of the windows: the same random calls
 * and events are fed to a meter counting in memory and to one counting in Redis (two accounts with
 * the same terms), and every answer must be the same.
 */

const HOUR = 3_600_000;
/** Two minutes before a new UTC day and a new billing period (anchored on the 1st). */
const T0 = Date.parse("2026-11-30T23:58:00Z");
const ANCHOR = Date.parse("2026-10-01T00:00:00Z");
const PREFIX = testRedisPrefix("equivalence");
const IDS = ["i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7"];

let admin: Redis;
let dir: string;
let database: Database_;

beforeAll(() => {
  admin = testRedis();
  dir = mkdtempSync(join(tmpdir(), "headroom-redis-eq-"));
  database = openDatabase(join(dir, "h.db"));
  migrateDatabase(database.db);
});
afterAll(async () => {
  await deleteRedisPrefix(admin, PREFIX);
  admin.disconnect();
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A step of time (mostly within the minute, sometimes past it, rarely a day), then a call or a batch of events. */
const step = fc.record({
  dt: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3_000 }) }, { weight: 2, arbitrary: fc.integer({ min: 3_000, max: 90_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 26 * HOUR }) }),
  op: fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("check" as const), cost: fc.integer({ min: 1, max: 12 }), id: fc.option(fc.constantFrom(...IDS), { nil: undefined }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("events" as const),
        events: fc.array(fc.record({ id: fc.constantFrom(...IDS), cost: fc.integer({ min: 1, max: 12 }), agoMs: fc.integer({ min: 0, max: 3 * HOUR }) }), { minLength: 1, maxLength: 4 }),
      }),
    },
  ),
});

const terms = fc.record({
  mode: fc.constantFrom("off" as const, "shadow" as const, "enforce" as const),
  caps: fc.record({ minute: fc.integer({ min: 1, max: 40 }), day: fc.integer({ min: 10, max: 200 }), month: fc.integer({ min: 30, max: 400 }) }),
  notice: fc.option(fc.record({ window: fc.constantFrom("minute", "day", "month", null), agoMs: fc.integer({ min: 0, max: 100 * HOUR }) }), { nil: undefined }),
  graceMs: fc.constantFrom(0, 72 * HOUR),
  ceiling: fc.integer({ min: 5, max: 80 }),
});

/** What must be the same in both answers (not the account's or key's ids, which differ). */
function answer(r: CheckResult) {
  if (!r.ok) return r;
  const { decision, allowed, duplicate, limits, violated, refusing, ceiling, period, cost } = r;
  return { decision, allowed, duplicate, limits, violated, refusing, ceiling, period, cost };
}

describe("RedisCounterStore ≡ MemoryCounterStore", () => {
  it("the same calls and events get the same decisions and counts", async () => {
    await fc.assert(
      fc.asyncProperty(terms, fc.array(step, { minLength: 1, maxLength: 40 }), async (t, steps) => {
        const clock = new ManualClock(T0);
        const meter = (counters?: RedisCounterStore) =>
          new Meter<boolean>({
            catalog: demoCatalog,
            sqlite: database.sqlite,
            clock,
            logger: createLogger("silent"),
            flushMs: 250,
            ceilingPerMinute: t.ceiling,
            graceMs: t.graceMs,
            maxLatenessMs: 24 * HOUR,
            counters,
          });
        const store = new RedisCounterStore({ url: TEST_REDIS_URL, prefix: PREFIX, persisted: persistedUsage(database.sqlite), clock, logger: createLogger("silent"), commandTimeoutMs: 10_000 });
        await store.connect();
        const memory = meter();
        const redis = meter(store);
        const keys: string[] = [];
        for (let i = 0; i < 2; i++) {
          const acc = await createAccount(database.db, demoCatalog, clock, { name: `Eq ${Math.random()}`, email: `eq${Math.random()}@example.com`, planId: "starter" }, { billingAnchorMs: ANCHOR });
          database.sqlite.prepare("update accounts set cap_overrides_json = ?, enforcement_override = ? where id = ?").run(JSON.stringify(t.caps), t.mode, acc.id);
          if (t.notice)
            database.sqlite
              .prepare("insert into notices (id, account_id, kind, window, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', ?, 0, ?, ?, ?)")
              .run(`n${Math.random()}`, acc.id, t.notice.window, `d${Math.random()}`, T0 - t.notice.agoMs, T0 - t.notice.agoMs);
          keys.push((await createKey(database.db, clock, { accountId: acc.id, name: "k" })).key);
        }
        try {
          for (const s of steps) {
            clock.advance(s.dt);
            if (s.op.kind === "check") {
              const a = memory.check(keys[0]!, s.op.cost, s.op.id);
              const b = await redis.check(keys[1]!, s.op.cost, s.op.id);
              expect(answer(b)).toEqual(answer(a as CheckResult));
            } else {
              const now = clock.now();
              const batch = (key: string) => (s.op.kind === "events" ? s.op.events : []).map((e) => ({ id: e.id, key, cost: e.cost, timestampMs: now - e.agoMs }));
              const a = memory.recordEvents(batch(keys[0]!)) as EventsResult;
              const b = await redis.recordEvents(batch(keys[1]!));
              expect(b).toEqual(a);
            }
          }
          expect(store.status().degraded).toBe(false);
        } finally {
          await store.close();
        }
      }),
      { numRuns: Number(process.env.EQUIVALENCE_RUNS ?? 60) },
    );
  }, 120_000);
});
