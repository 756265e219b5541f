/**
 * The meter's flush into PostgreSQL vs into SQLite, on the same batches: UsageBatches built by the
 * meter's own UsageBuffer for BENCH_PG_EVENTS events (/v1/events requests of 1,000 events, one key
 * each, many accounts and keys, an id per event, 1% would-throttle with a limit event), taken every
 * BENCH_PG_FLUSH_EVENTS events as the flush timer would. Each batch is written by SQLite's
 * writeBatch (temp file, Headroom's pragmas) and by pgMeteringQueries.writeBatch (a throwaway schema
 * of the tests' PostgreSQL, TEST_DATABASE_URL, with synchronous_commit on as in production), taking turns batch by batch; the
 * time is end to end (building the statements, the round trips, the commit). Then BENCH_PG_INSTANCES
 * writers flush other batches of the same minutes and accounts into PostgreSQL at once. Afterwards
 * every count is checked exactly on both. Prints one JSON line and exits.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom } from "../../shared/experiment/stats";
import { withoutPassword } from "../../server/config";
import { migrateDatabase, openDatabase } from "../../server/db/client";
import { meteringQueries } from "../../server/db/queries/metering";
import { meterColumn } from "../../server/db/queries/usage";
import { pgMeteringQueries } from "../../server/db/pg/queries/metering";
import * as pgSchema from "../../server/db/pg/schema";
import * as lite from "../../server/db/schema";
import type { MeterRef } from "../../server/metering/counter-store";
import { UsageBuffer, type TakenBatch } from "../../server/metering/usage-buffer";
import { pgTestDatabase, TEST_DATABASE_URL } from "../../server/testing/pg-database";

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 1) throw new Error(`${name} must be a number ≥ 1`);
  return Math.round(v);
};
const EVENTS = num("BENCH_PG_EVENTS", 500_000);
/** 25,000: what the 250 ms flush (METER_FLUSH_MS) holds at 100,000 events/s. */
const FLUSH_EVENTS = num("BENCH_PG_FLUSH_EVENTS", 25_000);
const ACCOUNTS = num("BENCH_PG_ACCOUNTS", 200);
const KEYS_PER_ACCOUNT = 2;
const INSTANCES = num("BENCH_PG_INSTANCES", 2);
const REQUEST = 1_000;
/** Simulated ingest rate: the events' timestamps advance as if they came at 100,000 a second. */
const EVENTS_PER_MS = 100;
const T0 = Date.parse("2026-12-01T23:58:30Z");

const CALLS: MeterRef = { id: "calls", isDefault: true, column: meterColumn("calls", true) };
const TOKENS: MeterRef = { id: "tokens", isDefault: false, column: meterColumn("tokens", false) };

const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `acc_${i}`, name: `Bench ${i}`, email: `bench${i}@example.com`, planId: "business", billingAnchorMs: T0, createdAtMs: T0 }));
const keys = accounts.flatMap((a, i) =>
  Array.from({ length: KEYS_PER_ACCOUNT }, (_, k) => ({ id: `key_${i}_${k}`, accountId: a.id, name: `k${k}`, prefix: `hr_${i}_${k}`, hash: `hash_${i}_${k}`, createdAtMs: T0 })),
);

/** Batches of `events` events as the meter buffers them; `tag` keeps each set's ids apart. */
function buildBatches(tag: string, events: number, seed: number): { batches: TakenBatch[]; wouldThrottle: number } {
  const random = seededRandom(seed);
  const buffer = new UsageBuffer();
  const batches: TakenBatch[] = [];
  let wouldThrottle = 0;
  for (let i = 0; i < events; i += REQUEST) {
    const key = keys[Math.floor(random() * keys.length)]!;
    // One request in ten is for the second meter.
    const meter = random() < 0.1 ? TOKENS : CALLS;
    for (let j = i; j < Math.min(events, i + REQUEST); j++) {
      const at = T0 + Math.floor(j / EVENTS_PER_MS);
      const decision = random() < 0.01 ? "would_throttle" : "allow";
      buffer.addCall(at, key.id, key.accountId, meter, decision, 1);
      if (decision === "would_throttle") {
        buffer.addLimitEvent(at, key.accountId, meter.id, "day", decision, 1);
        wouldThrottle++;
      }
      buffer.addId(key.accountId, meter, `${tag}-${j}`, { decision, seenAtMs: at });
    }
    if ((i + REQUEST) % FLUSH_EVENTS === 0 || i + REQUEST >= events) batches.push(buffer.take());
  }
  return { batches, wouldThrottle };
}

const single = buildBatches("a", EVENTS, 20_261_202);
const concurrent = buildBatches("b", EVENTS, 20_261_203);

const dir = mkdtempSync(join(tmpdir(), "headroom-bench-pg-flush-"));
const sqlite = openDatabase(join(dir, "lite.db"));
migrateDatabase(sqlite.db);
sqlite.db.insert(lite.accounts).values(accounts).run();
sqlite.db.insert(lite.apiKeys).values(keys).run();
const liteQ = meteringQueries(sqlite.sqlite);

const pg = await pgTestDatabase({ maxConnections: INSTANCES + 2, applicationName: "headroom-bench", settings: { synchronous_commit: "on" } });
try {
  await pg.db.insert(pgSchema.accounts).values(accounts);
  await pg.db.insert(pgSchema.apiKeys).values(keys);
  // The planner's row estimates for the new tables, as a running database would have.
  await pg.pool.query("analyze");
  const pgQ = pgMeteringQueries(pg.db);

  // One writer each, taking turns batch by batch: background load hits both alike.
  let liteMs = 0;
  let pgMs = 0;
  const pgFlushMs: number[] = [];
  for (const [i, b] of single.batches.entries()) {
    let t = performance.now();
    liteQ.writeBatch(b.forWrite());
    liteMs += performance.now() - t;
    t = performance.now();
    await pgQ.writeBatch(b.forWrite(), `bench-a:${i}`);
    const ms = performance.now() - t;
    pgMs += ms;
    pgFlushMs.push(ms);
  }
  // The same days on both dialects, the peaks included.
  const dayRows = (rows: Array<typeof lite.usageDay.$inferSelect>) => rows.map((d) => JSON.stringify(d)).sort();
  const daysAgree = JSON.stringify(dayRows(sqlite.db.select().from(lite.usageDay).all())) === JSON.stringify(dayRows(await pg.db.select().from(pgSchema.usageDay)));

  // INSTANCES writers at once, each flushing its share of the batches in turn (the same minutes and accounts).
  const writers = Array.from({ length: INSTANCES }, (_, n) => ({ q: pgMeteringQueries(pg.db), mine: concurrent.batches.filter((_, i) => i % INSTANCES === n) }));
  const started = performance.now();
  await Promise.all(writers.map(async ({ q, mine }, n) => {
    for (const [i, b] of mine.entries()) await q.writeBatch(b.forWrite(), `bench-b${n}:${i}`);
  }));
  const concurrentMs = performance.now() - started;

  // Exact counts: every event once in the minutes, the days and the ids; the limit events.
  const one = async (text: string) => Number((await pg.pool.query<{ n: string }>(text)).rows[0]!.n);
  const liteOne = (text: string) => sqlite.sqlite.prepare(text).pluck().get() as number;
  const sumMinutes = "select coalesce(sum(allowed + would_throttle + throttled + ceiling), 0) as n from usage_minute";
  const sumDays = "select coalesce(sum(allowed + would_throttle + throttled + ceiling), 0) as n from usage_day";
  const countIds = "select count(*) as n from metered_ids";
  const sumEvents = "select coalesce(sum(count), 0) as n from limit_events";
  const pgStored = { usageMinute: await one(sumMinutes), usageDay: await one(sumDays), ids: await one(countIds), limitEvents: await one(sumEvents) };
  const liteStored = { usageMinute: liteOne(sumMinutes), usageDay: liteOne(sumDays), ids: liteOne(countIds), limitEvents: liteOne(sumEvents) };
  const written = 2 * EVENTS;
  const throttled = single.wouldThrottle + concurrent.wouldThrottle;
  const pgExact = pgStored.usageMinute === written && pgStored.usageDay === written && pgStored.ids === written && pgStored.limitEvents === throttled;
  const liteExact = liteStored.usageMinute === EVENTS && liteStored.usageDay === EVENTS && liteStored.ids === EVENTS && liteStored.limitEvents === single.wouldThrottle;
  pgFlushMs.sort((a, b) => a - b);

  process.stdout.write(
    JSON.stringify({
      database: withoutPassword(TEST_DATABASE_URL),
      events: EVENTS,
      flushEvents: FLUSH_EVENTS,
      flushes: single.batches.length,
      accounts: ACCOUNTS,
      keys: keys.length,
      instances: INSTANCES,
      sqliteEventsPerSecond: EVENTS / (liteMs / 1000),
      pgEventsPerSecond: EVENTS / (pgMs / 1000),
      ratio: liteMs / pgMs,
      pgFlushMedianMs: pgFlushMs[pgFlushMs.length >> 1]!,
      pgFlushMaxMs: pgFlushMs[pgFlushMs.length - 1]!,
      pgConcurrentEventsPerSecond: EVENTS / (concurrentMs / 1000),
      pgStored,
      liteStored,
      daysAgree,
      exact: pgExact && liteExact && daysAgree,
    }) + "\n",
  );
} finally {
  await pg.close();
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
