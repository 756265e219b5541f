import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openPostgres } from "../db/pg/client";
import { pgMeteringQueries } from "../db/pg/queries/metering";
import { meteringQueries, type UsageBatch } from "../db/queries/metering";
import { ManualClock } from "../lib/clock";
import { Metrics } from "../lib/metrics";
import { memoryDatabase } from "../testing/memory-database";
import { pgTestDatabase, TEST_DATABASE_URL, type PgTestDatabase } from "../testing/pg-database";
import type { MeterRef } from "./counter-store";
import { Flusher, type AsyncBatchWriter, type FlusherOptions } from "./flusher";
import { UsageBuffer } from "./usage-buffer";

const T0 = Date.parse("2026-11-25T14:00:00Z");
const CALLS: MeterRef = { id: "calls", isDefault: true, column: ["calls", ""] };
const ACCOUNT = "acc_1";

/** One call as the meter buffers it: its count (and a limit event when throttled), then its id. */
function call(buffer: UsageBuffer, n: number, o: { accountId?: string; keyId?: string; atMs?: number; decision?: "allow" | "throttle" } = {}): void {
  const atMs = o.atMs ?? T0 + (n % 60) * 1_000;
  const decision = o.decision ?? "allow";
  const accountId = o.accountId ?? ACCOUNT;
  buffer.addCall(atMs, o.keyId ?? "key_1", accountId, CALLS, decision, 1);
  if (decision === "throttle") buffer.addLimitEvent(atMs, accountId, CALLS.id, "day", decision, 1);
  buffer.addId(accountId, CALLS, `req_${n}`, { decision, seenAtMs: atMs });
}

/** The batch as plain data (its iterators are single-use). */
function contents(batch: UsageBatch) {
  return { minutes: [...batch.minutes].map((r) => ({ ...r })), limitEvents: [...batch.limitEvents].map((e) => ({ ...e })), ids: [...batch.idChunks], keysUsed: [...batch.keysUsed] };
}

type Outcome = "ok" | "fail" | "lost";

/**
 * An asynchronous writer standing in for PostgreSQL: a batch id is written once, as the real one
 * does. Each attempt takes the next scripted outcome: "fail" throws before the commit (unreachable),
 * "lost" commits and then throws (the answer lost with the connection).
 */
class ScriptedStore implements AsyncBatchWriter {
  readonly sent: Array<{ batchId: string; contents: string }> = [];
  readonly written = new Set<string>();
  readonly ids = new Set<string>();
  allowed = 0;
  throttled = 0;
  limitEvents = 0;
  /** While set, an attempt waits for it before its outcome. */
  gate: Promise<void> | null = null;

  constructor(readonly script: Outcome[] = []) {}

  async writeBatch(batch: UsageBatch, batchId: string): Promise<string[]> {
    const c = contents(batch);
    this.sent.push({ batchId, contents: JSON.stringify(c) });
    const outcome = this.script.shift() ?? "ok";
    await (this.gate ?? Promise.resolve());
    if (outcome === "fail") throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
    if (!this.written.has(batchId)) {
      this.written.add(batchId);
      for (const r of c.minutes) (this.allowed += r.allowed), (this.throttled += r.throttled);
      for (const e of c.limitEvents) this.limitEvents += e.count;
      for (const [, , rows] of c.ids) for (const [id] of rows) this.ids.add(id);
    }
    if (outcome === "lost") throw new Error("Connection terminated unexpectedly");
    return [...new Set(c.minutes.map((r) => r.accountId))];
  }
}

/** Log lines as objects, to count how often something was said. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, said: (msg: string) => lines.filter((l) => l.msg.startsWith(msg)) };
}

const depth = async (metrics: Metrics) => (await metrics.bufferDepth.get()).values[0]?.value;
const dropped = async (metrics: Metrics) => (await metrics.bufferDropped.get()).values[0]?.value ?? 0;
const failures = async (metrics: Metrics) => (await metrics.flushFailures.get()).values[0]?.value ?? 0;

function asyncFlusher(store: AsyncBatchWriter, o: Partial<FlusherOptions> = {}) {
  const buffer = new UsageBuffer();
  const clock = new ManualClock(T0);
  const metrics = new Metrics(false);
  const log = capturedLogger();
  const touched: string[][] = [];
  const flusher = new Flusher(buffer, store, {
    logger: log.logger,
    metrics,
    clock,
    instanceId: "web-1",
    retryDelayMs: { firstMs: 1_000, maxMs: 4_000 },
    onFlushed: (ids) => touched.push(ids),
    ...o,
  });
  return { buffer, clock, metrics, flusher, touched, said: log.said };
}

describe("a synchronous writer (SQLite)", () => {
  it("writes the buffer in one call, and on a busy database puts it back merged with what came meanwhile", async () => {
    const database = memoryDatabase();
    const q = meteringQueries(database.sqlite);
    let busy = 1;
    const writes: number[] = [];
    const buffer = new UsageBuffer();
    const metrics = new Metrics(false);
    const flusher = new Flusher(
      buffer,
      (batch) => {
        if (busy-- > 0) throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
        const touched = q.writeBatch(batch);
        writes.push(1);
        return touched;
      },
      { logger: pino({ level: "silent" }), metrics },
    );
    for (let n = 0; n < 3; n++) call(buffer, n);
    expect(flusher.flush()).toBe(false);
    expect(buffer.size()).toBe(4); // one minute row and three ids, back in the buffer
    expect(await depth(metrics)).toBe(4);
    for (let n = 3; n < 5; n++) call(buffer, n);
    expect(flusher.flush()).toBe(true);
    expect(writes).toHaveLength(1);
    expect(database.sqlite.prepare("select allowed from usage_minute").all()).toEqual([{ allowed: 5 }]);
    expect(database.sqlite.prepare("select count(*) n from metered_ids").get()).toEqual({ n: 5 });
    expect(await depth(metrics)).toBe(0);
    expect(await failures(metrics)).toBe(1);
    // flushAsync and drain serve a synchronous writer too.
    call(buffer, 5);
    expect(await flusher.flushAsync()).toBe(true);
    call(buffer, 6);
    expect(await flusher.drain(1_000)).toBe(true);
    expect(database.sqlite.prepare("select allowed from usage_minute").all()).toEqual([{ allowed: 7 }]);
    database.close();
  });
});

describe("an asynchronous writer with batch ids", () => {
  it("keeps a failed batch whole and re-sends it unchanged under its id; new calls wait for the next batch", async () => {
    const store = new ScriptedStore(["fail", "fail", "fail"]);
    const { buffer, clock, metrics, flusher, touched } = asyncFlusher(store);
    for (let n = 0; n < 3; n++) call(buffer, n);
    call(buffer, 3, { decision: "throttle" });
    expect(await flusher.flushAsync()).toBe(false);
    for (let n = 4; n < 6; n++) {
      call(buffer, n);
      clock.advance(4_000);
      expect(await flusher.flushAsync()).toBe(false);
    }
    expect(store.sent).toHaveLength(3);
    expect(new Set(store.sent.map((s) => s.batchId)).size).toBe(1);
    expect(new Set(store.sent.map((s) => s.contents)).size).toBe(1);
    expect(store.sent[0]!.batchId).toMatch(/^web-1:[0-9a-f]{12}:1$/);
    // The held batch: 1 minute row, 1 limit event, 4 ids; buffered meanwhile: 1 row, 2 ids.
    expect(JSON.parse(store.sent[0]!.contents).ids[0][2].map((r: unknown[]) => r[0])).toEqual(["req_0", "req_1", "req_2", "req_3"]);
    expect(flusher.pending()).toBe(9);
    expect(await failures(metrics)).toBe(3);

    clock.advance(4_000);
    expect(await flusher.flushAsync()).toBe(false); // the held batch is written; the next one waits for the next flush
    expect(store.sent).toHaveLength(4);
    expect(store.sent[3]!.contents).toBe(store.sent[0]!.contents);
    expect({ allowed: store.allowed, throttled: store.throttled, limitEvents: store.limitEvents, ids: store.ids.size }).toEqual({ allowed: 3, throttled: 1, limitEvents: 1, ids: 4 });
    expect(await flusher.flushAsync()).toBe(true);
    expect(store.sent[4]!.batchId).toBe(store.sent[0]!.batchId.replace(/1$/, "2"));
    expect({ allowed: store.allowed, throttled: store.throttled, ids: store.ids.size }).toEqual({ allowed: 5, throttled: 1, ids: 6 });
    expect(touched).toEqual([[ACCOUNT], [ACCOUNT]]);
    expect(flusher.pending()).toBe(0);
  });

  it("re-sends a batch whose commit succeeded without an answer under the same id", async () => {
    const store = new ScriptedStore(["lost"]);
    const { buffer, clock, flusher } = asyncFlusher(store);
    for (let n = 0; n < 4; n++) call(buffer, n);
    expect(await flusher.flushAsync()).toBe(false);
    expect(store.allowed).toBe(4);
    clock.advance(1_000);
    expect(await flusher.flushAsync()).toBe(true);
    expect(store.sent.map((s) => s.batchId)).toEqual([store.sent[0]!.batchId, store.sent[0]!.batchId]);
    expect(store.allowed).toBe(4);
  });

  it("re-sends no sooner than a growing wait on the injected clock", async () => {
    const store = new ScriptedStore(["fail", "fail", "fail", "fail"]);
    const { buffer, clock, flusher } = asyncFlusher(store);
    call(buffer, 0);
    const attemptsAfter = async (ms: number) => {
      clock.advance(ms);
      await flusher.flushAsync();
      return store.sent.length;
    };
    expect(await attemptsAfter(0)).toBe(1);
    expect(await attemptsAfter(999)).toBe(1);
    expect(await attemptsAfter(1)).toBe(2); // 1 s after the first failure
    expect(await attemptsAfter(1_999)).toBe(2);
    expect(await attemptsAfter(1)).toBe(3); // 2 s after the second
    expect(await attemptsAfter(3_999)).toBe(3);
    expect(await attemptsAfter(1)).toBe(4); // 4 s after the third
    expect(await attemptsAfter(4_000)).toBe(5); // and no longer than 4 s
    expect(store.allowed).toBe(1);
  });

  it("writes one batch at a time: flushes meanwhile share the attempt under way", async () => {
    const store = new ScriptedStore();
    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    const { buffer, flusher } = asyncFlusher(store);
    call(buffer, 0);
    const first = flusher.flushAsync();
    call(buffer, 1);
    const second = flusher.flushAsync();
    expect(flusher.flush()).toBe(false);
    expect(store.sent).toHaveLength(1);
    expect(flusher.pending()).toBe(4);
    open();
    expect(await Promise.all([first, second])).toEqual([false, false]);
    expect(store.allowed).toBe(1);
    expect(await flusher.flushAsync()).toBe(true);
    expect(store.sent).toHaveLength(2);
    expect(store.allowed).toBe(2);
  });

  it("still answers for the ids of the batch it holds, so a retried call is not counted again", async () => {
    const store = new ScriptedStore(["fail"]);
    const { buffer, clock, flusher } = asyncFlusher(store);
    call(buffer, 0);
    await flusher.flushAsync();
    call(buffer, 1);
    expect(buffer.pendingId(ACCOUNT, CALLS, "req_0")?.decision).toBe("allow");
    const pending = buffer.pendingIdsOf(ACCOUNT, CALLS)!;
    expect([pending.has("req_0"), pending.has("req_1"), pending.has("req_2")]).toEqual([true, true, false]);
    clock.advance(1_000);
    await flusher.flushAsync();
    // Written: now the database answers for it.
    expect(buffer.pendingId(ACCOUNT, CALLS, "req_0")).toBeUndefined();
    expect(buffer.pendingIdsOf(ACCOUNT, CALLS)!.has("req_1")).toBe(true);
  });

  it("past maxPendingRows drops new calls whole, counts and logs them once, and keeps them again once a flush makes room", async () => {
    const store = new ScriptedStore(Array<Outcome>(5).fill("fail"));
    const { buffer, clock, metrics, flusher, said } = asyncFlusher(store, { maxPendingRows: 10 });
    const depths: Array<number | undefined> = [];
    for (let n = 0; n < 4; n++) call(buffer, n);
    await flusher.flushAsync();
    depths.push(await depth(metrics));
    // The batch held has 5 (a minute row and 4 ids); the buffer's first call opens a minute row of its own, each next one adds
    // an id: calls 4 to 7 fit, the 16 after them do not.
    for (let n = 4; n < 24; n++) {
      call(buffer, n, n === 12 ? { decision: "throttle" } : {});
      if (n % 5 === 0) {
        clock.advance(4_000);
        await flusher.flushAsync();
        depths.push(await depth(metrics));
      }
    }
    expect(flusher.pending()).toBe(10);
    expect(depths).toEqual([5, 8, 10, 10, 10]);
    expect(await dropped(metrics)).toBe(16);
    expect(said("meter buffer full")).toHaveLength(1);
    expect(buffer.pendingId(ACCOUNT, CALLS, "req_7")).toBeDefined();
    expect(buffer.pendingId(ACCOUNT, CALLS, "req_8")).toBeUndefined();

    clock.advance(4_000);
    expect(await flusher.flushAsync()).toBe(false);
    expect(said("meter buffer has room again")).toEqual([expect.objectContaining({ dropped: 16 })]);
    call(buffer, 24);
    expect(await flusher.flushAsync()).toBe(true);
    expect(await depth(metrics)).toBe(0);
    // Exactly the calls kept, each once: 4 + 4 before the bound, 1 after.
    expect({ allowed: store.allowed, throttled: store.throttled, limitEvents: store.limitEvents, ids: store.ids.size }).toEqual({ allowed: 9, throttled: 0, limitEvents: 0, ids: 9 });
    expect(await dropped(metrics)).toBe(16);
    expect(said("meter buffer full")).toHaveLength(1);
  });

  it("writes a backlog as several batches of whole accounts, each call's id with its count", async () => {
    const store = new ScriptedStore(["fail"]);
    const { buffer, clock, flusher } = asyncFlusher(store, { maxBatchRows: 6 });
    call(buffer, 0, { accountId: "acc_0", keyId: "key_0" });
    await flusher.flushAsync();
    // The backlog: 3 accounts, 4 calls each in one minute (5 rows and ids an account), and one account of 9.
    for (let n = 1; n <= 12; n++) call(buffer, n, { accountId: `acc_${n % 3}`, keyId: `key_${n % 3}` });
    for (let n = 13; n <= 20; n++) call(buffer, n, { accountId: "acc_big", keyId: "key_big" });
    clock.advance(1_000);
    while (!(await flusher.flushAsync()));
    const batches = store.sent.slice(1).map((s) => JSON.parse(s.contents) as ReturnType<typeof contents>);
    const accountsOf = (b: ReturnType<typeof contents>) => [...new Set([...b.minutes.map((r) => r.accountId), ...b.ids.map((c) => c[0]), ...b.keysUsed.map(([k]) => k.replace("key", "acc"))])];
    expect(batches.map(accountsOf)).toEqual([["acc_0"], ["acc_1"], ["acc_2"], ["acc_0"], ["acc_big"]]);
    expect(batches.map((b) => b.ids.reduce((n, c) => n + c[2].length, 0))).toEqual([1, 4, 4, 4, 8]);
    expect(new Set(store.sent.map((s) => s.batchId)).size).toBe(5);
    expect({ allowed: store.allowed, ids: store.ids.size }).toEqual({ allowed: 21, ids: 21 });
  });

  it("drains before a stop: re-sends after a short wait until written, or gives up at the deadline", async () => {
    const recovering = new ScriptedStore(["fail", "fail"]);
    const a = asyncFlusher(recovering, { retryDelayMs: { firstMs: 5, maxMs: 20 } });
    for (let n = 0; n < 3; n++) call(a.buffer, n);
    expect(await a.flusher.flushAsync()).toBe(false);
    call(a.buffer, 3);
    expect(await a.flusher.drain(2_000)).toBe(true);
    expect({ attempts: recovering.sent.length, allowed: recovering.allowed, ids: recovering.ids.size }).toEqual({ attempts: 4, allowed: 4, ids: 4 });

    // A write that never answers: drain returns at its deadline with the usage still pending.
    const hanging = new ScriptedStore();
    hanging.gate = new Promise(() => {});
    const b = asyncFlusher(hanging);
    call(b.buffer, 0);
    const started = performance.now();
    expect(await b.flusher.drain(100)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(b.flusher.pending()).toBe(2);
  });
});

describe("an asynchronous writer on PostgreSQL", () => {
  let database: PgTestDatabase;
  beforeAll(async () => {
    database = await pgTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.truncate();
  });

  const totals = async () => {
    const q = async (text: string) => Number((await database.pool.query<{ n: string }>(text)).rows[0]!.n);
    return {
      minuteAllowed: await q("select coalesce(sum(allowed), 0) n from usage_minute"),
      dayAllowed: await q("select coalesce(sum(allowed), 0) n from usage_day"),
      dayThrottled: await q("select coalesce(sum(throttled), 0) n from usage_day"),
      limitEvents: await q("select coalesce(sum(count), 0) n from limit_events"),
      ids: await q("select count(*) n from metered_ids"),
      batches: await q("select count(*) n from usage_flushes"),
    };
  };

  /** Calls over two keys an account and three minutes, one in ten throttled. */
  const calls = (buffer: UsageBuffer, from: number, count: number, accounts = 1) => {
    for (let n = from; n < from + count; n++) {
      const account = n % accounts;
      call(buffer, n, { accountId: `acc_${account}`, keyId: `key_${account}_${n % 2}`, atMs: T0 + (n % 3) * 60_000 + n, decision: n % 10 === 9 ? "throttle" : "allow" });
    }
  };

  it("a commit whose answer is lost: the re-send under the same id adds nothing", async () => {
    const real = pgMeteringQueries(database.db);
    let loseAnswers = 1;
    const writer: AsyncBatchWriter = {
      async writeBatch(batch, batchId) {
        const touched = await real.writeBatch(batch, batchId);
        if (loseAnswers-- > 0) throw new Error("Connection terminated unexpectedly");
        return touched;
      },
    };
    const { buffer, clock, flusher, touched } = asyncFlusher(writer);
    calls(buffer, 0, 30);
    expect(await flusher.flushAsync()).toBe(false);
    const committed = await totals();
    expect(committed).toEqual({ minuteAllowed: 27, dayAllowed: 27, dayThrottled: 3, limitEvents: 3, ids: 30, batches: 1 });
    calls(buffer, 30, 10);
    clock.advance(1_000);
    expect(await flusher.flushAsync()).toBe(false);
    expect(await totals()).toEqual(committed);
    expect(touched).toEqual([["acc_0"]]);
    expect(await flusher.flushAsync()).toBe(true);
    expect(await totals()).toEqual({ minuteAllowed: 36, dayAllowed: 36, dayThrottled: 4, limitEvents: 4, ids: 40, batches: 2 });
  });

  it("PostgreSQL unreachable: the buffer is kept and its depth rises, then everything is written once", async () => {
    const real = pgMeteringQueries(database.db);
    const down = openPostgres(TEST_DATABASE_URL.replace("127.0.0.1:5432", "127.0.0.1:1"), { connectionTimeoutMs: 2_000 });
    const unreachable = pgMeteringQueries(down.db);
    let isDown = true;
    const writer: AsyncBatchWriter = { writeBatch: (batch, batchId) => (isDown ? unreachable : real).writeBatch(batch, batchId) };
    // Small batches: the backlog goes as several.
    const { buffer, clock, metrics, flusher } = asyncFlusher(writer, { retryDelayMs: { firstMs: 5, maxMs: 20 }, maxBatchRows: 25 });
    try {
      const depths: Array<number | undefined> = [];
      for (let round = 0; round < 3; round++) {
        calls(buffer, round * 30, 30, 3);
        clock.advance(1_000);
        expect(await flusher.flushAsync()).toBe(false);
        depths.push(await depth(metrics));
      }
      expect(depths[0]).toBeGreaterThan(0);
      expect(depths[1]).toBeGreaterThan(depths[0]!);
      expect(depths[2]).toBeGreaterThan(depths[1]!);
      expect(await failures(metrics)).toBe(3);
      expect((await totals()).batches).toBe(0);
      isDown = false;
      expect(await flusher.drain(5_000)).toBe(true);
      expect(await depth(metrics)).toBe(0);
      // Every account's rows and ids are over 25: the batch held since the first round (acc_0's), then one an account.
      expect(await totals()).toEqual({ minuteAllowed: 81, dayAllowed: 81, dayThrottled: 9, limitEvents: 9, ids: 90, batches: 4 });
    } finally {
      await down.close();
    }
  });
});
