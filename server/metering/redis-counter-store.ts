import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { DAY_MS } from "../../shared/limits";
import type { WindowName } from "../../shared/plans";
import type { AsyncMeteringQueries } from "../db/queries/metering";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import type { Metrics } from "../lib/metrics";
import type { Consumed } from "./check-result";
import { countEvents, MemoryCounterStore, type ConsumeRequest, type CounterStore, type CounterStoreStatus, type EventOutcomes, type EventsRequest, type MeterRef, type PersistedUsage } from "./counter-store";
import type { AccountCounters } from "./counters";
import type { Decision } from "./decide";
import { CHECK_SCRIPT, EVENTS_SCRIPT, RECONCILE_SCRIPT } from "./redis-scripts";
import type { AccountTerms } from "./terms";

/** The scripts, as ioredis commands (EVALSHA, and EVAL when Redis answers NOSCRIPT). */
interface ScriptedRedis extends Redis {
  headroomCheck(...keysThenArgs: Array<string | number>): Promise<number[]>;
  headroomEvents(numKeys: number, ...keysThenArgs: Array<string | number>): Promise<number[]>;
  headroomReconcile(numKeys: number, ...keysThenArgs: Array<string | number>): Promise<number>;
}

const DECISIONS: readonly Decision[] = ["allow", "would_throttle", "throttle", "ceiling"];
const CODE: Record<Decision, number> = { allow: 0, would_throttle: 1, throttle: 2, ceiling: 3 };
const MODE = { off: 0, shadow: 1, enforce: 2 } as const;
const WINDOWS: readonly WindowName[] = ["minute", "day", "month"];
/** Windows by their bits (1 minute, 2 day, 4 month), built once. */
const WINDOW_SETS: readonly WindowName[][] = Array.from({ length: 8 }, (_, bits) => WINDOWS.filter((_, i) => bits & (1 << i)));

/** How long a day or period count outlives its window (a slow clock elsewhere still finds it). */
const WINDOW_SLACK_MS = 3_600_000;
/** Idempotency ids are kept at least 48 h, as in the database. */
const ID_TTL_MS = 49 * 3_600_000;

export interface RedisCounterStoreOptions {
  /** redis://… (ignored when `redis` is given). */
  url?: string;
  /** A client to use instead (its options should match the ones below: no offline queue, short timeouts). */
  redis?: Redis;
  /** Prefix of every key, so several deployments (or tests) can share one Redis. */
  prefix: string;
  /** The rollups' counts this process starts an account from (see PersistedUsage). */
  persisted: PersistedUsage;
  /** On an asynchronous store (PostgreSQL), the rollups' counts a window missing in Redis is seeded from, read when it is found missing. */
  seed?: AsyncMeteringQueries["persisted"];
  ceilingPerMeter?: boolean;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** A command that takes longer fails, and the call is counted in this process instead (ms; default 1,000: a burst of a thousand calls must not trip it). */
  commandTimeoutMs?: number;
  /** While degraded, how often Redis is tried again (ms). */
  probeMs?: number;
}

/** What this process counted while Redis was unreachable, per account: increments of its day and period counts, and the ids it saw. */
interface Pending {
  counts: Map<string, number>;
  ids: Map<string, number>;
}

/** A call counted here whose command to Redis got no answer: it may have run there too. */
interface Uncertain {
  accountId: string;
  /** The account's applied-calls hash. */
  appliedKey: string;
  /** The call's number in this process's order of sends. */
  seq: number;
  counted: Pending;
}

/**
 * The windows' counts in Redis, shared by every process: exact across instances behind a load
 * balancer. Each call is one script run (one round trip, concurrent calls pipelined together): the
 * idempotency id, the decision by decide()'s rule (ceiling first, then each window's cap, mode, grace
 * after a delivered notice) and the counts, atomically. Time is the caller's clock.
 *
 * Key layout, all under `<prefix>{<account id>}` (one hash tag: one cluster slot per account):
 * - `:m:<meter>` the sliding minute, a hash of second → units (see redis-scripts.ts), 120 s ttl;
 * - `:d:<meter>:<day start ms>` the UTC day's count, expiring an hour after the day ends;
 * - `:p:<meter>:<month window start ms>-<period end ms>` the month window's count (the billing
 *   period's, from the plan's start when later; a month or a year), expiring an hour after the period;
 * - `:c:<key id>` (or `:c:<key id>:<meter>` when the catalog counts the ceiling per meter) the key's ceiling minute;
 * - `:i:<meter>:<id>` an idempotency id → its first decision, SET NX, kept 49 h.
 *
 * Seeding: a missing day or period count (first use, a new day or period, Redis restarted empty)
 * makes the script answer "seed me"; the counts are read from the rollups and the script runs again
 * with them, setting each only if still missing (two processes seeding at once add nothing twice).
 * What Redis forgets when it restarts empty is bounded by:
 * - the minute: up to 60 s of calls. The rollups keep minutes, not seconds: the current minute's
 *   flushed calls are restored at the minute's first second (they leave the window no later than
 *   they really would); the previous minute's calls still in the window are not restored.
 * - the day and period counts: the calls every process counted but had not flushed to the rollups
 *   yet, at most one flush interval (METER_FLUSH_MS) of calls per process.
 *
 * Redis unreachable (refused, timed out, not connected): calls are answered all the same, counted
 * in this process by a MemoryCounterStore whose counts are the last Redis answered (seeded from the
 * rollups for accounts it never saw), the per-key ceiling held per process. The day and period
 * increments and the ids seen meanwhile are added to Redis when it answers again (only to counts
 * that still exist: a missing one is seeded from the rollups, which hold those calls once flushed),
 * then calls go to Redis again. A command that got no answer (a timeout: Redis paused, overloaded or
 * cut off) may still have run there: each script run records, per account, the number of the last
 * call of this process that ran (`:a`, process id → sequence number). Calls go out in order on one
 * connection, so once Redis answers a PING again, a call without an answer ran if and only if its
 * number is at most that one; only those that did not run are added back. Nothing counts twice.
 */
export class RedisCounterStore implements CounterStore<false> {
  private readonly redis: ScriptedRedis;
  private readonly ownsClient: boolean;
  private readonly local: MemoryCounterStore;
  private readonly loadPersisted: PersistedUsage;
  private readonly ceilingPerMeter: boolean;
  private degraded = false;
  private since: number | null = null;
  private pending = new Map<string, Pending>();
  /** Calls counted here whose command got no answer, until it is known whether they ran in Redis. */
  private uncertain: Uncertain[] = [];
  /** This process, in the applied-calls hashes. */
  private readonly process = randomUUID();
  /** Sequence number of the last command sent. */
  private seq = 0;
  private probe: NodeJS.Timeout | null = null;
  private recovering: Promise<void> | null = null;
  private closed = false;
  /** Seeds read in this turn of the event loop, by account and meter. */
  private readonly seeds = new Map<string, { dayUsed: number; monthUsed: number; minuteUsed: number }>();

  constructor(private readonly o: RedisCounterStoreOptions) {
    this.ceilingPerMeter = o.ceilingPerMeter ?? false;
    this.local = new MemoryCounterStore(o.persisted, { ceilingPerMeter: this.ceilingPerMeter });
    this.loadPersisted = o.persisted;
    this.ownsClient = !o.redis;
    const redis = o.redis ?? new Redis(o.url ?? "redis://127.0.0.1:6379", redisOptions(o.commandTimeoutMs));
    redis.defineCommand("headroomCheck", { numberOfKeys: 6, lua: CHECK_SCRIPT });
    redis.defineCommand("headroomEvents", { lua: EVENTS_SCRIPT });
    redis.defineCommand("headroomReconcile", { lua: RECONCILE_SCRIPT });
    // Connection errors are reported once, as a transition (degrade), not per reconnection attempt.
    redis.on("error", (err: Error) => o.logger.debug({ err }, "redis connection error"));
    redis.on("ready", () => {
      if (this.degraded) void this.recover();
    });
    this.redis = redis as ScriptedRedis;
  }

  /** Waits until Redis is connected, at most `timeoutMs`; if it is not, calls start counted in this process. */
  async connect(timeoutMs = 2_000): Promise<void> {
    if (this.redis.status === "ready") return;
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.redis.once("ready", () => {
        clearTimeout(timer);
        resolve(true);
      });
      if (this.redis.status === "wait") this.redis.connect().catch(() => resolve(false));
    });
    if (!(await ready)) this.degrade(new Error(`Redis not ready after ${timeoutMs} ms`));
  }

  status(): CounterStoreStatus {
    return { backend: "redis", degraded: this.degraded, since: this.since };
  }

  // ---- calls ---------------------------------------------------------------------------------

  consume(req: ConsumeRequest): Consumed | Promise<Consumed> {
    if (this.degraded) return this.consumeLocally(req);
    return this.consumeShared(req);
  }

  private async consumeShared(req: ConsumeRequest): Promise<Consumed> {
    const { terms, meter, nowMs, cost } = req;
    const c = this.local.account(terms, nowMs, meter);
    const t = meter.isDefault ? terms : terms.meters[meter.id]!;
    const { caps, noticeDeliveredAtMs: n } = t;
    const tag = this.tag(terms.id);
    const ceilingKey = this.ceilingPerMeter && !meter.isDefault ? `${tag}:c:${req.keyId}:${meter.id}` : `${tag}:c:${req.keyId}`;
    const args: Array<string | number> = [
      `${tag}:m:${meter.id}`,
      this.dayKey(tag, meter, c),
      this.periodKey(tag, meter, c),
      ceilingKey,
      req.id === undefined ? `${tag}:i:${meter.id}` : `${tag}:i:${meter.id}:${req.id}`,
      `${tag}:a`,
      nowMs,
      cost,
      req.ceilingPerMinute,
      MODE[terms.mode],
      req.graceMs,
      caps.minute ?? "",
      caps.day ?? "",
      caps.month ?? "",
      n.minute ?? "",
      n.day ?? "",
      n.month ?? "",
      c.dayMs + DAY_MS - nowMs + WINDOW_SLACK_MS,
      c.period.endMs - nowMs + WINDOW_SLACK_MS,
      ID_TTL_MS,
      req.id === undefined ? 0 : 1,
      req.seen ? CODE[req.seen] : "",
      // The seed (none unless the script asks for it).
      "",
      "",
      "",
      this.process,
      0,
    ];
    let reply: number[];
    let seq = 0;
    try {
      args[args.length - 1] = seq = ++this.seq;
      reply = await this.redis.headroomCheck(...args);
      if (reply[0] === -1) {
        const seed = await this.seedOf(terms, meter, nowMs);
        args.splice(-5, 3, seed.dayUsed, seed.monthUsed, seed.minuteUsed);
        args[args.length - 1] = seq = ++this.seq;
        reply = await this.redis.headroomCheck(...args);
      }
    } catch (err) {
      this.degrade(err);
      return this.consumeLocally(req, this.uncertainFor(terms.id, tag, seq));
    }
    const decision = DECISIONS[reply[1]!]!;
    const duplicate = reply[4] === 1;
    // This process's view (the portal, detection, and the counts to go on from if Redis goes away).
    c.dayUsed = reply[7]!;
    c.monthUsed = reply[8]!;
    if (!duplicate && (decision === "allow" || decision === "would_throttle")) {
      c.minute.add(nowMs, cost);
      this.local.ceiling(req.keyId, meter).add(nowMs, cost);
    }
    return {
      decision,
      violated: WINDOW_SETS[reply[2]!]!,
      refusing: WINDOW_SETS[reply[3]!]!,
      duplicate,
      windows: {
        minuteUsed: reply[5]!,
        minuteResetAtMs: reply[6]!,
        dayUsed: reply[7]!,
        monthUsed: reply[8]!,
        period: c.period,
        monthFromMs: c.monthFromMs,
        ceilingUsed: reply[9]!,
        ceilingResetAtMs: reply[10]!,
      },
    };
  }

  consumeEvents(req: EventsRequest): EventOutcomes | Promise<EventOutcomes> {
    if (this.degraded) return this.eventsLocally(req);
    return this.eventsShared(req);
  }

  private async eventsShared(req: EventsRequest): Promise<EventOutcomes> {
    const { terms, meter, nowMs, events } = req;
    const c = this.local.account(terms, nowMs, meter);
    const caps = meter.isDefault ? terms.caps : terms.meters[meter.id]!.caps;
    const tag = this.tag(terms.id);
    const keys: string[] = [`${tag}:m:${meter.id}`, this.dayKey(tag, meter, c), this.periodKey(tag, meter, c), `${tag}:a`];
    for (const e of events) keys.push(`${tag}:i:${meter.id}:${e.id}`);
    const head: Array<string | number> = [
      terms.mode === "off" ? 0 : 1,
      caps.day ?? "",
      caps.month ?? "",
      c.dayMs,
      c.monthFromMs,
      c.dayMs + DAY_MS - nowMs + WINDOW_SLACK_MS,
      c.period.endMs - nowMs + WINDOW_SLACK_MS,
      ID_TTL_MS,
    ];
    const tail: Array<string | number> = [];
    for (const e of events) tail.push(e.cost, e.timestampMs);
    let reply: number[];
    let seq = 0;
    try {
      seq = ++this.seq;
      reply = await this.redis.headroomEvents(keys.length, ...keys, nowMs, ...head, "", "", "", this.process, seq, ...tail);
      if (reply[0] === -1) {
        const seed = await this.seedOf(terms, meter, nowMs);
        seq = ++this.seq;
        reply = await this.redis.headroomEvents(keys.length, ...keys, nowMs, ...head, seed.dayUsed, seed.monthUsed, seed.minuteUsed, this.process, seq, ...tail);
      }
    } catch (err) {
      this.degrade(err);
      return this.eventsLocally(req, this.uncertainFor(terms.id, tag, seq));
    }
    c.dayUsed = reply[1]!;
    c.monthUsed = reply[2]!;
    const out: EventOutcomes = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const code = reply[3 + i]!;
      if (code < 0) out[i] = null;
      else {
        out[i] = DECISIONS[code]!;
        c.minute.addAt(events[i]!.timestampMs, nowMs, events[i]!.cost);
      }
    }
    return out;
  }

  // ---- Redis unreachable ---------------------------------------------------------------------

  /** Where a call whose command got no answer is counted: apart, until reconcile knows whether it ran in Redis. */
  private uncertainFor(accountId: string, tag: string, seq: number): Pending {
    const counted: Pending = { counts: new Map(), ids: new Map() };
    this.uncertain.push({ accountId, appliedKey: `${tag}:a`, seq, counted });
    return counted;
  }

  /** @param into where the increments go to be added to Redis later (default: the account's pending ones). */
  private consumeLocally(req: ConsumeRequest, into?: Pending): Consumed {
    const out = this.local.consume(req);
    this.o.metrics?.counterStoreFallbackCalls.inc();
    if (!out.duplicate) {
      const { terms, meter } = req;
      const c = this.local.account(terms, req.nowMs, meter);
      const p = into ?? this.pendingOf(terms.id);
      const tag = this.tag(terms.id);
      if (out.decision === "allow" || out.decision === "would_throttle") {
        add(p.counts, this.dayKey(tag, meter, c), req.cost);
        add(p.counts, this.periodKey(tag, meter, c), req.cost);
      }
      if (req.id !== undefined) p.ids.set(`${tag}:i:${meter.id}:${req.id}`, CODE[out.decision]);
    }
    return out;
  }

  private eventsLocally(req: EventsRequest, into?: Pending): EventOutcomes {
    const { terms, meter, nowMs, events } = req;
    const c = this.local.account(terms, nowMs, meter);
    const dayMs = c.dayMs;
    const monthFromMs = c.monthFromMs;
    const out = countEvents(c, terms, meter, nowMs, events);
    this.o.metrics?.counterStoreFallbackCalls.inc();
    const p = into ?? this.pendingOf(terms.id);
    const tag = this.tag(terms.id);
    const dayKey = this.dayKey(tag, meter, c);
    const periodKey = this.periodKey(tag, meter, c);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.timestampMs >= dayMs) add(p.counts, dayKey, e.cost);
      if (e.timestampMs >= monthFromMs) add(p.counts, periodKey, e.cost);
      p.ids.set(`${tag}:i:${meter.id}:${e.id}`, CODE[out[i]!]);
    }
    return out;
  }

  private pendingOf(accountId: string): Pending {
    let p = this.pending.get(accountId);
    if (!p) this.pending.set(accountId, (p = { counts: new Map(), ids: new Map() }));
    return p;
  }

  /** Redis failed a command: from now on calls are counted here until it answers again (one log line). */
  private degrade(err: unknown): void {
    if (this.degraded || this.closed) return;
    this.degraded = true;
    this.since = this.o.clock.now();
    this.o.metrics?.counterStoreDegraded.set(1);
    this.o.logger.warn({ err }, "redis counter store unreachable: counting calls in this process until it answers again");
    this.probe = setInterval(() => void this.recover(), this.o.probeMs ?? 1_000);
    this.probe.unref();
  }

  /** Adds what was counted here to Redis, then sends calls to Redis again. */
  recover(): Promise<void> {
    if (!this.degraded || this.closed) return Promise.resolve();
    this.recovering ??= this.reconcile().finally(() => {
      this.recovering = null;
    });
    return this.recovering;
  }

  private async reconcile(): Promise<void> {
    if (this.redis.status !== "ready") return;
    // Connected is not answering (a paused or overloaded Redis): it must answer before calls go back to it.
    try {
      await this.redis.ping();
    } catch {
      return;
    }
    // Every command sent before that PING has run or never will: the calls without an answer that
    // ran in Redis are dropped, the others are added back with the rest.
    if (this.uncertain.length) {
      const waiting = this.uncertain;
      try {
        const lastRan = new Map<string, number>();
        for (const key of new Set(waiting.map((u) => u.appliedKey))) lastRan.set(key, Number((await this.redis.hget(key, this.process)) ?? 0));
        this.uncertain = this.uncertain.filter((u) => !waiting.includes(u));
        for (const u of waiting) {
          if (u.seq <= lastRan.get(u.appliedKey)!) continue;
          const p = this.pendingOf(u.accountId);
          for (const [k, n] of u.counted.counts) add(p.counts, k, n);
          for (const [k, d] of u.counted.ids) if (!p.ids.has(k)) p.ids.set(k, d);
        }
      } catch {
        return;
      }
    }
    // Calls keep being counted here while this runs: until nothing is left, in rounds.
    for (let round = 0; round < 10 && this.degraded; round++) {
      const batch = this.pending;
      this.pending = new Map();
      const left = [...batch];
      try {
        while (left.length) {
          const p = left[0]![1];
          const keys = [...p.counts.keys(), ...p.ids.keys()];
          if (keys.length) await this.redis.headroomReconcile(keys.length, ...keys, p.counts.size, ...p.counts.values(), ID_TTL_MS, ...p.ids.values());
          left.shift();
        }
      } catch (err) {
        for (const [accountId, p] of left) {
          const now = this.pendingOf(accountId);
          for (const [k, n] of p.counts) add(now.counts, k, n);
          for (const [k, d] of p.ids) if (!now.ids.has(k)) now.ids.set(k, d);
        }
        this.o.logger.debug({ err }, "redis counter store still unreachable");
        return;
      }
      if (this.pending.size === 0) {
        // Nothing was counted here since the last round: switch back in this same tick.
        this.degraded = false;
        this.since = this.o.clock.now();
        if (this.probe) clearInterval(this.probe);
        this.probe = null;
        this.o.metrics?.counterStoreDegraded.set(0);
        this.o.logger.info("redis counter store answers again: what was counted in this process meanwhile was added to it");
        return;
      }
    }
  }

  // ---- views and keys ------------------------------------------------------------------------

  account(terms: AccountTerms, nowMs: number, meter: MeterRef): AccountCounters {
    return this.local.account(terms, nowMs, meter);
  }

  stale(terms: AccountTerms, meter: MeterRef): boolean {
    return this.local.stale(terms, meter);
  }

  knows(accountId: string, meter: MeterRef): boolean {
    return this.local.knows(accountId, meter);
  }

  forget(accountId: string): void {
    this.local.forget(accountId);
  }

  /** Every key of this store starts with this (tests and tools delete by it). */
  get prefix(): string {
    return this.o.prefix;
  }

  private tag(accountId: string): string {
    return `${this.o.prefix}{${accountId}}`;
  }

  private dayKey(tag: string, meter: MeterRef, c: AccountCounters): string {
    return `${tag}:d:${meter.id}:${c.dayMs}`;
  }

  private periodKey(tag: string, meter: MeterRef, c: AccountCounters): string {
    return `${tag}:p:${meter.id}:${c.monthFromMs}-${c.period.endMs}`;
  }

  /**
   * The counts a missing window is seeded with. With an asynchronous store (PostgreSQL) they are read
   * from it now; if it cannot answer, this process's own view of the account stands in (what it read
   * when it first met the account, plus what it counted since), and the call is still answered.
   */
  private async seedOf(terms: AccountTerms, meter: MeterRef, nowMs: number): Promise<{ dayUsed: number; monthUsed: number; minuteUsed: number }> {
    if (!this.o.seed) return this.persisted(terms, meter, nowMs);
    try {
      return await this.o.seed(terms.id, meter.column, terms.billingAnchorMs, nowMs, terms.planStartedAtMs, terms.quotaWindow);
    } catch (err) {
      this.o.logger.warn({ err, accountId: terms.id }, "could not read the rollups to seed the shared counts; seeding from this instance's view");
      const c = this.local.account(terms, nowMs, meter);
      return { dayUsed: c.dayUsed, monthUsed: c.monthUsed, minuteUsed: c.minute.count(nowMs) };
    }
  }

  /** The rollups' counts to seed missing windows with; read once for the calls of a burst that all found them missing. */
  private persisted(terms: AccountTerms, meter: MeterRef, nowMs: number): { dayUsed: number; monthUsed: number; minuteUsed: number } {
    const k = `${terms.id}\u0000${meter.id}`;
    let seed = this.seeds.get(k);
    if (!seed) {
      seed = this.loadPersisted(terms.id, meter.column, terms.billingAnchorMs, nowMs, terms.planStartedAtMs, terms.quotaWindow);
      if (this.seeds.size === 0) setImmediate(() => this.seeds.clear());
      this.seeds.set(k, seed);
    }
    return seed;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
    if (!this.ownsClient) return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

function add(m: Map<string, number>, k: string, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

/** No offline queue and short timeouts: a call never waits long for an unreachable Redis. */
export function redisOptions(commandTimeoutMs = 1_000): RedisOptions {
  return {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
  };
}
