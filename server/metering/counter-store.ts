import type { MeterColumn } from "../db/queries/usage";
import { nextCostAfter, windowsOf, type Consumed } from "./check-result";
import { AccountCounters } from "./counters";
import { decide, type Decision, type DecideResult } from "./decide";
import type { MeterSpec } from "./meters";
import { SlidingMinute } from "./sliding-minute";
import type { AccountTerms } from "./terms";

/** What the store needs to know of a meter. */
export type MeterRef = Pick<MeterSpec, "id" | "isDefault" | "column">;

/**
 * What the rollups hold for an account's current windows on one meter (the calls served today, in
 * the quota window, in this minute): the counts a store starts from when it first meets the account.
 * Synchronous: on SQLite a read of the rollups; on PostgreSQL what the meter read before the call.
 */
export type PersistedUsage = (
  accountId: string,
  meter: MeterColumn,
  billingAnchorMs: number,
  nowMs: number,
  planStartedAtMs?: number | null,
  quotaWindow?: "month" | "year",
) => { dayUsed: number; monthUsed: number; minuteUsed: number };

export interface ConsumeRequest {
  terms: AccountTerms;
  /** The meter the call counts against. */
  meter: MeterRef;
  keyId: string;
  /** Positive integer. */
  cost: number;
  nowMs: number;
  ceilingPerMinute: number;
  graceMs: number;
  /** The call's idempotency id (unique per account and meter), if it has one. */
  id?: string | undefined;
  /** The first decision of `id` when this process already knows it (waiting in its buffer, or in the database): nothing is counted. */
  seen?: Decision | null | undefined;
}

/** Usage already served (/v1/events) on one account's meter: decided as served, counted once per id. */
export interface EventsRequest {
  terms: AccountTerms;
  meter: MeterRef;
  nowMs: number;
  events: ReadonlyArray<{ id: string; cost: number; timestampMs: number }>;
}

/** Per event of an EventsRequest: its decision, or null when its id was counted before (by another process). */
export type EventOutcomes = Array<Decision | null>;

export interface CounterStoreStatus {
  backend: "redis" | "memory";
  /** The shared store is unreachable: calls are counted in this process until it answers again. */
  degraded: boolean;
  /** When the store last became degraded or recovered (unix ms); null if it never changed. */
  since: number | null;
}

/** `T` from a store that answers at once (Sync = true), else `T` or a promise of it. */
export type Answer<T, Sync extends boolean> = Sync extends true ? T : T | Promise<T>;

/**
 * Where the counts of the windows live, per account and meter. One atomic step per call: read the
 * account's windows of the call's meter and the key's ceiling, decide with decide()'s rule, count
 * the call if it is served, and say where the windows stand after it. The memory store answers at
 * once; a store shared by several processes (RedisCounterStore) answers with a promise, and callers
 * wait only when they got one (the memory path costs no promise per call).
 */
export interface CounterStore<Sync extends boolean = boolean> {
  consume(req: ConsumeRequest): Answer<Consumed, Sync>;
  consumeEvents(req: EventsRequest): Answer<EventOutcomes, Sync>;
  /**
   * The account's windows of the meter rolled to `nowMs` as this process knows them (built from the
   * rollups when first asked), for the portal and detection: exact in memory; with a shared store,
   * the counts of its last answer plus this process's calls since.
   */
  account(terms: AccountTerms, nowMs: number, meter: MeterRef): AccountCounters;
  /** The meter's counts were built for other terms (another billing period or plan start): rebuild after a flush. */
  stale(terms: AccountTerms, meter: MeterRef): boolean;
  /** The store holds the account's counts on the meter: account() reads nothing from the rollups. */
  knows(accountId: string, meter: MeterRef): boolean;
  /** Forgets every meter's counts of the account. */
  forget(accountId: string): void;
  status(): CounterStoreStatus;
  close(): Promise<void>;
}

const NONE: DecideResult["violated"] = [];

/**
 * Counts events into in-memory counters, each decided by decide() as every call is: served already,
 * it cannot be refused, so the mode reads as shadow (over a cap it is would_throttle) and the per-key
 * safety ceiling, which protects the service as calls arrive, does not apply after the fact. An
 * event counts in the day and month windows it falls in (today's day, the current month window).
 */
export function countEvents(counters: AccountCounters, terms: AccountTerms, meter: MeterRef, nowMs: number, events: EventsRequest["events"]): EventOutcomes {
  const caps = meter.isDefault ? terms.caps : terms.meters[meter.id]!.caps;
  const mode = terms.mode === "off" ? "off" : "shadow";
  const out: EventOutcomes = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const inDay = e.timestampMs >= counters.dayMs;
    const inMonth = e.timestampMs >= counters.monthFromMs;
    out[i] = decide({
      mode,
      cost: e.cost,
      nowMs,
      ceiling: { limit: Infinity, used: 0 },
      windows: [
        { window: "day", limit: inDay ? caps.day : undefined, used: counters.dayUsed },
        { window: "month", limit: inMonth ? caps.month : undefined, used: counters.monthUsed },
      ],
      noticeDeliveredAtMs: {},
      graceMs: 0,
    }).decision;
    if (inDay) counters.dayUsed += e.cost;
    if (inMonth) counters.monthUsed += e.cost;
    counters.minute.addAt(e.timestampMs, nowMs, e.cost);
  }
  return out;
}

/**
 * The counters in this process's memory, loaded once per account and meter from the rollups. The
 * default meter's live in their own map keyed by account, as they did before there were several
 * meters, so the common call costs no more than it did.
 */
export class MemoryCounterStore implements CounterStore<true> {
  private readonly accounts = new Map<string, AccountCounters>();
  /** Other meters' counters: meter id → account id → counters. */
  private readonly otherMeters = new Map<string, Map<string, AccountCounters>>();
  private readonly ceilings = new Map<string, SlidingMinute>();
  private readonly ceilingPerMeter: boolean;

  /** @param opts.ceilingPerMeter the per-key ceiling counts each meter apart (the catalog's `keyCeiling: "per-meter"`); default: one count per key across meters. */
  constructor(
    private readonly loadPersisted: PersistedUsage,
    opts: { ceilingPerMeter?: boolean } = {},
  ) {
    this.ceilingPerMeter = opts.ceilingPerMeter ?? false;
  }

  consume(req: ConsumeRequest): Consumed {
    const { terms, cost, nowMs, meter } = req;
    const counters = this.account(terms, nowMs, meter);
    const ceiling = this.ceiling(req.keyId, meter);
    const t = meter.isDefault ? terms : terms.meters[meter.id]!;
    const caps = t.caps;
    if (req.seen) {
      const windows = windowsOf(counters, ceiling, req.ceilingPerMinute, nowMs, caps.minute, nextCostAfter(req.seen, cost));
      return { decision: req.seen, violated: NONE, refusing: NONE, duplicate: true, windows };
    }
    const result = decide({
      mode: terms.mode,
      cost,
      nowMs,
      ceiling: { limit: req.ceilingPerMinute, used: ceiling.count(nowMs) },
      windows: [
        { window: "minute", limit: caps.minute, used: counters.minute.count(nowMs) },
        { window: "day", limit: caps.day, used: counters.dayUsed },
        { window: "month", limit: caps.month, used: counters.monthUsed },
      ],
      noticeDeliveredAtMs: t.noticeDeliveredAtMs,
      graceMs: req.graceMs,
    });
    const decision = result.decision;
    const served = decision === "allow" || decision === "would_throttle";
    if (served) {
      counters.minute.add(nowMs, cost);
      counters.dayUsed += cost;
      counters.monthUsed += cost;
      ceiling.add(nowMs, cost);
    }
    const windows = windowsOf(counters, ceiling, req.ceilingPerMinute, nowMs, caps.minute, served ? 1 : cost);
    return { decision, violated: result.violated, refusing: result.refusing, duplicate: false, windows };
  }

  consumeEvents(req: EventsRequest): EventOutcomes {
    return countEvents(this.account(req.terms, req.nowMs, req.meter), req.terms, req.meter, req.nowMs, req.events);
  }

  private countersOf(meter: MeterRef): Map<string, AccountCounters> {
    if (meter.isDefault) return this.accounts;
    let m = this.otherMeters.get(meter.id);
    if (!m) this.otherMeters.set(meter.id, (m = new Map()));
    return m;
  }

  account(terms: AccountTerms, nowMs: number, meter: MeterRef): AccountCounters {
    const of = this.countersOf(meter);
    let c = of.get(terms.id);
    if (!c) {
      c = new AccountCounters(terms.billingAnchorMs, nowMs, this.loadPersisted(terms.id, meter.column, terms.billingAnchorMs, nowMs, terms.planStartedAtMs, terms.quotaWindow), terms.planStartedAtMs, terms.quotaWindow);
      of.set(terms.id, c);
    } else c.roll(nowMs);
    return c;
  }

  /** The key's safety-ceiling window for calls on the meter (one for all meters when the ceiling is shared). */
  ceiling(keyId: string, meter: MeterRef): SlidingMinute {
    const k = this.ceilingPerMeter && !meter.isDefault ? `${keyId}\u0000${meter.id}` : keyId;
    let c = this.ceilings.get(k);
    if (!c) this.ceilings.set(k, (c = new SlidingMinute()));
    return c;
  }

  stale(terms: AccountTerms, meter: MeterRef): boolean {
    const c = this.countersOf(meter).get(terms.id);
    return c !== undefined && (c.billingAnchorMs !== terms.billingAnchorMs || c.planStartedAtMs !== terms.planStartedAtMs || c.quotaWindow !== terms.quotaWindow);
  }

  knows(accountId: string, meter: MeterRef): boolean {
    return this.countersOf(meter).has(accountId);
  }

  forget(accountId: string): void {
    this.accounts.delete(accountId);
    for (const m of this.otherMeters.values()) m.delete(accountId);
  }

  status(): CounterStoreStatus {
    return { backend: "memory", degraded: false, since: null };
  }

  async close(): Promise<void> {}
}
