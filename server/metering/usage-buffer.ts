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

  /** Ids per account (one entry per account and meter). */
  *countsByAccount(): Generator<[accountId: string, ids: number]> {
    for (const { accountId, ids } of this.byScope.values()) yield [accountId, ids.size];
  }

  /** Moves these accounts' ids out, into a set of their own. */
  takeAccounts(accounts: ReadonlySet<string>): PendingIds {
    const taken = new PendingIds();
    for (const [k, scope] of this.byScope) {
      if (!accounts.has(scope.accountId)) continue;
      this.byScope.delete(k);
      this.size -= scope.ids.size;
      taken.byScope.set(k, scope);
      taken.size += scope.ids.size;
    }
    return taken;
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

/** Whether an id is waiting to be written (in the buffer or in the batch a flush holds). */
export interface PendingIdLookup {
  has(id: string): boolean;
}

/**
 * What the meter counted since the last flush: per-minute counts per key, limit events, idempotency
 * ids and when each key was last used. Taken whole for a flush; put back (merged with what arrived
 * meanwhile) when the write fails, so nothing is lost or counted twice. A flush that writes under a
 * batch id holds its batch instead (see hold()): it is re-sent unchanged, so nothing may be merged
 * into it, and its ids still answer for duplicates until it is written.
 *
 * Bounded (see bound()): once the buffered and held rows and ids reach the bound, a new call is not
 * kept at all — neither its counts, its limit events nor its id — until a flush makes room. A call is
 * kept or dropped whole, decided by its addCall(), which both callers make before its other parts:
 * its usage is then missing from the rollups (counted by the drop hook), but never counted twice.
 */
export class UsageBuffer {
  private minutes = new Map<string, MinuteCounts>();
  private limitEvents = new Map<string, LimitEventCount>();
  private ids = new PendingIds();
  private keysUsed = new Map<string, number>();
  /** The batch a flush took and has not written yet (see hold()). */
  private held: TakenBatch | null = null;
  private maxRows = Number.POSITIVE_INFINITY;
  private onDropped: (() => void) | null = null;
  /** The call being added was dropped: its limit events and id go with it. */
  private dropping = false;

  /** Keeps at most about `maxRows` rows and ids (buffered and held; one call's parts may go over); `onDropped` hears of each call not kept. */
  bound(maxRows: number, onDropped: () => void): void {
    this.maxRows = maxRows;
    this.onDropped = onDropped;
  }

  /** Calls counted for a key on a meter in the minute of `atMs`, by decision. */
  addCall(atMs: number, keyId: string, accountId: string, meter: MeterRef, decision: Decision, cost: number): void {
    if (this.size() >= this.maxRows) {
      this.dropping = true;
      this.onDropped?.();
      return;
    }
    this.dropping = false;
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
    if (this.dropping) return;
    const minuteMs = startOfMinute(atMs);
    const k = `${minuteMs}\u0000${accountId}\u0000${meter}\u0000${window}\u0000${decision}`;
    const e = this.limitEvents.get(k);
    if (e) e.count += cost;
    else this.limitEvents.set(k, { minuteMs, accountId, meter, window, decision, count: cost });
  }

  addId(accountId: string, meter: MeterRef, id: string, p: PendingId): void {
    if (this.dropping) return;
    this.ids.add(accountId, meter, id, p);
  }

  pendingId(accountId: string, meter: MeterRef, id: string): PendingId | undefined {
    return this.ids.get(accountId, meter, id) ?? this.held?.ids.get(accountId, meter, id);
  }

  pendingIdsOf(accountId: string, meter: MeterRef): PendingIdLookup | undefined {
    const buffered = this.ids.of(accountId, meter);
    const held = this.held?.ids.of(accountId, meter);
    if (!held) return buffered;
    if (!buffered) return held;
    return { has: (id) => buffered.has(id) || held.has(id) };
  }

  /** Rows and ids not written yet: buffered, and held by a flush. */
  size(): number {
    return this.minutes.size + this.ids.size + this.limitEvents.size + (this.held?.size ?? 0);
  }

  /** Rows and ids buffered for the next batch (not those a flush holds). */
  bufferedSize(): number {
    return this.minutes.size + this.ids.size + this.limitEvents.size;
  }

  /**
   * Takes the buffer as a batch that stays pending (in size(), its ids in pendingId()) until
   * release(): for a writer that may have committed a batch it never heard back about, so the batch
   * must be re-sent as it was, under its id, while new calls gather for the next one. A buffer of
   * more than `maxRows` rows and ids (a backlog) goes as several batches of whole accounts: an
   * account's counts and ids stay in one transaction, so a call's id is never written without its count.
   */
  hold(maxRows = Number.POSITIVE_INFINITY): TakenBatch {
    if (this.held) throw new Error("A flush already holds a batch: it must be written before the next is taken.");
    this.held = this.bufferedSize() <= maxRows ? this.take() : this.takeAccounts(maxRows);
    return this.held;
  }

  /** Whole accounts, in the order they were first buffered, up to `maxRows` rows and ids (or one account, however large). */
  private takeAccounts(maxRows: number): TakenBatch {
    const rows = new Map<string, number>();
    const count = (accountId: string, n: number) => rows.set(accountId, (rows.get(accountId) ?? 0) + n);
    for (const r of this.minutes.values()) count(r.accountId, 1);
    for (const e of this.limitEvents.values()) count(e.accountId, 1);
    for (const [accountId, n] of this.ids.countsByAccount()) count(accountId, n);
    const chosen = new Set<string>();
    let total = 0;
    for (const [accountId, n] of rows) {
      if (chosen.size && total + n > maxRows) continue;
      chosen.add(accountId);
      total += n;
    }
    const minutes = new Map<string, MinuteCounts>();
    const keys = new Set<string>();
    for (const [k, r] of this.minutes) {
      if (!chosen.has(r.accountId)) continue;
      this.minutes.delete(k);
      minutes.set(k, r);
      keys.add(r.keyId);
    }
    const limitEvents = new Map<string, LimitEventCount>();
    for (const [k, e] of this.limitEvents) {
      if (!chosen.has(e.accountId)) continue;
      this.limitEvents.delete(k);
      limitEvents.set(k, e);
    }
    // A key belongs to one account: its last use goes with that account's rows.
    const keysUsed = new Map<string, number>();
    for (const keyId of keys) {
      const at = this.keysUsed.get(keyId);
      if (at === undefined) continue;
      this.keysUsed.delete(keyId);
      keysUsed.set(keyId, at);
    }
    return new TakenBatch(minutes, limitEvents, this.ids.takeAccounts(chosen), keysUsed);
  }

  /** The held batch is written. */
  release(batch: TakenBatch): void {
    if (this.held === batch) this.held = null;
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

