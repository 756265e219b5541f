import type { Catalog } from "../../shared/catalog";
import type { LimitStatus } from "../../shared/limits";
import { meteringQueries, type MeteringQueries, type MeteringStore } from "../db/queries/metering";
import { hashKey } from "../keys/keys";
import { persistedUsage } from "../db/queries/usage";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import { DECISION_TIMING_SAMPLE, type Metrics } from "../lib/metrics";
import { checkResult, limitsOf, windowsOf, type CallParts, type CheckResult, type Consumed } from "./check-result";
import { MemoryCounterStore, type Answer, type CounterStore, type CounterStoreStatus } from "./counter-store";
import type { AccountCounters } from "./counters";
import { Flusher } from "./flusher";
import { KeyCache } from "./key-cache";
import { MeterSpecs, type MeterSpec, type UnknownMeter } from "./meters";
import { recordEvents, type EventsResult, type UsageEvent } from "./record-events";
import type { AccountTerms } from "./terms";
import type { PrimedReads, SyncReads } from "./primed-reads";
import { TermsCache } from "./terms-cache";
import { UsageBuffer } from "./usage-buffer";

export type { CeilingStatus, CheckResult } from "./check-result";
export type { EventRejectReason, EventsResult, UsageEvent } from "./record-events";
export type { MeterSpec, UnknownMeter } from "./meters";

/**
 * On PostgreSQL, a call this instance cannot decide because the database does not answer and it has
 * nothing to stand in (a key or an account it never read). Answered 503 with Retry-After: the
 * caller retries; it is not a refusal.
 */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

/** Where an account stands on one meter. */
export interface MeterStanding {
  meter: MeterSpec;
  caps: AccountTerms["caps"];
  noticeDeliveredAtMs: AccountTerms["noticeDeliveredAtMs"];
  limits: LimitStatus[];
}

export interface MeterOptions<Sync extends boolean = true> {
  /** The plans the terms are read from. */
  catalog: Catalog;
  /** The SQLite database (the embedded default): every read answers at once, and so does check(). */
  sqlite?: MeteringStore;
  /**
   * Or an asynchronous store's reads (PostgreSQL): before each call is decided the meter reads what it
   * lacks into these, and check() answers a promise. The same object the counter store starts from.
   */
  primed?: PrimedReads;
  /** PostgreSQL: the advice the upgrade link of an over-cap answer carries, read before the call is decided. */
  prepareRecommendation?: (accountId: string) => Promise<unknown>;
  /** Names this process's flushes (their batch ids) on an asynchronous store. */
  instanceId?: string;
  /** Usage kept unwritten at most while the database cannot be written (see Flusher). */
  maxPendingRows?: number;
  clock: Clock;
  logger: Logger;
  /** How often the buffer is written (ms). */
  flushMs: number;
  /** Per-key safety ceiling, calls per minute, enforced in every mode (per key across meters, or per key and meter: the catalog's `keyCeiling`). */
  ceilingPerMinute: number;
  /** How long after a delivered notice a cap may refuse calls (ms). */
  graceMs: number;
  /** Events older than this are rejected by recordEvents (ms). */
  maxLatenessMs: number;
  /** Which plan to offer an account that is over a cap (null: none). */
  recommendPlan?: (accountId: string) => string | null;
  /** Called after each successful flush with the accounts whose counts changed. */
  onFlushed?: (accountIds: string[]) => void;
  /** Called when another connection (another process, the CLI) has committed since the last look. */
  onChangedElsewhere?: () => void;
  /** Where the windows' counts live (default: this process's memory; RedisCounterStore to share them between processes). */
  counters?: CounterStore<Sync>;
  metrics?: Metrics;
}

/**
 * The metering engine, as an orchestrator of its parts: the key cache, the terms (resolved by a pure
 * function, cached until they change), the counter store that decides and counts each call, and the
 * usage buffer written to the rollups in one transaction per flush. A call is counted once:
 * idempotency ids are written in the same transaction as the counts, and an unflushed buffer is lost
 * whole or not at all.
 */
export class Meter<Sync extends boolean = true> {
  /** SQLite's statements; null on an asynchronous store. */
  private readonly lite: MeteringQueries | null;
  /** An asynchronous store's reads, made before each decision; null on SQLite. */
  private readonly primed: PrimedReads | null;
  private readonly reads: SyncReads;
  /** The catalog's meters, resolved once. */
  readonly meters: MeterSpecs;
  private readonly keys: KeyCache;
  private readonly terms: TermsCache;
  private readonly counters: CounterStore;
  private readonly buffer = new UsageBuffer();
  private readonly flusher: Flusher;
  /** Decisions so far, for sampling their timing. */
  private calls = 0;
  private timer: NodeJS.Timeout | null = null;
  private dataVersion: number;
  /** When a failed read ahead was last logged (clock ms). */
  private lastReadWarningMs = -Infinity;

  constructor(private readonly o: MeterOptions<Sync>) {
    if (!o.sqlite === !o.primed) throw new Error("A meter counts on SQLite or on an asynchronous store: give one of them");
    this.lite = o.sqlite ? meteringQueries(o.sqlite) : null;
    this.primed = o.primed ?? null;
    this.reads = this.lite ?? this.primed!.reads;
    this.meters = new MeterSpecs(o.catalog);
    this.keys = new KeyCache(this.reads.keyByHash);
    this.terms = new TermsCache(this.reads, o.clock, o.catalog);
    const flushing = { ...o, ...(o.instanceId !== undefined ? { instanceId: o.instanceId } : {}), ...(o.maxPendingRows !== undefined ? { maxPendingRows: o.maxPendingRows } : {}) };
    this.flusher = new Flusher(this.buffer, this.lite ? this.lite.writeBatch : this.primed!.source, flushing);
    const persisted = o.sqlite ? persistedUsage(o.sqlite) : this.primed!.persistedUsage;
    this.counters = o.counters ?? new MemoryCounterStore(persisted, { ceilingPerMeter: o.catalog.data.keyCeiling === "per-meter" });
    this.dataVersion = this.lite?.dataVersion() ?? 0;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refreshIfChangedElsewhere();
      this.flush();
    }, this.o.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is buffered; retries a busy database until `deadlineMs`. */
  async stop(deadlineMs = 4_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flusher.drain(deadlineMs);
    if (this.pendingCount() > 0) this.o.logger.error({ pending: this.pendingCount() }, "meter stopped with unflushed usage");
    await this.counters.close();
  }

  /** Where the counts live and whether the shared store is reachable. */
  counterStatus(): CounterStoreStatus {
    return this.counters.status();
  }

  // ---- what changed ------------------------------------------------------------------------

  /** Another connection (the CLI, a second process) committed: forget cached keys and terms. */
  refreshIfChangedElsewhere(): void {
    // An asynchronous store has no data_version: other instances' changes come through the change relay.
    if (!this.lite) return;
    const v = this.lite.dataVersion();
    if (v === this.dataVersion) return;
    this.dataVersion = v;
    this.keys.clear();
    this.terms.clear();
    this.o.onChangedElsewhere?.();
  }

  /** A key was revoked or created in this process. */
  invalidateKeys(): void {
    this.keys.clear();
  }

  /** The account's plan or terms changed: new caps from the next call, counters rebuilt from the rollups after a flush. */
  reloadAccount(accountId: string): void {
    this.terms.forget(accountId);
    this.rebuildAfterFlush(accountId);
  }

  /** Forgets the account's counts once what this process counted is written, so they are rebuilt from the rollups. */
  private rebuildAfterFlush(accountId: string): void {
    if (this.lite) {
      // If the write must wait, the next call finds the counts stale and tries again.
      if (this.flush()) this.counters.forget(accountId);
      return;
    }
    void this.flusher.flushAsync().then((written) => {
      if (written) this.counters.forget(accountId);
    });
  }

  /** An operator changed a plan's enforcement mode: every account's terms are re-read. */
  invalidateAllTerms(): void {
    this.terms.clear();
  }

  /** An account's plan, overrides or notices changed in this process. */
  invalidateAccount(accountId: string): void {
    this.terms.forget(accountId);
  }

  // ---- the parts ---------------------------------------------------------------------------

  /**
   * The plan changed in another process (a new period, a new plan's quota): the counts are rebuilt
   * from the rollups once what this process counted is written (if the write must wait, the next call rebuilds).
   */
  private refreshIfStale(terms: AccountTerms, meter: MeterSpec): void {
    if (this.counters.stale(terms, meter)) this.rebuildAfterFlush(terms.id);
  }

  private countersFor(terms: AccountTerms, nowMs: number, meter: MeterSpec): AccountCounters {
    this.refreshIfStale(terms, meter);
    return this.counters.account(terms, nowMs, meter);
  }

  // ---- the decision ------------------------------------------------------------------------

  /**
   * Decides one call of `cost` for `key` on a meter (the catalog's default meter when none is named),
   * counts it, and says where the account stands on that meter. A meter the catalog does not declare
   * is refused before anything else, and nothing is counted.
   */
  check(key: string, cost: number, id?: string, meter?: string): Answer<CheckResult, Sync> {
    // A synchronous store answers synchronously (Sync = true): the cast only restates that.
    if (!this.primed) return this.timedCheck(key, cost, id, meter) as Answer<CheckResult, Sync>;
    return this.readAhead(key, id, meter).then(() => this.timedCheck(key, cost, id, meter)) as Answer<CheckResult, Sync>;
  }

  // ---- reading ahead (an asynchronous store) ---------------------------------------------

  /** Reads what deciding this call will look up and the caches lack: the key, the account's terms and counts, the id's first decision, the advice. */
  private async readAhead(key: string, id: string | undefined, meterId: string | undefined): Promise<void> {
    const meter = meterId === undefined ? this.meters.default : this.meters.get(meterId);
    if (!meter) return;
    if (!this.keys.has(key)) {
      await this.primed!.key(hashKey(key)).catch((err: unknown) => {
        throw new DatabaseUnavailableError("A key this instance has not seen yet cannot be checked while the database does not answer.", { cause: err });
      });
    }
    const entry = this.keys.get(key);
    if (!entry || entry.revoked) return;
    await this.readAccount(entry.accountId, [meter]);
    if (id !== undefined && !this.buffer.pendingId(entry.accountId, meter, id)) {
      // Unreadable (the database down): the id is taken as new here; with Redis, its own record of ids still decides.
      await this.primed!.seenDecision(entry.accountId, meter.column, id).catch((err: unknown) => {
        this.primed!.assumeUnseen(entry.accountId, meter.column, id);
        this.readFailed(err, "an id's first decision");
      });
    }
  }

  /** Logs a read ahead that failed and was stood in for, once a minute at most (the database may be down for a while). */
  private readFailed(err: unknown, what: string): void {
    const now = this.o.clock.now();
    if (now - this.lastReadWarningMs < 60_000) return;
    this.lastReadWarningMs = now;
    this.o.logger.warn({ err, what }, "could not read ahead from the database; answering from what this instance holds");
  }

  /** The account's terms (when not kept), each meter's counts (when the store does not hold them), and the advice. */
  private async readAccount(accountId: string, meters: readonly MeterSpec[]): Promise<void> {
    const p = this.primed!;
    const now = this.o.clock.now();
    if (!this.terms.fresh(accountId)) {
      try {
        if (!(await p.account(accountId, this.terms.noticesSince(now)))) return;
      } catch (err) {
        // Terms read before stand while the database cannot answer; an account never read cannot be decided.
        if (!p.hasAccount(accountId)) throw new DatabaseUnavailableError("An account this instance has not seen yet cannot be checked while the database does not answer.", { cause: err });
        this.readFailed(err, "an account's terms");
      }
    }
    const terms = this.terms.get(accountId);
    await Promise.all(
      meters
        .filter((m) => !this.counters.knows(accountId, m) || this.counters.stale(terms, m))
        .map((m) =>
          p.persisted(accountId, m.column, terms.billingAnchorMs, now, terms.planStartedAtMs, terms.quotaWindow).catch((err: unknown) => {
            // Counted from nothing here until the database answers (with Redis, the shared counts still hold).
            p.assumeNoUsage(accountId, m.column);
            this.readFailed(err, "the rollups' counts");
          }),
        ),
    );
    // The upgrade link is advice: without it the call is still answered.
    await this.o.prepareRecommendation?.(accountId)?.catch((err: unknown) => this.readFailed(err, "the advice"));
  }

  /**
   * On an asynchronous store, reads what standing() and limitsFor() will look up for the account;
   * on SQLite there is nothing to read first. Callers off the hot path await it before either.
   */
  async prepare(accountId: string): Promise<void> {
    if (this.primed) await this.readAccount(accountId, this.meters.all);
  }

  private timedCheck(key: string, cost: number, id: string | undefined, meter: string | undefined): CheckResult | Promise<CheckResult> {
    const m = this.o.metrics;
    if (!m) return this.decideCall(key, cost, id, meter);
    // The first call and every 16th after it: a quiet server still shows a latency.
    if (this.calls++ % DECISION_TIMING_SAMPLE === 0) {
      const started = performance.now();
      const r = this.decideCall(key, cost, id, meter);
      if (r instanceof Promise)
        return r.then((done) => {
          m.decisionSeconds.observe((performance.now() - started) / 1000);
          return this.tally(done);
        });
      m.decisionSeconds.observe((performance.now() - started) / 1000);
      return this.tally(r);
    }
    const r = this.decideCall(key, cost, id, meter);
    return r instanceof Promise ? r.then((done) => this.tally(done)) : this.tally(r);
  }

  private tally(r: CheckResult): CheckResult {
    const m = this.o.metrics!;
    if (r.ok) m.decisionTally.add(`${r.decision}\u0000${r.plan.id}`, { decision: r.decision, plan: r.plan.id });
    else m.decisionTally.add(r.reason, { decision: r.reason, plan: "none" });
    return r;
  }

  private decideCall(key: string, cost: number, id: string | undefined, meterId: string | undefined): CheckResult | Promise<CheckResult> {
    const meter = meterId === undefined ? this.meters.default : this.meters.get(meterId);
    if (!meter) return this.meters.unknown(meterId!);
    const entry = this.keys.get(key);
    if (!entry) return { ok: false, reason: "unknown_key" };
    if (entry.revoked) return { ok: false, reason: "revoked_key" };
    const nowMs = this.o.clock.now();
    const terms = this.terms.get(entry.accountId);
    this.refreshIfStale(terms, meter);
    const parts: CallParts = { entry, terms, meter, ceilingPerMinute: this.o.ceilingPerMinute, nowMs, cost, recommend: this.o.recommendPlan };
    const seen = id === undefined ? null : (this.buffer.pendingId(terms.id, meter, id)?.decision ?? this.reads.seenDecision(terms.id, meter.column, id));
    const out = this.counters.consume({ terms, meter, keyId: entry.keyId, cost, nowMs, ceilingPerMinute: this.o.ceilingPerMinute, graceMs: this.o.graceMs, id, seen });
    return out instanceof Promise ? out.then((o) => this.counted(parts, o, id)) : this.counted(parts, out, id);
  }

  /** Buffers what the store counted (nothing for a duplicate) and builds the answer. */
  private counted(parts: CallParts, o: Consumed, id: string | undefined): CheckResult {
    if (!o.duplicate) {
      const { nowMs, terms, meter, cost } = parts;
      const { decision } = o;
      this.buffer.addCall(nowMs, parts.entry.keyId, terms.id, meter, decision, cost);
      if (decision !== "allow") {
        for (const w of decision === "ceiling" ? ["ceiling"] : decision === "throttle" ? o.refusing : o.violated) this.buffer.addLimitEvent(nowMs, terms.id, meter.id, w, decision, cost);
      }
      if (id !== undefined) this.buffer.addId(terms.id, meter, id, { decision, seenAtMs: nowMs });
    }
    return checkResult(parts, o);
  }

  /** The meter a request names (the default meter when it names none), or undefined for one the catalog does not declare. */
  meterOf(id: string | undefined): MeterSpec | undefined {
    return this.meters.get(id);
  }

  /** The first meter of `ids` the catalog does not declare, as the refusal to answer; null when every one is known. */
  unknownMeterIn(ids: Iterable<string | undefined>): UnknownMeter | null {
    for (const id of ids) if (id !== undefined && !this.meters.get(id)) return this.meters.unknown(id);
    return null;
  }

  /**
   * An account's terms and where it stands, for detection: the default meter's caps, notices and
   * limits (as before meters), and every meter's in `meters` (default first).
   */
  standing(accountId: string) {
    const now = this.o.clock.now();
    const terms = this.terms.get(accountId);
    let period: { startMs: number; endMs: number } | undefined;
    const meters: MeterStanding[] = this.meters.all.map((meter) => {
      const counters = this.countersFor(terms, now, meter);
      period ??= counters.period;
      const t = meter.isDefault ? terms : terms.meters[meter.id]!;
      return { meter, caps: t.caps, noticeDeliveredAtMs: t.noticeDeliveredAtMs, limits: limitsOf(terms, windowsOf(counters, null, 0, now, t.caps.minute, 1), now, t.caps) };
    });
    const main = meters[0]!;
    return { name: terms.name, plan: terms.plan, mode: terms.mode, caps: main.caps, noticeDeliveredAtMs: main.noticeDeliveredAtMs, limits: main.limits, period: period!, meters };
  }

  /** Where an account stands right now on a meter (the default meter when none is named; live counters), for the portal and /v1. */
  limitsFor(accountId: string, meterId?: string): { limits: LimitStatus[]; period: { startMs: number; endMs: number } } {
    const meter = this.meters.get(meterId);
    if (!meter) throw new RangeError(`The catalog has no meter "${meterId}".`);
    const now = this.o.clock.now();
    const terms = this.terms.get(accountId);
    const counters = this.countersFor(terms, now, meter);
    const caps = meter.isDefault ? terms.caps : terms.meters[meter.id]!.caps;
    return { limits: limitsOf(terms, windowsOf(counters, null, 0, now, caps.minute, 1), now, caps), period: counters.period };
  }

  /** Usage the provider already served (/v1/events), each event decided and counted once by its id on its meter. */
  recordEvents(events: UsageEvent[]): Answer<EventsResult, Sync> {
    if (!this.primed) return this.recordNow(events);
    return this.readAheadEvents(events).then(() => this.recordNow(events)) as Answer<EventsResult, Sync>;
  }

  /** Reads what recording a batch will look up: its keys, its accounts' terms and counts, which of its ids are stored already. */
  private async readAheadEvents(events: readonly UsageEvent[]): Promise<void> {
    const p = this.primed!;
    const keys = [...new Set(events.map((e) => e.key))];
    await Promise.all(keys.filter((k) => !this.keys.has(k)).map((k) => p.key(hashKey(k))));
    const groups = new Map<string, { accountId: string; meter: MeterSpec; ids: string[] }>();
    for (const e of events) {
      const meter = this.meters.get(e.meter);
      const entry = meter ? this.keys.get(e.key) : null;
      if (!meter || !entry || entry.revoked) continue;
      const k = `${entry.accountId}\u0000${meter.id}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { accountId: entry.accountId, meter, ids: [] }));
      g.ids.push(e.id);
    }
    const accounts = new Map<string, MeterSpec[]>();
    for (const g of groups.values()) accounts.set(g.accountId, [...(accounts.get(g.accountId) ?? []), g.meter]);
    await Promise.all([...accounts].map(([accountId, meters]) => this.readAccount(accountId, meters)));
    await Promise.all(
      [...groups.values()].map((g) =>
        p.storedIds(g.accountId, g.meter.column, g.ids).catch((err: unknown) => {
          // Unreadable: the ids are taken as new here; with Redis, its own record of ids still decides.
          p.assumeStored(g.accountId, g.meter.column, []);
          this.readFailed(err, "a batch's stored ids");
        }),
      ),
    );
  }

  private recordNow(events: UsageEvent[]): Answer<EventsResult, Sync> {
    const nowMs = this.o.clock.now();
    // As check(): a synchronous store records synchronously.
    return recordEvents(
      {
        nowMs,
        maxLatenessMs: this.o.maxLatenessMs,
        key: (k) => this.keys.get(k),
        meter: (id) => this.meters.get(id),
        terms: (accountId) => this.terms.get(accountId),
        consume: (req) => {
          this.refreshIfStale(req.terms, this.meters.get(req.meter.id)!);
          return this.counters.consumeEvents(req);
        },
        storedIds: this.reads.storedIds,
        buffer: this.buffer,
      },
      events,
    ) as Answer<EventsResult, Sync>;
  }

  // ---- flush -------------------------------------------------------------------------------

  /** Rows and ids waiting for the next flush. */
  pendingCount(): number {
    return this.buffer.size();
  }

  /** Writes the buffer to the rollups (see Flusher); true when nothing is pending. */
  flush(): boolean {
    return this.flusher.flush();
  }

  /**
   * Writes what is buffered now (on an asynchronous store, waits for the write); true when nothing is pending
   * afterwards. A write already under way carries an earlier batch: after it, what was buffered since is
   * written too (unless a failed write is waiting for its retry).
   */
  async flushNow(): Promise<boolean> {
    return (await this.flusher.flushAsync()) || this.flusher.flushAsync();
  }

  /** Forgets idempotency ids older than `retainMs` (at least 48 h). */
  async pruneIds(retainMs: number): Promise<number> {
    const beforeMs = this.o.clock.now() - Math.max(retainMs, 48 * 3_600_000);
    return this.lite ? this.lite.pruneIds(beforeMs) : this.primed!.source.pruneIds(beforeMs);
  }
}
