import { startOfMinute } from "../../shared/limits";
import type { LimitEventCount, MinuteCounts, UsageBatch } from "../db/queries/metering";
import type { MeterRef } from "./counter-store";
import type { Decision } from "./decide";

/** Ids written per statement in a flush. */
const ID_CHUNK = 2_000;
const DECISION_COLUMN = { allow: "allowed", would_throttle: "wouldThrottle", throttle: "throttled", ceiling: "ceiling" } as const;

export interface PendingId {
  decision: Decision;
  seenAtMs: number;
}

/** The ids of one account on one meter. */
interface IdScope {
  accountId: string;
  meter: MeterRef;
  ids: Map<string, PendingId>;
}

/** Where an account's ids on a meter are kept: the account id for the default meter (as before meters), with the meter's id for the others. */
const scopeKey = (accountId: string, meter: MeterRef) => (meter.isDefault ? accountId : `${accountId}\u0000${meter.id}`);

/** Idempotency ids counted since the last flush, per account and meter (an id is unique within its account and meter). */
export class PendingIds {
  private readonly byScope = new Map<string, IdScope>();
  size = 0;

  of(accountId: string, meter: MeterRef): Map<string, PendingId> | undefined {
    return this.byScope.get(scopeKey(accountId, meter))?.ids;
  }

  get(accountId: string, meter: MeterRef, id: string): PendingId | undefined {
    return this.byScope.get(scopeKey(accountId, meter))?.ids.get(id);
  }

  /** Keeps the first decision of an id. */
  add(accountId: string, meter: MeterRef, id: string, p: PendingId): void {
    const k = scopeKey(accountId, meter);
    let scope = this.byScope.get(k);
    if (!scope) this.byScope.set(k, (scope = { accountId, meter, ids: new Map() }));
    if (scope.ids.has(id)) return;
    scope.ids.set(id, p);
    this.size++;
  }

  /** Per account and meter (its id), the ids as [id, decision, seenAtMs] rows, at most `size` at a time. */
  *chunks(size: number): Generator<[accountId: string, meter: string, rows: Array<[string, Decision, number]>]> {
    for (const { accountId, meter, ids } of this.byScope.values()) {
      let rows: Array<[string, Decision, number]> = [];
      for (const [id, p] of ids) {
        rows.push([id, p.decision, p.seenAtMs]);
        if (rows.length === size) {
          yield [accountId, meter.id, rows];
          rows = [];
        }
      }
      if (rows.length) yield [accountId, meter.id, rows];
    }
  }

  *entries(): Generator<[accountId: string, meter: MeterRef, id: string, p: PendingId]> {
    for (const { accountId, meter, ids } of this.byScope.values()) for (const [id, p] of ids) yield [accountId, meter, id, p];
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

  /** Calls counted for a key on a meter in the minute of `atMs`, by decision. */
  addCall(atMs: number, keyId: string, accountId: string, meter: MeterRef, decision: Decision, cost: number): void {
    const minuteMs = startOfMinute(atMs);
    // The default meter's rows keep the key they had before meters: the common call builds no longer a string.
    const k = meter.isDefault ? `${minuteMs}\u0000${keyId}` : `${minuteMs}\u0000${keyId}\u0000${meter.id}`;
    let row = this.minutes.get(k);
    if (!row) this.minutes.set(k, (row = { minuteMs, keyId, accountId, meter: meter.column, allowed: 0, wouldThrottle: 0, throttled: 0, ceiling: 0 }));
    row[DECISION_COLUMN[decision]] += cost;
    const last = this.keysUsed.get(keyId) ?? 0;
    if (atMs > last) this.keysUsed.set(keyId, atMs);
  }

  addLimitEvent(atMs: number, accountId: string, meter: string, window: string, decision: Decision, cost: number): void {
    const minuteMs = startOfMinute(atMs);
    const k = `${minuteMs}\u0000${accountId}\u0000${meter}\u0000${window}\u0000${decision}`;
    const e = this.limitEvents.get(k);
    if (e) e.count += cost;
    else this.limitEvents.set(k, { minuteMs, accountId, meter, window, decision, count: cost });
  }

  addId(accountId: string, meter: MeterRef, id: string, p: PendingId): void {
    this.ids.add(accountId, meter, id, p);
  }

  pendingId(accountId: string, meter: MeterRef, id: string): PendingId | undefined {
    return this.ids.get(accountId, meter, id);
  }

  pendingIdsOf(accountId: string, meter: MeterRef): Map<string, PendingId> | undefined {
    return this.ids.of(accountId, meter);
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
    for (const [accountId, meter, id, p] of taken.ids.entries()) this.ids.add(accountId, meter, id, p);
    for (const [k, at] of taken.keysUsed) this.keysUsed.set(k, Math.max(at, this.keysUsed.get(k) ?? 0));
  }
}

