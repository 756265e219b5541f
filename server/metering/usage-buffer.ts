import { startOfMinute } from "../../shared/limits";
import type { LimitEventCount, MinuteCounts, UsageBatch } from "../db/queries/metering";
import type { Decision } from "./decide";

/** Ids written per statement in a flush. */
const ID_CHUNK = 2_000;
const DECISION_COLUMN = { allow: "allowed", would_throttle: "wouldThrottle", throttle: "throttled", ceiling: "ceiling" } as const;

export interface PendingId {
  decision: Decision;
  seenAtMs: number;
}

/** Idempotency ids counted since the last flush, per account (an id is unique within its account). */
export class PendingIds {
  private readonly byAccount = new Map<string, Map<string, PendingId>>();
  size = 0;

  of(accountId: string): Map<string, PendingId> | undefined {
    return this.byAccount.get(accountId);
  }

  get(accountId: string, id: string): PendingId | undefined {
    return this.byAccount.get(accountId)?.get(id);
  }

  /** Keeps the first decision of an id. */
  add(accountId: string, id: string, p: PendingId): void {
    let m = this.byAccount.get(accountId);
    if (!m) this.byAccount.set(accountId, (m = new Map()));
    if (m.has(id)) return;
    m.set(id, p);
    this.size++;
  }

  /** Per account, the ids as [id, decision, seenAtMs] rows, at most `size` at a time. */
  *chunks(size: number): Generator<[accountId: string, rows: Array<[string, Decision, number]>]> {
    for (const [accountId, m] of this.byAccount) {
      let rows: Array<[string, Decision, number]> = [];
      for (const [id, p] of m) {
        rows.push([id, p.decision, p.seenAtMs]);
        if (rows.length === size) {
          yield [accountId, rows];
          rows = [];
        }
      }
      if (rows.length) yield [accountId, rows];
    }
  }

  *entries(): Generator<[accountId: string, id: string, p: PendingId]> {
    for (const [accountId, m] of this.byAccount) for (const [id, p] of m) yield [accountId, id, p];
  }
}

/** What one flush takes out of the buffer: written whole, or put back whole. */
export class TakenBatch {
  constructor(
    readonly minutes: Map<string, MinuteCounts>,
    readonly limitEvents: Map<string, LimitEventCount>,
    readonly ids: PendingIds,
    readonly keysUsed: Map<string, number>,
  ) {}

  /** Rows and ids in the batch. */
  get size(): number {
    return this.minutes.size + this.limitEvents.size + this.ids.size;
  }

  /** As the storage layer writes it (single-use iterators). */
  forWrite(): UsageBatch {
    return { minutes: this.minutes.values(), limitEvents: this.limitEvents.values(), idChunks: this.ids.chunks(ID_CHUNK), keysUsed: this.keysUsed.entries() };
  }
}

/**
 * What the meter counted since the last flush: per-minute counts per key, limit events, idempotency
 * ids and when each key was last used. Taken whole for a flush; put back (merged with what arrived
 * meanwhile) when the write fails, so nothing is lost or counted twice.
 */
export class UsageBuffer {
  private minutes = new Map<string, MinuteCounts>();
  private limitEvents = new Map<string, LimitEventCount>();
  private ids = new PendingIds();
  private keysUsed = new Map<string, number>();

  /** Calls counted for a key in the minute of `atMs`, by decision. */
  addCall(atMs: number, keyId: string, accountId: string, decision: Decision, cost: number): void {
    const minuteMs = startOfMinute(atMs);
    const k = `${minuteMs}\u0000${keyId}`;
    let row = this.minutes.get(k);
    if (!row) this.minutes.set(k, (row = { minuteMs, keyId, accountId, allowed: 0, wouldThrottle: 0, throttled: 0, ceiling: 0 }));
    row[DECISION_COLUMN[decision]] += cost;
    const last = this.keysUsed.get(keyId) ?? 0;
    if (atMs > last) this.keysUsed.set(keyId, atMs);
  }

  addLimitEvent(atMs: number, accountId: string, window: string, decision: Decision, cost: number): void {
    const minuteMs = startOfMinute(atMs);
    const k = `${minuteMs}\u0000${accountId}\u0000${window}\u0000${decision}`;
    const e = this.limitEvents.get(k);
    if (e) e.count += cost;
    else this.limitEvents.set(k, { minuteMs, accountId, window, decision, count: cost });
  }

  addId(accountId: string, id: string, p: PendingId): void {
    this.ids.add(accountId, id, p);
  }

  pendingId(accountId: string, id: string): PendingId | undefined {
    return this.ids.get(accountId, id);
  }

  pendingIdsOf(accountId: string): Map<string, PendingId> | undefined {
    return this.ids.of(accountId);
  }

  /** Rows and ids waiting for the next flush. */
  size(): number {
    return this.minutes.size + this.ids.size + this.limitEvents.size;
  }

  take(): TakenBatch {
    const batch = new TakenBatch(this.minutes, this.limitEvents, this.ids, this.keysUsed);
    this.minutes = new Map();
    this.limitEvents = new Map();
    this.ids = new PendingIds();
    this.keysUsed = new Map();
    return batch;
  }

  /** A write failed: the batch goes back, merged with what was counted meanwhile. */
  putBack(taken: TakenBatch): void {
    for (const [k, r] of taken.minutes) {
      const now = this.minutes.get(k);
      if (!now) this.minutes.set(k, r);
      else {
        now.allowed += r.allowed;
        now.wouldThrottle += r.wouldThrottle;
        now.throttled += r.throttled;
        now.ceiling += r.ceiling;
      }
    }
    for (const [k, e] of taken.limitEvents) {
      const now = this.limitEvents.get(k);
      if (now) now.count += e.count;
      else this.limitEvents.set(k, e);
    }
    for (const [accountId, id, p] of taken.ids.entries()) this.ids.add(accountId, id, p);
    for (const [k, at] of taken.keysUsed) this.keysUsed.set(k, Math.max(at, this.keysUsed.get(k) ?? 0));
  }
}

