/**
 * The usage page's reads on PostgreSQL, on a near-empty usage_minute and on one of 10 million rows
 * (issue #15: the second ÷ the first ≤ 1.5). Two schemas of its own, side by side (created,
 * migrated, dropped at the end):
 *
 * - near-empty: one account's rows only (the measured account: 2 keys, every minute of the last
 *   ~42 hours, 90 day rows);
 * - full: `BENCH_PG_USAGE_ROWS` (10,000,000) minute rows of 2,000 accounts × 2 keys — the measured
 *   account's rows the same as in the other — written in time order as the meter's flushes write
 *   them (each minute's rows of every key together, so one account's minutes lie one per heap page),
 *   and 90 days of day rows per account.
 *
 * Both get VACUUM ANALYZE (what autovacuum does to a table that stopped growing: statistics and the
 * visibility map). Each query the page leads to, through the PostgreSQL query module the server
 * uses, is timed on both in interleaved rounds (every query once per round on each schema, the order
 * rotating), so a change in the machine's load hits both alike; the ratio is of the medians. Each is
 * then explained on both (buffers touched, which do not depend on load). Then the same again with
 * `usage_minute_account_idx` replaced on both by an index that also holds the counters (the proposed
 * schema change: the reads become index-only scans).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { DAY_MS, MINUTE_MS, startOfMinute, startOfUtcDay } from "../../shared/limits";
import { migratePostgres, openPostgres, type PgDb } from "../../server/db/pg/client";
import * as usage from "../../server/db/pg/queries/usage";
import { TEST_DATABASE_URL } from "../../server/testing/check-services";

export interface PgUsageQuery {
  name: string;
  /** Median round trip on the near-empty table and on the full one, ms. */
  emptyMs: number;
  fullMs: number;
  ratio: number;
  /** Shared buffers the statement touched (EXPLAIN ANALYZE, BUFFERS), near-empty and full. */
  emptyBuffers: number;
  fullBuffers: number;
  /** The plan's nodes on the full table. */
  plan: string;
}

export interface PgUsageVariant {
  index: string;
  queries: PgUsageQuery[];
  /** Every query of the page once, one after the other: the sums of the medians. */
  page: { emptyMs: number; fullMs: number; ratio: number };
}

export interface PgUsageResult {
  rows: number;
  accounts: number;
  keys: number;
  minutesPerKey: number;
  dayRows: number;
  loadSeconds: number;
  vacuumSeconds: number;
  tableSize: string;
  runs: number;
  asMigrated: PgUsageVariant;
  proposed: PgUsageVariant;
  /** What the proposed index costs the writes: the same flushes into a table with each index, side by side. */
  flushes: { flushes: number; rowsPerFlush: number; migrated: FlushCost; proposed: FlushCost };
}

export interface FlushCost {
  /** Median time of one flush (a multi-row upsert adding to every key's row of the current minute), ms. */
  medianMs: number;
  /** Share of the row updates PostgreSQL made HOT (no new index entries). */
  hotShare: number;
  /** The account index's size after the flushes, MB (no vacuum in between). */
  indexMb: number;
}

const KEYS_PER_ACCOUNT = 2;
const ACCOUNTS = 2_000;
const KEYS = ACCOUNTS * KEYS_PER_ACCOUNT;
const HISTORY_DAYS = 90;
/** The measured account: acc_42, keys key_84 and key_85. */
const ACCOUNT = 42;
const ACCOUNT_ID = `acc_${ACCOUNT}`;
/** Its billing anchor is mid-day (as an account's creation is): its month window starts with a partial day. */
const NOW = Date.parse("2026-11-20T18:00:30Z");
const ANCHOR = Date.parse("2026-11-05T13:37:00Z");
const METER = usage.meterColumn("api", true);

const MIGRATED_INDEX = "usage_minute_account_idx on usage_minute (account_id, meter, minute_ms)";
/**
 * The counters carried in the index's leaves (not its keys), so the reads are index-only scans. A
 * PostgreSQL-only change under the same name: drizzle cannot declare INCLUDE, so it would be a
 * hand-written migration, and SQLite's index (and its flush) stay as they are.
 */
const PROPOSED_INDEX = "usage_minute_account_idx on usage_minute (account_id, meter, minute_ms) include (allowed, would_throttle, throttled, ceiling)";

/** The page's reads for one account, as the portal's two calls (overview, history) and the meter's counter seed make them. */
function pageQueries(db: PgDb): Array<[string, () => Promise<unknown>]> {
  const today = startOfUtcDay(NOW);
  const lastMinute = startOfMinute(NOW);
  const seed = usage.persistedUsage(db);
  return [
    ["overview: today's day row (usageDayOf)", () => usage.usageDayOf(db, ACCOUNT_ID, METER, today)],
    ["history: the last 60 minutes (usageMinutes)", () => usage.usageMinutes(db, ACCOUNT_ID, METER, lastMinute - 59 * MINUTE_MS, lastMinute)],
    ["history: the last 30 days (usageDays)", () => usage.usageDays(db, ACCOUNT_ID, METER, today - 29 * DAY_MS, today)],
    ["history: any usage ever (hasUsage)", () => usage.hasUsage(db, ACCOUNT_ID)],
    ["limits: counters' seed, day + month + minute (persistedUsage)", () => seed(ACCOUNT_ID, METER, ANCHOR, NOW)],
    ["limits: month to now, today's minutes + the period's days (callsServed)", () => usage.callsServed(db, ACCOUNT_ID, METER, ANCHOR, NOW + 1)],
    ["plans: first day of usage (firstUsageDay)", () => usage.firstUsageDay(db, ACCOUNT_ID, METER)],
  ];
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Shared Hit Blocks": number;
  "Shared Read Blocks": number;
  "Heap Fetches"?: number;
  Plans?: PlanNode[];
}

/** The SQL a call sends (captured off the pool), explained: buffers touched and the plan's nodes. */
async function explain(pool: pg.Pool, call: () => Promise<unknown>): Promise<{ buffers: number; plan: string }> {
  const sent: Array<{ text: string; values: unknown[] }> = [];
  const query = pool.query;
  // Recording what drizzle sends, for EXPLAIN: the pool's query is replaced for this one call only.
  pool.query = ((config: string | pg.QueryConfig, values?: unknown[]) => {
    if (typeof config === "string") sent.push({ text: config, values: values ?? [] });
    else sent.push({ text: config.text, values: values ?? config.values ?? [] });
    return (query as (c: string | pg.QueryConfig, v?: unknown[]) => Promise<pg.QueryResult>).call(pool, config, values);
  }) as typeof pool.query;
  try {
    await call();
  } finally {
    pool.query = query;
  }
  let buffers = 0;
  const nodes: string[] = [];
  for (const s of sent) {
    const { rows } = await pool.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(`explain (analyze, buffers, format json) ${s.text}`, s.values);
    const plan = rows[0]!["QUERY PLAN"][0]!.Plan;
    buffers += plan["Shared Hit Blocks"] + plan["Shared Read Blocks"];
    const walk = (p: PlanNode) => {
      if (p["Index Name"] || p["Node Type"].includes("Scan")) nodes.push(`${p["Node Type"]}${p["Index Name"] ? ` ${p["Index Name"]}` : ""}${p["Heap Fetches"] !== undefined ? ` (heap fetches ${p["Heap Fetches"]})` : ""}`);
      for (const c of p.Plans ?? []) walk(c);
    };
    walk(plan);
  }
  return { buffers, plan: nodes.join(", ") };
}

type Measured = { ms: number; buffers: number; plan: string };

/**
 * Each query's median round trip on both schemas over `runs` rounds: in each round every query once
 * on each, the query order rotating and the schema order alternating. Then each explained on both.
 */
async function measure(empty: { db: PgDb; pool: pg.Pool }, full: { db: PgDb; pool: pg.Pool }, runs: number): Promise<Array<{ name: string; empty: Measured; full: Measured }>> {
  const e = pageQueries(empty.db);
  const f = pageQueries(full.db);
  for (let i = 0; i < 20; i++) for (let j = 0; j < e.length; j++) await Promise.all([e[j]![1](), f[j]![1]()]);
  const times = e.map(() => ({ empty: [] as number[], full: [] as number[] }));
  const timed = async (call: () => Promise<unknown>, into: number[]) => {
    const t = performance.now();
    await call();
    into.push(performance.now() - t);
  };
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < e.length; j++) {
      const i = (j + r) % e.length;
      if (r % 2 === 0) {
        await timed(e[i]![1], times[i]!.empty);
        await timed(f[i]![1], times[i]!.full);
      } else {
        await timed(f[i]![1], times[i]!.full);
        await timed(e[i]![1], times[i]!.empty);
      }
    }
  }
  const median = (ts: number[]) => ts.sort((a, b) => a - b)[ts.length >> 1]!;
  const out = [];
  for (let i = 0; i < e.length; i++) {
    out.push({
      name: e[i]![0],
      empty: { ms: median(times[i]!.empty), ...(await explain(empty.pool, e[i]![1])) },
      full: { ms: median(times[i]!.full), ...(await explain(full.pool, f[i]![1])) },
    });
  }
  return out;
}

function variant(index: string, measured: Awaited<ReturnType<typeof measure>>): PgUsageVariant {
  const queries = measured.map(({ name, empty, full }) => ({ name, emptyMs: empty.ms, fullMs: full.ms, ratio: full.ms / empty.ms, emptyBuffers: empty.buffers, fullBuffers: full.buffers, plan: full.plan }));
  const emptyMs = queries.reduce((s, q) => s + q.emptyMs, 0);
  const fullMs = queries.reduce((s, q) => s + q.fullMs, 0);
  return { index, queries, page: { emptyMs, fullMs, ratio: fullMs / emptyMs } };
}

/** A busy minute: a flush every 250 ms adding to the row of every key. */
const FLUSHES = 240;

/**
 * The write side of the proposal: two tables like usage_minute, one with each account index, 100
 * minutes of every key's rows in each, then FLUSHES upserts of the next minute's rows of every key
 * (each its own transaction, as the meter's flushes are), alternating between the two. The counters
 * an upsert adds to are in the proposed index, so none of its updates can be HOT.
 */
async function flushCost(pool: pg.Pool): Promise<{ migrated: FlushCost; proposed: FlushCost }> {
  const tables = { migrated: MIGRATED_INDEX, proposed: PROPOSED_INDEX } as const;
  const times: Record<keyof typeof tables, number[]> = { migrated: [], proposed: [] };
  const minute = 1_000_000;
  for (const [name, index] of Object.entries(tables)) {
    const table = `flush_${name}`;
    await pool.query(`create table ${table} (like usage_minute including defaults including constraints, primary key (minute_ms, key_id, meter))`);
    await pool.query(`create index ${table}_account_idx on ${table} ${index.slice(index.indexOf("("))}`);
    await pool.query(
      `insert into ${table} (minute_ms, key_id, account_id, meter, allowed) select ${minute}::bigint + m::bigint * ${MINUTE_MS}, 'key_' || k, 'acc_' || (k / ${KEYS_PER_ACCOUNT}), 'api', 1
       from generate_series(0, 99) m cross join generate_series(0, ${KEYS - 1}) k order by m, k`,
    );
    await pool.query(`vacuum (analyze) ${table}`);
  }
  const flush = (table: string) =>
    `insert into ${table} (minute_ms, key_id, account_id, meter, allowed) select ${minute}::bigint + 100 * ${MINUTE_MS}::bigint, 'key_' || k, 'acc_' || (k / ${KEYS_PER_ACCOUNT}), 'api', 1
     from generate_series(0, ${KEYS - 1}) k on conflict (minute_ms, key_id, meter) do update set allowed = ${table}.allowed + excluded.allowed`;
  for (let i = 0; i < FLUSHES; i++) {
    for (const name of i % 2 === 0 ? (["migrated", "proposed"] as const) : (["proposed", "migrated"] as const)) {
      const t = performance.now();
      await pool.query(flush(`flush_${name}`));
      times[name].push(performance.now() - t);
    }
  }
  await pool.query("select pg_stat_force_next_flush()");
  const cost = async (name: keyof typeof tables): Promise<FlushCost> => {
    const { rows } = await pool.query<{ upd: string; hot: string; bytes: string }>(
      `select n_tup_upd as upd, n_tup_hot_upd as hot, pg_relation_size('flush_${name}_account_idx') as bytes from pg_stat_user_tables where relid = 'flush_${name}'::regclass`,
    );
    const r = rows[0]!;
    const sorted = [...times[name]].sort((a, b) => a - b);
    return { medianMs: sorted[sorted.length >> 1]!, hotShare: Number(r.hot) / Math.max(1, Number(r.upd)), indexMb: Number(r.bytes) / 2 ** 20 };
  };
  return { migrated: await cost("migrated"), proposed: await cost("proposed") };
}

export async function measurePgUsage(o: { rows: number; runs: number; log: (msg: string) => void; url?: string }): Promise<PgUsageResult> {
  const url = o.url ?? TEST_DATABASE_URL;
  const tag = randomBytes(5).toString("hex");
  const admin = new pg.Client({ connectionString: url, application_name: "headroom-bench" });
  await admin.connect();
  const opened: Array<{ schema: string; close(): Promise<void> }> = [];
  /** A schema of the bench's, migrated, on a pool of one connection: every statement sees the same session settings. */
  const open = async (name: string) => {
    const schema = `headroom_bench_${tag}_${name}`;
    await admin.query(`create schema ${schema}`);
    const database = openPostgres(url, { schema, maxConnections: 1, statementTimeoutMs: 0, applicationName: "headroom-bench", settings: { synchronous_commit: "off" } });
    opened.push({ schema, close: database.close });
    // migratePostgres holds one connection for its lock and migrates on another.
    const migrating = openPostgres(url, { schema, maxConnections: 2, applicationName: "headroom-bench" });
    await migratePostgres(migrating.db).finally(() => migrating.close());
    return database;
  };
  try {
    const empty = await open("empty");
    const full = await open("full");
    const minutesPerKey = Math.ceil(o.rows / KEYS);
    const firstMinute = startOfMinute(NOW) - (minutesPerKey - 1) * MINUTE_MS;
    const firstDay = startOfUtcDay(NOW) - (HISTORY_DAYS - 1) * DAY_MS;
    // Minute m of key k; the first day's rows carry meter '' (written before meters were counted apart).
    const minuteRows = (pool: pg.Pool, keys: string) =>
      pool.query(
        `insert into usage_minute (minute_ms, key_id, account_id, meter, allowed, would_throttle, throttled, ceiling)
         select $1::bigint + m::bigint * ${MINUTE_MS}, 'key_' || k, 'acc_' || (k / ${KEYS_PER_ACCOUNT}), case when m < 1440 then '' else 'api' end, (m * 7 + k) % 50, (m + k) % 3, (m % 97 = 0)::int, 0
         from generate_series(0, $2::int - 1) m cross join ${keys} order by m, k`,
        [firstMinute, minutesPerKey],
      );
    const dayRows = (pool: pg.Pool, accounts: string) =>
      pool.query(
        `insert into usage_day (day_ms, account_id, meter, allowed, would_throttle, throttled, ceiling, peak_minute)
         select $1::bigint + d::bigint * ${DAY_MS}, 'acc_' || a, case when d < 60 then '' else 'api' end, 1000 + (d * 13 + a) % 5000, (d + a) % 7, (d % 5 = 0)::int, 0, 10 + (d + a) % 90
         from generate_series(0, ${HISTORY_DAYS - 1}) d cross join ${accounts} order by d, a`,
        [firstDay],
      );
    const vacuum = async (pool: pg.Pool) => {
      const t = performance.now();
      await pool.query("vacuum (analyze) usage_minute");
      await pool.query("vacuum (analyze) usage_day");
      return (performance.now() - t) / 1000;
    };

    o.log(`pg-usage: near-empty table (${ACCOUNT_ID}'s ${KEYS_PER_ACCOUNT * minutesPerKey} minute rows)…`);
    await minuteRows(empty.pool, `(values (${ACCOUNT * 2}), (${ACCOUNT * 2 + 1})) as keys(k)`);
    await dayRows(empty.pool, `(values (${ACCOUNT})) as accounts(a)`);
    await vacuum(empty.pool);

    o.log(`pg-usage: loading ${o.rows.toLocaleString("en-US")} minute rows (${ACCOUNTS} accounts × ${KEYS_PER_ACCOUNT} keys × ${minutesPerKey} minutes)…`);
    // The load's ORDER BY sorts 10 million rows: in memory rather than in temporary files.
    await full.pool.query("set work_mem = '512MB'");
    const loadStarted = performance.now();
    await minuteRows(full.pool, `generate_series(0, ${KEYS - 1}) k`);
    await dayRows(full.pool, `generate_series(0, ${ACCOUNTS - 1}) a`);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await full.pool.query("reset work_mem");
    const vacuumSeconds = await vacuum(full.pool);
    const { rows: sized } = await full.pool.query("select count(*)::bigint as n, pg_size_pretty(pg_total_relation_size('usage_minute')) as size, (select count(*) from usage_day)::int as days from usage_minute");
    const stored = sized[0] as { n: string; size: string; days: number };
    o.log(`pg-usage: ${Number(stored.n).toLocaleString("en-US")} rows (${stored.size}) in ${loadSeconds.toFixed(0)} s, vacuum analyze ${vacuumSeconds.toFixed(0)} s; measuring both side by side…`);
    const asMigrated = await measure(empty, full, o.runs);

    o.log("pg-usage: the account index with the counters in it, on both…");
    for (const d of [empty, full]) {
      await d.pool.query("set maintenance_work_mem = '512MB'");
      await d.pool.query("drop index usage_minute_account_idx");
      await d.pool.query(`create index ${PROPOSED_INDEX}`);
      await d.pool.query("reset maintenance_work_mem");
      await vacuum(d.pool);
    }
    const proposed = await measure(empty, full, o.runs);
    o.log(`pg-usage: ${FLUSHES} flushes of ${KEYS} keys' current minute into a table with each index…`);
    const flushes = await flushCost(empty.pool);
    return {
      rows: Number(stored.n),
      accounts: ACCOUNTS,
      keys: KEYS,
      minutesPerKey,
      dayRows: stored.days,
      loadSeconds,
      vacuumSeconds,
      tableSize: stored.size,
      runs: o.runs,
      asMigrated: variant(`${MIGRATED_INDEX}, as migrated`, asMigrated),
      proposed: variant(`${PROPOSED_INDEX}, proposed`, proposed),
      flushes: { flushes: FLUSHES, rowsPerFlush: KEYS, ...flushes },
    };
  } finally {
    for (const d of opened) {
      await d.close();
      await admin.query(`drop schema if exists ${d.schema} cascade`).catch(() => undefined);
    }
    await admin.end();
  }
}
