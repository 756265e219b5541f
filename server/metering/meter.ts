import type { Catalog } from "../../shared/catalog";
import type { LimitStatus } from "../../shared/limits";
import { meteringQueries, type MeteringQueries, type MeteringStore } from "../db/queries/metering";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import { DECISION_TIMING_SAMPLE, type Metrics } from "../lib/metrics";
import { checkResult, limitsOf, type CallParts, type CheckResult } from "./check-result";
import { MemoryCounterStore, type CounterStore } from "./counter-store";
import type { AccountCounters } from "./counters";
import { Flusher } from "./flusher";
import { KeyCache } from "./key-cache";
import { recordEvents, type EventsResult, type UsageEvent } from "./record-events";
import type { AccountTerms } from "./terms";
import { TermsCache } from "./terms-cache";
import { UsageBuffer } from "./usage-buffer";

export type { CeilingStatus, CheckResult } from "./check-result";
export type { EventRejectReason, EventsResult, UsageEvent } from "./record-events";

export interface MeterOptions {
  /** The plans the terms are read from. */
  catalog: Catalog;
  sqlite: MeteringStore;
  clock: Clock;
  logger: Logger;
  /** How often the buffer is written (ms). */
  flushMs: number;
  /** Per-key safety ceiling, calls per minute, enforced in every mode. */
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
  /** Where the windows' counts live (default: this process's memory). */
  counters?: CounterStore;
  metrics?: Metrics;
}

/**
 * The metering engine, as an orchestrator of its parts: the key cache, the terms (resolved by a pure
 * function, cached until they change), the counter store that decides and counts each call, and the
 * usage buffer written to the rollups in one transaction per flush. A call is counted once:
 * idempotency ids are written in the same transaction as the counts, and an unflushed buffer is lost
 * whole or not at all.
 */
export class Meter {
  private readonly q: MeteringQueries;
  private readonly keys: KeyCache;
  private readonly terms: TermsCache;
  private readonly counters: CounterStore;
  private readonly buffer = new UsageBuffer();
  private readonly flusher: Flusher;
  /** Decisions so far, for sampling their timing. */
  private calls = 0;
  private timer: NodeJS.Timeout | null = null;
  private dataVersion: number;

  constructor(private readonly o: MeterOptions) {
    this.q = meteringQueries(o.sqlite);
    this.keys = new KeyCache(this.q.keyByHash);
    this.terms = new TermsCache(this.q, o.clock, o.catalog);
    this.flusher = new Flusher(this.buffer, this.q.writeBatch, o);
    this.counters = o.counters ?? new MemoryCounterStore(o.sqlite);
    this.dataVersion = this.q.dataVersion();
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
    const until = Date.now() + deadlineMs;
    while (!this.flush() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    if (this.pendingCount() > 0) this.o.logger.error({ pending: this.pendingCount() }, "meter stopped with unflushed usage");
  }

  // ---- what changed ------------------------------------------------------------------------

  /** Another connection (the CLI, a second process) committed: forget cached keys and terms. */
  refreshIfChangedElsewhere(): void {
    const v = this.q.dataVersion();
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
    if (this.flush()) this.counters.forget(accountId);
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

  private countersFor(terms: AccountTerms, nowMs: number): AccountCounters {
    // The plan changed in another process (a new period, a new plan's quota): rebuilt from the
    // rollups once what this process counted is written (if the write must wait, the next call rebuilds).
    if (this.counters.stale(terms) && this.flush()) this.counters.forget(terms.id);
    return this.counters.account(terms, nowMs);
  }

  // ---- the decision ------------------------------------------------------------------------

  /** Decides one call of `cost` for `key`, counts it, and says where the account stands. */
  check(key: string, cost: number, id?: string): CheckResult {
    const m = this.o.metrics;
    if (!m) return this.decideCall(key, cost, id);
    let r: CheckResult;
    // The first call and every 16th after it: a quiet server still shows a latency.
    if (this.calls++ % DECISION_TIMING_SAMPLE === 0) {
      const started = performance.now();
      r = this.decideCall(key, cost, id);
      m.decisionSeconds.observe((performance.now() - started) / 1000);
    } else r = this.decideCall(key, cost, id);
    if (r.ok) m.decisionTally.add(`${r.decision}\u0000${r.plan.id}`, { decision: r.decision, plan: r.plan.id });
    else m.decisionTally.add(r.reason, { decision: r.reason, plan: "none" });
    return r;
  }

  private decideCall(key: string, cost: number, id?: string): CheckResult {
    const entry = this.keys.get(key);
    if (!entry) return { ok: false, reason: "unknown_key" };
    if (entry.revoked) return { ok: false, reason: "revoked_key" };
    const nowMs = this.o.clock.now();
    const terms = this.terms.get(entry.accountId);
    const counters = this.countersFor(terms, nowMs);
    const parts: CallParts = { entry, terms, counters, ceiling: this.counters.ceiling(entry.keyId), ceilingPerMinute: this.o.ceilingPerMinute, nowMs, cost, recommend: this.o.recommendPlan };

    const previous = id === undefined ? null : (this.buffer.pendingId(terms.id, id)?.decision ?? this.q.seenDecision(terms.id, id));
    if (previous) return checkResult(parts, { decision: previous, violated: [], refusing: [], duplicate: true });

    const { decision, violated, refusing } = this.counters.consume({ terms, keyId: entry.keyId, cost, nowMs, ceilingPerMinute: this.o.ceilingPerMinute, graceMs: this.o.graceMs });
    this.buffer.addCall(nowMs, entry.keyId, terms.id, decision, cost);
    if (decision !== "allow") {
      for (const w of decision === "ceiling" ? ["ceiling"] : decision === "throttle" ? refusing : violated) this.buffer.addLimitEvent(nowMs, terms.id, w, decision, cost);
    }
    if (id !== undefined) this.buffer.addId(terms.id, id, { decision, seenAtMs: nowMs });
    return checkResult(parts, { decision, violated, refusing, duplicate: false });
  }

  /** An account's terms and where it stands, for detection. */
  standing(accountId: string) {
    const now = this.o.clock.now();
    const terms = this.terms.get(accountId);
    const counters = this.countersFor(terms, now);
    return { name: terms.name, plan: terms.plan, mode: terms.mode, caps: terms.caps, noticeDeliveredAtMs: terms.noticeDeliveredAtMs, limits: limitsOf(terms, counters, now), period: counters.period };
  }

  /** Where an account stands right now (live counters), for the portal and /v1. */
  limitsFor(accountId: string): { limits: LimitStatus[]; period: { startMs: number; endMs: number } } {
    const now = this.o.clock.now();
    const terms = this.terms.get(accountId);
    const counters = this.countersFor(terms, now);
    return { limits: limitsOf(terms, counters, now), period: counters.period };
  }

  /** Usage the provider already served (/v1/events), each event decided and counted once by its id. */
  recordEvents(events: UsageEvent[]): EventsResult {
    const nowMs = this.o.clock.now();
    return recordEvents(
      {
        nowMs,
        maxLatenessMs: this.o.maxLatenessMs,
        key: (k) => this.keys.get(k),
        terms: (accountId) => this.terms.get(accountId),
        counters: (terms) => this.countersFor(terms, nowMs),
        storedIds: this.q.storedIds,
        buffer: this.buffer,
      },
      events,
    );
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

  /** Forgets idempotency ids older than `retainMs` (at least 48 h). */
  pruneIds(retainMs: number): number {
    return this.q.pruneIds(this.o.clock.now() - Math.max(retainMs, 48 * 3_600_000));
  }
}
