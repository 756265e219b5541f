/**
 * `npm run bench`: Headroom's hot paths measured side by side with their baselines, in one run.
 *
 * Every HTTP target runs in its own Node process (bench/targets/*), so the load generator
 * (autocannon, in this process) and the server do not share an event loop; each gets the same
 * connections, warm-up and measured time, and the targets of a group take turns in interleaved
 * rounds so that background load hits a target and its baseline alike. Besides req/s, each target's
 * CPU time per request is measured (steadier on a shared 2-core machine). Prints a table and
 * writes bench/results.json. A script, not a test: the targets are informative and it exits 0
 * unless something crashed. See bench/README.md.
 *
 * The Headroom server is measured in two configurations side by side: LOG_LEVEL=info (what
 * `npm start` runs; its log lines go to a file, written as standard output would be) and
 * LOG_LEVEL=silent (BENCH_ACCESS_LOG=1 adds /v1/check with METER_ACCESS_LOG=true).
 *
 * Settings (environment): BENCH_SECONDS (5) measured seconds per target, BENCH_WARMUP_SECONDS (1),
 * BENCH_ROUNDS (5), BENCH_CONNECTIONS (50), BENCH_EVENT_CONNECTIONS (8), BENCH_PLAN
 * (business | enterprise), BENCH_DECIDE_CALLS (200000), BENCH_REDIS_URL (redis://127.0.0.1:6379),
 * BENCH_ONLY=check,redis,guarded,decide,events,bundle,pg-flush,pg-events (a
 * comma-separated subset of the sections; the others print "–"; `pg-usage`, the usage page's reads
 * on PostgreSQL at 10 million minute rows, runs only when named: BENCH_PG_USAGE_ROWS (10000000),
 * BENCH_PG_USAGE_RUNS (300), BENCH_DATABASE_URL (TEST_DATABASE_URL's default); `lighthouse`, Lighthouse on the
 * portal's /usage (signed in, demo data) and /sign-in, mobile and desktop, also runs only when named:
 * CHROME_PATH (/usr/bin/chromium), BENCH_LIGHTHOUSE_RUNS (1; the median run by performance is kept), BENCH_LIGHTHOUSE_REPORTS=<dir> to keep
 * every run's full report as JSON), BENCH_CPU_PROF=<dir> to write a
 * .cpuprofile of every target's measured window (summarise one with
 * `npx tsx bench/profile-top.ts <dir>/<target>.cpuprofile`). The pg-flush section (the meter's flush
 * into PostgreSQL at TEST_DATABASE_URL vs SQLite) takes BENCH_PG_EVENTS (500000), BENCH_PG_FLUSH_EVENTS
 * (25000), BENCH_PG_ACCOUNTS (200), BENCH_PG_INSTANCES (2).
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { resolve } from "node:path";
import { measureBundle } from "./lib/bundle";
import { BENCH_DIR, runScript, startTarget, type Target } from "./lib/child";
import { eventsLoad, type EventsLoadResult } from "./lib/events-load";
import { sideBySide, type Contender, type LoadOptions, type LoadResult } from "./lib/http-load";
import { LIGHTHOUSE_TARGETS, measureLighthouse } from "./lib/lighthouse";
import { measurePgUsage } from "./lib/pg-usage";
import { openRawStore } from "./lib/raw-sqlite";
import { Redis } from "ioredis";
import pg from "pg";
import { TEST_DATABASE_URL } from "../server/testing/check-services";
import { deleteRedisPrefix } from "../server/testing/redis";

const num = (name: string, fallback: number, min = 1) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return v;
};
const SECONDS = num("BENCH_SECONDS", 5, 0.5);
const WARMUP = num("BENCH_WARMUP_SECONDS", 1, 0);
const ROUNDS = Math.round(num("BENCH_ROUNDS", 5));
const CONNECTIONS = Math.round(num("BENCH_CONNECTIONS", 50));
const EVENT_CONNECTIONS = Math.round(num("BENCH_EVENT_CONNECTIONS", 8));
const EVENT_BATCH = 1000;

type HeadroomInfo = { key: string; token: string; plan: string; logLevel: "info" | "silent" };

interface Row {
  measurement: string;
  value: string;
  baseline: string;
  /** value / baseline, both measured in this run. */
  ratio: string;
  /** The server's CPU time per request (or event). */
  cpu: string;
  /** baseline CPU per request / this one's: the throughput ratio if each had a core to itself. */
  cpuRatio: string;
  target: string;
  pass: string;
}

const results: Record<string, unknown> = {};
const failures: string[] = [];
const started = Date.now();
const loadAverageAtStart = loadavg().map((x) => Number(x.toFixed(2)));
if (loadAverageAtStart[0]! > cpus().length * 0.5) {
  process.stderr.write(
    `[bench] warning: load average ${loadAverageAtStart[0]} on ${cpus().length} cores: other work competes with the targets; figures (ratios included) will be noisy\n`,
  );
}

const log = (msg: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${msg}\n`);
const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtRps = (r: LoadResult | undefined) => (r ? `${fmtInt(r.rps)} req/s` : "–");
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
const fmtRatio = (x: number | undefined) => (x === undefined ? "–" : `${x.toFixed(2)}×`);
const passFail = (ok: boolean | undefined) => (ok === undefined ? "–" : ok ? "pass" : "FAIL");

const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",").map((x) => x.trim())) : null;

async function section<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (ONLY && !ONLY.has(name)) return undefined;
  log(`${name}…`);
  try {
    const value = await fn();
    results[name] = value;
    return value;
  } catch (err) {
    failures.push(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    log(`${name} FAILED: ${String(err)}`);
    results[name] = { error: String(err) };
    return undefined;
  }
}

/** Loads the contenders side by side (interleaved rounds); any error or non-2xx answer is a crash. */
async function compare(contenders: Contender[]): Promise<Map<string, LoadResult>> {
  const out = await sideBySide(contenders, {
    connections: CONNECTIONS,
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    rounds: ROUNDS,
    onSlice: (name, round, rps) => log(`  round ${round + 1}/${ROUNDS} ${name}: ${fmtInt(rps)} req/s`),
  });
  for (const [name, r] of out) if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx answers and ${r.errors} errors out of ${r.requests}`);
  return out;
}

async function stopAll(targets: Array<Target<unknown> | undefined>): Promise<void> {
  await Promise.all(targets.map((t) => t?.stop().catch(() => undefined)));
}

// ---- 1–3: POST /v1/check, Headroom vs its baselines (side by side) ------------------------------

/** Headroom is measured as `npm start` runs it (LOG_LEVEL=info) and with logging silenced. */
const LOG_LEVELS = ["info", "silent"] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
const startHeadroom = (name: string, level: LogLevel, env: Record<string, string> = {}) =>
  startTarget<HeadroomInfo>(`${name}-${level}`, "headroom.ts", [], { BENCH_LOG_LEVEL: level, ...env });
type Stored = { pendingAtStop: number; finalFlushMs: number; usageMinute: number; usageDay: number; ids: number; logLines: number };
/** BENCH_ACCESS_LOG=1: /v1/check also with METER_ACCESS_LOG=true (a log line for every request), to see what that option costs. */
const ACCESS_LOG = process.env.BENCH_ACCESS_LOG === "1";

const check = await section("check", async () => {
  const headroom = await Promise.all([
    ...LOG_LEVELS.map((level) => startHeadroom("headroom-check", level)),
    ...(ACCESS_LOG ? [startTarget<HeadroomInfo>("headroom-check-access-log", "headroom.ts", [], { BENCH_LOG_LEVEL: "info", BENCH_METER_ACCESS_LOG: "true" })] : []),
  ]);
  const names = ["headroom-info", "headroom-silent", "headroom-access-log"];
  let bareNode: Target | undefined;
  let bareExpress: Target | undefined;
  try {
    const { port, key, token } = headroom[0]!.info;
    const body = JSON.stringify({ key, cost: 1 });
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const res = await fetch(`http://127.0.0.1:${port}/v1/check`, { method: "POST", headers, body });
    const sample = await res.text();
    if (res.status !== 200 || (JSON.parse(sample) as { allowed?: boolean }).allowed !== true) throw new Error(`/v1/check answered ${res.status}: ${sample}`);
    [bareNode, bareExpress] = await Promise.all([
      startTarget("bare-node", "bare-node.ts", [], { BENCH_SAMPLE: sample }),
      startTarget("bare-express", "bare-express.ts", [], { BENCH_SAMPLE: sample }),
    ]);
    const load: LoadOptions = { path: "/v1/check", method: "POST", headers, body };
    const r = await compare([
      { name: "bareNode", target: bareNode, load },
      { name: "bareExpress", target: bareExpress, load },
      ...headroom.map((t, i) => ({ name: names[i]!, target: t as Target, load: { ...load, body: JSON.stringify({ key: t.info.key, cost: 1 }) } })),
    ]);
    const stored = await Promise.all(headroom.map((t) => t.stop<Stored>()));
    const result = (i: number) => (headroom[i] ? { ...r.get(names[i]!)!, logLines: stored[i]?.logLines ?? 0 } : undefined);
    return {
      plan: headroom[0]!.info.plan,
      answerBytes: Buffer.byteLength(sample),
      answer: JSON.parse(sample) as unknown,
      bareNode: r.get("bareNode")!,
      bareExpress: r.get("bareExpress")!,
      headroom: result(0)!,
      headroomSilent: result(1)!,
      headroomAccessLog: result(2),
    };
  } finally {
    await stopAll([...headroom, bareNode, bareExpress]);
  }
});
const bareNode = check?.bareNode;
const bareExpress = check?.bareExpress;
const headroomCheck = check?.headroom;
const headroomCheckSilent = check?.headroomSilent;
const headroomCheckAccessLog = check?.headroomAccessLog;

// ---- 3b: POST /v1/check with the Redis counter store vs the memory store (side by side) -----------

/** Commands Redis has run: the scripts (one round trip each) and every command, the scripts' own included. */
async function redisCommands(redis: Redis): Promise<{ scripts: number; all: number }> {
  const info = await redis.info("commandstats");
  let scripts = 0;
  let all = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    all += Number(m[2]);
    if (m[1] === "evalsha" || m[1] === "eval") scripts += Number(m[2]);
  }
  return { scripts, all };
}

type TargetStats = { decisions: number; counters: { backend: string; degraded: boolean } };
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const redisCheck = await section("redis", async () => {
  const prefix = `headroom-bench:${randomBytes(4).toString("hex")}:`;
  const [memory, shared] = await Promise.all([
    startHeadroom("headroom-memory", "silent"),
    startHeadroom("headroom-redis", "silent", { BENCH_REDIS_URL: REDIS_URL, BENCH_REDIS_PREFIX: prefix }),
  ]);
  const admin = new Redis(REDIS_URL);
  try {
    const headers = { authorization: `Bearer ${memory.info.token}`, "content-type": "application/json" };
    const load = (t: Target<HeadroomInfo>): LoadOptions => ({ path: "/v1/check", method: "POST", headers, body: JSON.stringify({ key: t.info.key, cost: 1 }) });
    // The first call seeds the account's windows from the rollups (a second script run): before the count starts.
    const first = await fetch(`http://127.0.0.1:${shared.info.port}/v1/check`, { method: "POST", headers, body: load(shared).body });
    if (first.status !== 200) throw new Error(`/v1/check with Redis answered ${first.status}: ${await first.text()}`);
    const stats0 = await shared.send<TargetStats>("stats");
    if (stats0.counters.backend !== "redis" || stats0.counters.degraded) throw new Error(`the Redis target does not count in Redis: ${JSON.stringify(stats0.counters)}`);
    const cmd0 = await redisCommands(admin);
    const r = await compare([
      { name: "memory", target: memory as Target, load: load(memory) },
      { name: "redis", target: shared as Target, load: load(shared) },
    ]);
    const cmd1 = await redisCommands(admin);
    const stats1 = await shared.send<TargetStats>("stats");
    const checks = stats1.decisions - stats0.decisions;
    await Promise.all([memory.stop(), shared.stop()]);
    return {
      memory: r.get("memory")!,
      redis: r.get("redis")!,
      checks,
      degradedAfter: stats1.counters.degraded,
      // Other clients of a shared Redis add to these: the figure is an upper bound.
      scriptsPerCheck: (cmd1.scripts - cmd0.scripts) / Math.max(1, checks),
      commandsPerCheck: (cmd1.all - cmd0.all) / Math.max(1, checks),
    };
  } finally {
    await stopAll([memory, shared]);
    await deleteRedisPrefix(admin, prefix).catch(() => 0);
    admin.disconnect();
  }
});

// ---- 4: a GET route guarded by meter() vs the usual limiters (side by side) ---------------------

const KINDS = ["none", "meter", "express-rate-limit", "rate-limiter-flexible"] as const;
const guarded = await section("guarded", async () => {
  const targets = await Promise.all(KINDS.map((kind) => startTarget<{ key: string }>(`guarded-${kind}`, "guarded.ts", [kind])));
  try {
    const r = await compare(
      targets.map((t, i) => ({ name: KINDS[i]!, target: t as Target, load: { path: "/api/widgets", headers: { authorization: `Bearer ${t.info.key}` } } })),
    );
    const meterStored = await targets[1]!.stop();
    return { none: r.get("none")!, meter: r.get("meter")!, expressRateLimit: r.get("express-rate-limit")!, rateLimiterFlexible: r.get("rate-limiter-flexible")!, meterStored };
  } finally {
    await stopAll(targets);
  }
});
const guardNone = guarded?.none;
const guardMeter = guarded?.meter;
const guardErl = guarded?.expressRateLimit;
const guardRlf = guarded?.rateLimiterFlexible;

// ---- 5: in-process decision latency -------------------------------------------------------------

interface DecideResult {
  calls: number;
  plan: string;
  allowedAll: boolean;
  timerOverheadNs: number;
  meanUs: number;
  medianUs: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  batchMeanUs: number;
  batchMedianUs: number;
  batchP99Us: number;
}
const decide = await section("decide", () => runScript<DecideResult>("decide.ts"));

// ---- 6: /v1/events ingestion vs raw SQLite (interleaved rounds) ---------------------------------

/** /v1/events on one Headroom target (one log level). */
interface EventsResult {
  logLevel: LogLevel;
  warmup: EventsLoadResult;
  rounds: EventsLoadResult[];
  accepted: number;
  seconds: number;
  eventsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  serverCpu: number;
  cpuUsPerEvent: number;
  /** The most rows + ids still unwritten when a round's load ended. */
  pendingAfterLoad: number;
  /** Time from the end of each round's load until everything was flushed (included in `seconds`). */
  drainSeconds: number;
  flushes: { count: number; seconds: number; rowsAndIds: number; shareOfWallTime: number };
  stored: Stored;
  acceptedTotal: number;
  exact: boolean;
}
interface EventsSection {
  headroom: EventsResult;
  headroomSilent: EventsResult;
  raw: { events: number; seconds: number; eventsPerSecond: number; roundEventsPerSecond: number[]; cpuUsPerEvent: number; exact: boolean };
}
const events = await section("events", async (): Promise<EventsSection> => {
  const targets = await Promise.all(LOG_LEVELS.map((level) => startHeadroom("headroom-events", level)));
  const raw = openRawStore({ batch: EVENT_BATCH });
  try {
    type Stats = { pending: number; flushes: { count: number; seconds: number; rows: number } };
    const runs = targets.map((target) => ({
      target,
      o: { port: target.info.port, token: target.info.token, key: target.info.key, connections: EVENT_CONNECTIONS, batch: EVENT_BATCH },
      warmup: undefined as EventsLoadResult | undefined,
      before: undefined as Stats | undefined,
      rounds: [] as EventsLoadResult[],
      cpuMs: 0,
      pendingAfterLoad: 0,
      drainSeconds: 0,
    }));
    for (const run of runs) run.warmup = await eventsLoad({ ...run.o, seconds: Math.max(WARMUP, 0.5) });
    const rawWarmup = raw.run(Math.max(WARMUP, 0.5));
    const rawRounds: Array<{ events: number; seconds: number; cpuMs: number }> = [];
    for (const run of runs) {
      run.before = await run.target.send<Stats>("stats");
      await run.target.send("prof-start");
    }
    for (let round = 0; round < ROUNDS; round++) {
      const said: string[] = [];
      for (let i = 0; i < runs.length; i++) {
        const run = runs[(i + round) % runs.length]!;
        const cpu0 = await run.target.send<NodeJS.CpuUsage>("cpu");
        const r = await eventsLoad({ ...run.o, seconds: SECONDS / ROUNDS });
        // Until what was accepted is written: the flush is part of the cost (CPU and time) of ingesting.
        const drainStarted = performance.now();
        let stats = await run.target.send<Stats>("stats");
        run.pendingAfterLoad = Math.max(run.pendingAfterLoad, stats.pending);
        while (stats.pending > 0 && performance.now() - drainStarted < 5_000) {
          await new Promise((done) => setTimeout(done, 10));
          stats = await run.target.send<Stats>("stats");
        }
        const drain = (performance.now() - drainStarted) / 1000;
        run.drainSeconds += drain;
        const cpu1 = await run.target.send<NodeJS.CpuUsage>("cpu");
        run.cpuMs += (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000;
        run.rounds.push({ ...r, seconds: r.seconds + drain, eventsPerSecond: r.accepted / (r.seconds + drain) });
        said.push(`/v1/events (${run.target.info.logLevel}): ${fmtInt(r.accepted / (r.seconds + drain))} events/s`);
      }
      const w = raw.run(SECONDS / ROUNDS);
      rawRounds.push(w);
      log(`  round ${round + 1}/${ROUNDS} ${said.join("; ")}; raw SQLite: ${fmtInt(w.events / w.seconds)} events/s`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
    const results: EventsResult[] = [];
    for (const run of runs) {
      await run.target.send("prof-stop");
      const after = await run.target.send<Stats>("stats");
      const stored = await run.target.stop<Stored>();
      const all = [run.warmup!, ...run.rounds];
      const acceptedTotal = all.reduce((s, r) => s + r.accepted, 0);
      const clean = all.every((r) => r.failed + r.rejected + r.duplicates === 0);
      const accepted = run.rounds.reduce((s, r) => s + r.accepted, 0);
      const seconds = run.rounds.reduce((s, r) => s + r.seconds, 0);
      const before = run.before!;
      results.push({
        logLevel: run.target.info.logLevel,
        warmup: run.warmup!,
        rounds: run.rounds,
        accepted,
        seconds,
        eventsPerSecond: accepted / seconds,
        latencyP50Ms: median(run.rounds.map((r) => r.latencyP50Ms)),
        latencyP99Ms: median(run.rounds.map((r) => r.latencyP99Ms)),
        serverCpu: run.cpuMs / 1000 / seconds,
        cpuUsPerEvent: (run.cpuMs * 1000) / Math.max(1, accepted),
        pendingAfterLoad: run.pendingAfterLoad,
        drainSeconds: run.drainSeconds,
        flushes: {
          count: after.flushes.count - before.flushes.count,
          seconds: after.flushes.seconds - before.flushes.seconds,
          rowsAndIds: after.flushes.rows - before.flushes.rows,
          shareOfWallTime: (after.flushes.seconds - before.flushes.seconds) / seconds,
        },
        stored,
        acceptedTotal,
        exact: clean && stored.usageMinute === acceptedTotal && stored.usageDay === acceptedTotal && stored.ids === acceptedTotal,
      });
    }
    const rawEvents = rawRounds.reduce((s, r) => s + r.events, 0);
    const rawSeconds = rawRounds.reduce((s, r) => s + r.seconds, 0);
    const rawStored = raw.stored();
    return {
      headroom: results[0]!,
      headroomSilent: results[1]!,
      raw: {
        events: rawEvents,
        seconds: rawSeconds,
        eventsPerSecond: rawEvents / rawSeconds,
        roundEventsPerSecond: rawRounds.map((r) => Math.round(r.events / r.seconds)),
        cpuUsPerEvent: (rawRounds.reduce((s, r) => s + r.cpuMs, 0) * 1000) / Math.max(1, rawEvents),
        exact: rawStored === rawEvents + rawWarmup.events,
      },
    };
  } finally {
    raw.close();
    await stopAll(targets);
  }
});

// ---- 6b: the meter's flush into PostgreSQL vs SQLite (the same batches, taking turns) -------------

interface PgFlushResult {
  events: number;
  flushEvents: number;
  flushes: number;
  accounts: number;
  keys: number;
  instances: number;
  sqliteEventsPerSecond: number;
  pgEventsPerSecond: number;
  /** SQLite's time for the batches / PostgreSQL's. */
  ratio: number;
  pgFlushMedianMs: number;
  pgFlushMaxMs: number;
  pgConcurrentEventsPerSecond: number;
  pgStored: Record<string, number>;
  liteStored: Record<string, number>;
  daysAgree: boolean;
  exact: boolean;
}
const pgFlush = await section("pg-flush", () => runScript<PgFlushResult>("pg-flush.ts"));

// ---- 6c: POST /v1/events over HTTP into PostgreSQL vs into SQLite (the same server, taking turns) --

interface PgEventsRun {
  accepted: number;
  seconds: number;
  eventsPerSecond: number;
  stored: Stored;
  acceptedTotal: number;
  exact: boolean;
}
interface PgEventsResult {
  pg: PgEventsRun;
  sqlite: PgEventsRun;
  /** PostgreSQL's events/s ÷ SQLite's. */
  ratio: number;
}

const pgEvents = await section("pg-events", async (): Promise<PgEventsResult> => {
  const url = process.env.BENCH_DATABASE_URL ?? TEST_DATABASE_URL;
  const schema = `headroom_bench_events_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const inSchema = new URL(url);
  inSchema.searchParams.set("options", `-c search_path=${schema}`);
  const targets = [await startHeadroom("headroom-events-pg", "silent", { BENCH_DATABASE_URL: inSchema.toString() }), await startHeadroom("headroom-events-sqlite", "silent")];
  try {
    type Stats = { pending: number };
    const runs = targets.map((target) => ({
      target,
      o: { port: target.info.port, token: target.info.token, key: target.info.key, connections: EVENT_CONNECTIONS, batch: EVENT_BATCH },
      all: [] as EventsLoadResult[],
      rounds: [] as EventsLoadResult[],
    }));
    for (const run of runs) run.all.push(await eventsLoad({ ...run.o, seconds: Math.max(WARMUP, 0.5) }));
    for (const run of runs) await run.target.send("prof-start");
    for (let round = 0; round < ROUNDS; round++) {
      const said: string[] = [];
      for (let i = 0; i < runs.length; i++) {
        const run = runs[(i + round) % runs.length]!;
        const r = await eventsLoad({ ...run.o, seconds: SECONDS / ROUNDS });
        // Until what was accepted is written: the flush into the database is part of ingesting.
        const drainStarted = performance.now();
        while ((await run.target.send<Stats>("stats")).pending > 0 && performance.now() - drainStarted < 10_000) await new Promise((done) => setTimeout(done, 10));
        const drain = (performance.now() - drainStarted) / 1000;
        const done = { ...r, seconds: r.seconds + drain, eventsPerSecond: r.accepted / (r.seconds + drain) };
        run.rounds.push(done);
        run.all.push(r);
        said.push(`${run === runs[0] ? "PostgreSQL" : "SQLite"} ${fmtInt(done.eventsPerSecond)} events/s (answered ${fmtInt(r.eventsPerSecond)}/s, flushed ${drain.toFixed(2)} s later)`);
      }
      log(`  round ${round + 1}/${ROUNDS} /v1/events: ${said.join("; ")}`);
    }
    for (const run of runs) await run.target.send("prof-stop");
    const out: PgEventsRun[] = [];
    for (const run of runs) {
      const stored = await run.target.stop<Stored>();
      const accepted = run.rounds.reduce((sum, r) => sum + r.accepted, 0);
      const seconds = run.rounds.reduce((sum, r) => sum + r.seconds, 0);
      const acceptedTotal = run.all.reduce((sum, r) => sum + r.accepted, 0);
      const clean = run.all.every((r) => r.failed + r.rejected + r.duplicates === 0);
      out.push({ accepted, seconds, eventsPerSecond: accepted / seconds, stored, acceptedTotal, exact: clean && stored.usageMinute === acceptedTotal && stored.usageDay === acceptedTotal && stored.ids === acceptedTotal });
    }
    return { pg: out[0]!, sqlite: out[1]!, ratio: out[0]!.eventsPerSecond / out[1]!.eventsPerSecond };
  } finally {
    await stopAll(targets);
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
});

// ---- 7: the portal's first page -----------------------------------------------------------------

const bundles = await section("bundle", async () => measureBundle());

// ---- 8: the usage page's reads on PostgreSQL, 10 million minute rows vs a near-empty table -------

// Only when named (BENCH_ONLY=pg-usage): it loads 10 million rows (a few minutes, about 2 GB on disk while it runs).
const pgUsage = ONLY?.has("pg-usage")
  ? await section("pg-usage", () =>
      measurePgUsage({ rows: num("BENCH_PG_USAGE_ROWS", 10_000_000), runs: Math.round(num("BENCH_PG_USAGE_RUNS", 300)), url: process.env.BENCH_DATABASE_URL, log }),
    )
  : undefined;

// ---- 9: Lighthouse on the portal (issue #16) ---------------------------------------------------

// Only when named (BENCH_ONLY=lighthouse): it starts a server with the demo and a Chromium per run (about a minute).
const lighthouseResult = ONLY?.has("lighthouse")
  ? await section("lighthouse", () => measureLighthouse({ runs: Math.round(num("BENCH_LIGHTHOUSE_RUNS", 1)), reportDir: process.env.BENCH_LIGHTHOUSE_REPORTS, log }))
  : undefined;

// ---- the table ---------------------------------------------------------------------------------

const rows: Row[] = [];
const add = (r: Partial<Row> & { measurement: string }) =>
  rows.push({ value: "–", baseline: "–", ratio: "–", cpu: "–", cpuRatio: "–", target: "–", pass: "–", ...r });
const fmtCpu = (us: number | undefined, unit = "req") => (us === undefined ? "–" : `${us.toFixed(1)} µs/${unit}`);
/** Throughput a target would have relative to its baseline if each had a core to itself: baseline CPU per request / its own. */
const cpuRatio = (r: LoadResult | undefined, base: LoadResult | undefined) => fmtRatio(ratio(base?.cpuUsPerRequest, r?.cpuUsPerRequest));
const vs = (r: LoadResult | undefined, base: LoadResult | undefined) => ({
  value: fmtRps(r),
  baseline: fmtRps(base),
  ratio: fmtRatio(ratio(r?.rps, base?.rps)),
  cpu: fmtCpu(r?.cpuUsPerRequest),
  cpuRatio: cpuRatio(r, base),
});

add({ measurement: "1. bare node:http POST (JSON in, /v1/check-sized JSON out)", value: fmtRps(bareNode), ratio: bareNode ? "1.00×" : "–", cpu: fmtCpu(bareNode?.cpuUsPerRequest), cpuRatio: bareNode ? "1.00×" : "–", target: "baseline" });
add({ measurement: "2. bare Express 5 POST (express.json())", ...vs(bareExpress, bareNode) });
const checkAt = (r: typeof headroomCheck, config: string, first: boolean) => {
  const vsNode = ratio(r?.rps, bareNode?.rps);
  add({ measurement: `${first ? "3." : "  "} Headroom POST /v1/check vs node:http, ${config}`, ...vs(r, bareNode), target: "≥ 0.50×", pass: passFail(vsNode === undefined ? undefined : vsNode >= 0.5) });
  add({ measurement: `   Headroom POST /v1/check vs Express, ${config}`, ...vs(r, bareExpress) });
};
checkAt(headroomCheck, "LOG_LEVEL=info", true);
checkAt(headroomCheckSilent, "LOG_LEVEL=silent", false);
if (headroomCheckAccessLog) {
  const vsNode = ratio(headroomCheckAccessLog.rps, bareNode?.rps);
  add({ measurement: "   Headroom POST /v1/check vs node:http, info + METER_ACCESS_LOG", ...vs(headroomCheckAccessLog, bareNode), target: "(an option)", pass: vsNode === undefined ? "–" : vsNode >= 0.5 ? "(≥ 0.50)" : "(< 0.50)" });
}
if (redisCheck) {
  const r = ratio(redisCheck.redis.rps, redisCheck.memory.rps);
  add({ measurement: "   Headroom POST /v1/check, memory counter store (silent)", value: fmtRps(redisCheck.memory), ratio: "1.00×", cpu: fmtCpu(redisCheck.memory.cpuUsPerRequest), cpuRatio: "1.00×", target: "baseline" });
  add({ measurement: "   Headroom POST /v1/check, Redis counter store (silent)", ...vs(redisCheck.redis, redisCheck.memory), target: "≥ 0.50×", pass: passFail(r === undefined ? undefined : r >= 0.5 && !redisCheck.degradedAfter) });
  add({ measurement: "   Redis round trips (EVALSHA) per check", value: redisCheck.scriptsPerCheck.toFixed(3), target: "≤ 1", pass: passFail(redisCheck.scriptsPerCheck <= 1) });
  add({ measurement: "   Redis commands per check, the script's own included", value: redisCheck.commandsPerCheck.toFixed(2) });
} else add({ measurement: "   Headroom POST /v1/check, Redis counter store", target: "≥ 0.50× memory" });
add({ measurement: "4. Express GET, no limiter", value: fmtRps(guardNone), ratio: guardNone ? "1.00×" : "–", cpu: fmtCpu(guardNone?.cpuUsPerRequest), cpuRatio: guardNone ? "1.00×" : "–", target: "baseline" });
const meterR = ratio(guardMeter?.rps, guardNone?.rps);
const erlR = ratio(guardErl?.rps, guardNone?.rps);
const meterPass = passFail(meterR === undefined || erlR === undefined ? undefined : meterR >= erlR);
add({ measurement: "   + Headroom meter()", ...vs(guardMeter, guardNone), target: "≥ express-rate-limit", pass: meterPass });
add({ measurement: "   + express-rate-limit (memory store)", ...vs(guardErl, guardNone) });
add({ measurement: "   + rate-limiter-flexible (RateLimiterMemory)", ...vs(guardRlf, guardNone) });
add({ measurement: "   meter() vs express-rate-limit", ...vs(guardMeter, guardErl), target: "≥ 1.00×", pass: meterPass });
add({ measurement: "5. meter.check() in process, median", value: decide ? `${decide.medianUs.toFixed(2)} µs` : "–", target: "< 5 µs", pass: passFail(decide ? decide.medianUs < 5 : undefined) });
add({ measurement: "   meter.check() in process, p99", value: decide ? `${decide.p99Us.toFixed(2)} µs` : "–" });
add({ measurement: "   meter.check() in process, mean", value: decide ? `${decide.meanUs.toFixed(2)} µs` : "–" });
add({ measurement: "   meter.check() mean in batches of 1,000", value: decide ? `${decide.batchMeanUs.toFixed(2)} µs` : "–" });
const raw = events?.raw;
add({
  measurement: "6. raw better-sqlite3 batched upserts + ids",
  value: raw ? `${fmtInt(raw.eventsPerSecond)} events/s` : "–",
  ratio: raw ? "1.00×" : "–",
  cpu: fmtCpu(raw?.cpuUsPerEvent, "event"),
  cpuRatio: raw ? "1.00×" : "–",
  target: "storage limit",
});
for (const e of [events?.headroom, events?.headroomSilent]) {
  if (!e) continue;
  add({
    measurement: `   Headroom POST /v1/events (${EVENT_BATCH}/batch, ${EVENT_CONNECTIONS} conns), LOG_LEVEL=${e.logLevel}`,
    value: `${fmtInt(e.eventsPerSecond)} events/s`,
    baseline: raw ? `${fmtInt(raw.eventsPerSecond)} events/s` : "–",
    ratio: fmtRatio(ratio(e.eventsPerSecond, raw?.eventsPerSecond)),
    cpu: fmtCpu(e.cpuUsPerEvent, "event"),
    cpuRatio: fmtRatio(ratio(raw?.cpuUsPerEvent, e.cpuUsPerEvent)),
    target: "≥ 100,000 events/s",
    pass: passFail(e.eventsPerSecond >= 100_000),
  });
  add({
    measurement: `   usage_minute = accepted events after the run, LOG_LEVEL=${e.logLevel}`,
    value: `exact: ${e.exact ? "yes" : "no"} (${fmtInt(e.stored.usageMinute)} / ${fmtInt(e.acceptedTotal)})`,
    target: "exact",
    pass: passFail(e.exact),
  });
}
if (!events) add({ measurement: "   Headroom POST /v1/events", target: "≥ 100,000 events/s" });
add({ measurement: "   raw SQLite rollups = events written", value: raw ? `exact: ${raw.exact ? "yes" : "no"}` : "–", target: "exact", pass: passFail(raw?.exact) });
if (pgFlush) {
  add({
    measurement: `6b. meter flush into PostgreSQL (writeBatch, ${fmtInt(pgFlush.flushEvents)} events/flush, ${pgFlush.accounts} accounts)`,
    value: `${fmtInt(pgFlush.pgEventsPerSecond)} events/s`,
    baseline: `${fmtInt(pgFlush.sqliteEventsPerSecond)} events/s`,
    ratio: fmtRatio(pgFlush.ratio),
    target: "≥ 50,000 events/s",
    pass: passFail(pgFlush.pgEventsPerSecond >= 50_000),
  });
  add({ measurement: `    the same, ${pgFlush.instances} instances flushing at once`, value: `${fmtInt(pgFlush.pgConcurrentEventsPerSecond)} events/s`, target: "≥ 50,000 events/s", pass: passFail(pgFlush.pgConcurrentEventsPerSecond >= 50_000) });
  add({ measurement: "    rollups, ids and limit events = events written, on both", value: `exact: ${pgFlush.exact ? "yes" : "no"}`, target: "exact", pass: passFail(pgFlush.exact) });
} else add({ measurement: "6b. meter flush into PostgreSQL (writeBatch)", target: "≥ 50,000 events/s" });
if (pgEvents) {
  add({
    measurement: "6c. POST /v1/events into PostgreSQL (HTTP, until flushed)",
    value: `${fmtInt(pgEvents.pg.eventsPerSecond)} events/s`,
    baseline: `${fmtInt(pgEvents.sqlite.eventsPerSecond)} events/s (SQLite)`,
    ratio: fmtRatio(pgEvents.ratio),
    target: "≥ 50,000 events/s",
    pass: passFail(pgEvents.pg.eventsPerSecond >= 50_000),
  });
  add({ measurement: "    rollups and ids = events accepted, on both", value: `exact: ${pgEvents.pg.exact && pgEvents.sqlite.exact ? "yes" : "no"}`, target: "exact", pass: passFail(pgEvents.pg.exact && pgEvents.sqlite.exact) });
} else add({ measurement: "6c. POST /v1/events into PostgreSQL", target: "≥ 50,000 events/s" });
if (bundles?.production) {
  // What dist/client holds is a development build: the target applies to a production build.
  const dev = bundles.dist;
  const prod = bundles.production;
  add({ measurement: "7. first-page JS, gzip — dist/client (a DEVELOPMENT build)", value: `${dev.jsGzipKb.toFixed(1)} kB`, target: "(not production)" });
  add({ measurement: "   first-page JS, gzip — fresh production build", value: `${prod.jsGzipKb.toFixed(1)} kB`, target: "< 200 kB", pass: passFail(prod.jsGzipKb < 200) });
  add({ measurement: "   first-page CSS, gzip — fresh production build", value: `${prod.cssGzipKb.toFixed(1)} kB` });
} else {
  const bundle = bundles?.dist;
  add({ measurement: "7. first-page JS, gzip", value: bundle ? `${bundle.jsGzipKb.toFixed(1)} kB` : "–", target: "< 200 kB", pass: passFail(bundle ? bundle.jsGzipKb < 200 : undefined) });
  add({ measurement: "   first-page CSS, gzip", value: bundle ? `${bundle.cssGzipKb.toFixed(1)} kB` : "–" });
}

if (pgUsage) {
  const rowsText = `${(pgUsage.rows / 1e6).toFixed(1)}M`;
  for (const [i, v] of [pgUsage.asMigrated, pgUsage.proposed].entries()) {
    const label = i === 0 ? "as migrated" : "counters in the account index (proposed)";
    add({
      measurement: `${i === 0 ? "8." : "  "} usage page's reads on PostgreSQL, ${rowsText} rows ÷ near-empty, ${label}`,
      value: `${v.page.fullMs.toFixed(2)} ms`,
      baseline: `${v.page.emptyMs.toFixed(2)} ms`,
      ratio: fmtRatio(v.page.ratio),
      target: "≤ 1.5",
      pass: passFail(v.page.ratio <= 1.5),
    });
    for (const q of v.queries) add({ measurement: `     ${q.name}`, value: `${q.fullMs.toFixed(2)} ms`, baseline: `${q.emptyMs.toFixed(2)} ms`, ratio: fmtRatio(q.ratio), target: "≤ 1.5", pass: passFail(q.ratio <= 1.5) });
  }
} else if (ONLY?.has("pg-usage")) add({ measurement: "8. usage page's reads on PostgreSQL, 10M rows ÷ near-empty", target: "≤ 1.5" });

if (lighthouseResult) {
  for (const [i, r] of lighthouseResult.runs.entries()) {
    const perfTarget = LIGHTHOUSE_TARGETS.performance[r.formFactor];
    const ok = r.performance >= perfTarget && r.accessibility >= LIGHTHOUSE_TARGETS.accessibility && r.bestPractices >= LIGHTHOUSE_TARGETS.bestPractices;
    add({
      measurement: `${i === 0 ? "9." : "  "} Lighthouse ${r.page} ${r.formFactor}: perf / a11y / best practices`,
      value: `${r.performance} / ${r.accessibility} / ${r.bestPractices}`,
      target: `≥ ${perfTarget} / ${LIGHTHOUSE_TARGETS.accessibility} / ${LIGHTHOUSE_TARGETS.bestPractices}`,
      pass: passFail(ok),
    });
    add({ measurement: `     LCP / TBT / CLS`, value: `${(r.lcpMs / 1000).toFixed(2)} s / ${r.tbtMs.toFixed(0)} ms / ${r.cls.toFixed(3)}` });
  }
} else if (ONLY?.has("lighthouse")) add({ measurement: "9. Lighthouse /usage and /sign-in, mobile and desktop", target: "≥ 90 mobile, ≥ 95 desktop / 100 / 100" });

const headers: Row = { measurement: "measurement", value: "value", baseline: "baseline", ratio: "ratio", cpu: "server CPU", cpuRatio: "CPU ratio", target: "target", pass: "pass" };
const cols = Object.keys(headers) as Array<keyof Row>;
const widths = cols.map((c) => Math.max(...[headers, ...rows].map((r) => r[c].length)));
const line = (r: Row) => cols.map((c, i) => (c === "ratio" || c === "cpuRatio" ? r[c].padStart(widths[i]!) : r[c].padEnd(widths[i]!))).join("  ");

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  kernel: release(),
  loadAverageAtStart,
  loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
};
const settings = { seconds: SECONDS, warmupSeconds: WARMUP, rounds: ROUNDS, connections: CONNECTIONS, eventConnections: EVENT_CONNECTIONS, eventBatch: EVENT_BATCH, plan: process.env.BENCH_PLAN === "enterprise" ? "enterprise" : "business" };

const out = [
  "",
  `Headroom bench — ${machine.cores} × ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node}, load average ${loadAverageAtStart[0]} before the run`,
  `${SECONDS} s per target in ${ROUNDS} interleaved rounds after ${WARMUP} s warm-up, ${CONNECTIONS} connections (autocannon), loopback, each server in its own process`,
  "",
  line(headers),
  cols.map((_, i) => "-".repeat(widths[i]!)).join("  "),
  ...rows.map(line),
  "",
];
const loads: Array<[string, LoadResult | undefined]> = [
  ["bare node:http", bareNode],
  ["bare Express", bareExpress],
  ["Headroom /v1/check, info", headroomCheck],
  ["Headroom /v1/check, silent", headroomCheckSilent],
  ["Headroom /v1/check, access log", headroomCheckAccessLog],
  ["/v1/check, memory store", redisCheck?.memory],
  ["/v1/check, Redis store", redisCheck?.redis],
  ["GET, no limiter", guardNone],
  ["GET + meter()", guardMeter],
  ["GET + express-rate-limit", guardErl],
  ["GET + rate-limiter-flexible", guardRlf],
];
out.push("per target: latency (median over the rounds), rounds' spread, server CPU share (1.00 = one core busy the whole time; well below 1.00 = the load generator or other processes were the limit):");
for (const [name, r] of loads) {
  if (r)
    out.push(
      `  ${name.padEnd(30)} p50 ${String(r.latencyP50Ms).padStart(3)} ms  p99 ${String(r.latencyP99Ms).padStart(4)} ms  ` +
        `rounds ${fmtInt(Math.min(...r.roundRps))}–${fmtInt(Math.max(...r.roundRps))} req/s  server CPU ${r.serverCpu.toFixed(2)}`,
    );
}
for (const e of [events?.headroom, events?.headroomSilent]) {
  if (!e) continue;
  out.push(
    `  ${`Headroom /v1/events, ${e.logLevel}`.padEnd(30)} p50 ${e.latencyP50Ms.toFixed(0).padStart(3)} ms  p99 ${e.latencyP99Ms.toFixed(0).padStart(4)} ms  ` +
      `rounds ${fmtInt(Math.min(...e.rounds.map((r) => r.eventsPerSecond)))}–${fmtInt(Math.max(...e.rounds.map((r) => r.eventsPerSecond)))} events/s  server CPU ${e.serverCpu.toFixed(2)}  ` +
      `(a request = ${EVENT_BATCH} events)`,
    `  ${"".padEnd(30)} meter flushes during the load: ${e.flushes.count}, ${fmtInt(e.flushes.rowsAndIds / Math.max(1, e.flushes.count))} rows+ids each, ` +
      `${(e.flushes.seconds * 1000 / Math.max(1, e.flushes.count)).toFixed(1)} ms each, ${(e.flushes.shareOfWallTime * 100).toFixed(0)}% of the time; ` +
      `unwritten when a round's load ended: at most ${fmtInt(e.pendingAfterLoad)}, written ${(e.drainSeconds * 1000 / ROUNDS).toFixed(0)} ms later on average (counted in events/s)`,
  );
}
if (pgFlush) {
  out.push(
    `  ${"PostgreSQL flush".padEnd(30)} ${fmtInt(pgFlush.events)} events in ${pgFlush.flushes} flushes, ${pgFlush.keys} keys: ${pgFlush.pgFlushMedianMs.toFixed(0)} ms a flush (median), ` +
      `${pgFlush.pgFlushMaxMs.toFixed(0)} ms at most; SQLite's writeBatch on the same batches is the baseline (ratio = SQLite's time / PostgreSQL's)`,
  );
}
if (headroomCheck || events) {
  const parts: string[] = [];
  if (headroomCheck) parts.push(`/v1/check ${fmtInt(headroomCheck.logLines)} (for ${fmtInt(headroomCheck.requests)} measured requests and the warm-up)`);
  if (headroomCheckAccessLog) parts.push(`/v1/check with METER_ACCESS_LOG ${fmtInt(headroomCheckAccessLog.logLines)} (for ${fmtInt(headroomCheckAccessLog.requests)} measured requests and the warm-up)`);
  if (events) parts.push(`/v1/events ${fmtInt(events.headroom.stored.logLines)} (for ${fmtInt(events.headroom.acceptedTotal / EVENT_BATCH)} requests)`);
  out.push(`log lines the LOG_LEVEL=info targets wrote: ${parts.join(", ")}`);
}
for (const b of [bundles?.dist, bundles?.production]) {
  if (!b) continue;
  const what = b === bundles?.dist ? `dist/client, built ${b.indexHtmlMtime}${b.built ? " (just now)" : ""}${b.development ? ", a development build" : ""}` : "fresh production build";
  out.push(`first page (${what}): ${b.files.map((f) => `${f.file} ${(f.gzipBytes / 1000).toFixed(1)} kB`).join(", ")}`);
}
if (pgUsage) {
  out.push(
    `usage page on PostgreSQL: ${fmtInt(pgUsage.rows)} minute rows (${pgUsage.tableSize} with indexes) of ${fmtInt(pgUsage.accounts)} accounts × ${pgUsage.keys / pgUsage.accounts} keys × ${fmtInt(pgUsage.minutesPerKey)} minutes, ${fmtInt(pgUsage.dayRows)} day rows; ` +
      `loaded in ${pgUsage.loadSeconds.toFixed(0)} s, VACUUM ANALYZE ${pgUsage.vacuumSeconds.toFixed(0)} s; medians of ${pgUsage.runs} interleaved rounds; buffers touched near-empty → full, and the full table's plan:`,
  );
  for (const v of [pgUsage.asMigrated, pgUsage.proposed]) {
    out.push(`  ${v.index}:`);
    for (const q of v.queries) out.push(`    ${q.name.padEnd(72)} buffers ${String(q.emptyBuffers).padStart(4)} → ${String(q.fullBuffers).padStart(5)}  ${q.plan}`);
  }
  const f = pgUsage.flushes;
  const flushLine = (name: string, c: typeof f.migrated) => `${name}: median ${c.medianMs.toFixed(1)} ms per flush, ${(c.hotShare * 100).toFixed(0)}% of updates HOT, account index ${c.indexMb.toFixed(0)} MB after`;
  out.push(
    `  the writes, ${f.flushes} flushes of ${fmtInt(f.rowsPerFlush)} keys' current minute (upserts adding to each row), side by side: ${flushLine("as migrated", f.migrated)}; ${flushLine("proposed", f.proposed)} (${fmtRatio(f.proposed.medianMs / f.migrated.medianMs)} the time)`,
  );
}
if (lighthouseResult) {
  out.push(
    `Lighthouse ${lighthouseResult.lighthouseVersion} in ${lighthouseResult.chromePath} (headless), ${lighthouseResult.runsPerPage} run(s) per page and form factor (median by performance kept), ` +
      `mobile = Lighthouse's default (simulated slow 4G, 4× CPU slowdown), desktop = its desktop preset; command: BENCH_ONLY=lighthouse npm run bench`,
  );
  for (const r of lighthouseResult.runs) {
    const runs = r.performanceRuns.length ? ` (performance of each run: ${r.performanceRuns.join(", ")})` : "";
    out.push(`  ${`${r.page} ${r.formFactor}`.padEnd(18)} not passing: ${r.failing.length ? r.failing.join("; ") : "none"}${runs}`);
  }
}
// The run itself keeps about two processes busy, so only the load average before it says whether others competed.
if (loadAverageAtStart[0]! > machine.cores * 0.5) {
  out.push(`note: load average ${loadAverageAtStart[0]} on ${machine.cores} cores when the run started — other processes (or a run just before) competed with the targets; ratios are steadier than req/s, but rerun on a quiet machine before trusting one.`);
}
out.push("");
process.stdout.write(out.join("\n") + "\n");

const file = resolve(BENCH_DIR, "results.json");
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), durationSeconds: (Date.now() - started) / 1000, machine, settings, table: rows, results, failures }, null, 2) + "\n");
log(`wrote ${file}`);

if (failures.length) {
  process.stderr.write(`\n${failures.length} measurement(s) crashed:\n${failures.join("\n\n")}\n`);
  process.exit(1);
}
