import type { MeterColumn } from "../db/queries/usage";
import type { EventOutcomes, EventsRequest } from "./counter-store";
import type { KeyEntry } from "./key-cache";
import type { MeterSpec } from "./meters";
import type { AccountTerms } from "./terms";
import type { PendingIdLookup, UsageBuffer } from "./usage-buffer";

export interface UsageEvent {
  id: string;
  key: string;
  cost: number;
  /** Unix ms. */
  timestampMs: number;
  /** The meter it counts against (absent: the catalog's default meter). */
  meter?: string;
}

/** `unknown_meter` only for callers in process: /v1/events refuses a batch naming an unknown meter whole, before any event is counted. */
export type EventRejectReason = "unknown_key" | "revoked_key" | "too_late" | "in_the_future" | "duplicate_in_batch" | "unknown_meter";

export interface EventsResult {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; id: string; reason: EventRejectReason }>;
}

/** What recording events needs of the meter. */
export interface EventsContext {
  nowMs: number;
  maxLatenessMs: number;
  key: (key: string) => KeyEntry | null;
  /** The meter an event names (the default meter when it names none); undefined when the catalog has no such meter. */
  meter: (id: string | undefined) => MeterSpec | undefined;
  terms: (accountId: string) => AccountTerms;
  /** Decides and counts a batch of one account's events on one meter (the counter store). */
  consume: (req: EventsRequest) => EventOutcomes | Promise<EventOutcomes>;
  storedIds: (accountId: string, meter: MeterColumn, ids: string[]) => Set<string>;
  buffer: UsageBuffer;
}

const FUTURE_SLACK_MS = 5 * 60_000;

/**
 * Records usage the provider already served, each event on its meter. Each event is counted once by
 * its id (unique per account and meter): the ids of a batch that are not waiting in the buffer are
 * looked up in one query per account and meter, not one per event; the rest go to the counter store
 * in one step per account and meter (see countEvents for how each is decided). With a shared store
 * the answer is a promise; in memory it is not.
 */
export function recordEvents(ctx: EventsContext, events: readonly UsageEvent[]): EventsResult | Promise<EventsResult> {
  const { nowMs } = ctx;
  const result: EventsResult = { accepted: 0, duplicates: 0, rejected: [] };
  // A batch usually carries a handful of keys (and accounts): each key is hashed and looked up once.
  const keys = new Map<string, KeyEntry | null>();
  const batches = new Map<string, { accountId: string; meter: MeterSpec; ids: Set<string>; pending: PendingIdLookup | undefined; events: Array<{ e: UsageEvent; entry: KeyEntry }> }>();
  for (let index = 0; index < events.length; index++) {
    const e = events[index]!;
    const meter = ctx.meter(e.meter);
    if (!meter) {
      result.rejected.push({ index, id: e.id, reason: "unknown_meter" });
      continue;
    }
    let entry = keys.get(e.key);
    if (entry === undefined) keys.set(e.key, (entry = ctx.key(e.key)));
    if (!entry || entry.revoked) {
      result.rejected.push({ index, id: e.id, reason: entry ? "revoked_key" : "unknown_key" });
      continue;
    }
    if (e.timestampMs > nowMs + FUTURE_SLACK_MS) {
      result.rejected.push({ index, id: e.id, reason: "in_the_future" });
      continue;
    }
    if (e.timestampMs < nowMs - ctx.maxLatenessMs) {
      result.rejected.push({ index, id: e.id, reason: "too_late" });
      continue;
    }
    const scope = meter.isDefault ? entry.accountId : `${entry.accountId}\u0000${meter.id}`;
    let batch = batches.get(scope);
    if (!batch) batches.set(scope, (batch = { accountId: entry.accountId, meter, ids: new Set(), pending: ctx.buffer.pendingIdsOf(entry.accountId, meter), events: [] }));
    if (batch.ids.has(e.id)) {
      result.rejected.push({ index, id: e.id, reason: "duplicate_in_batch" });
      continue;
    }
    batch.ids.add(e.id);
    if (batch.pending?.has(e.id)) {
      result.duplicates++;
      continue;
    }
    batch.events.push({ e, entry });
  }
  let waiting: Array<Promise<void>> | null = null;
  for (const { accountId, meter, ...batch } of batches.values()) {
    if (!batch.events.length) continue;
    const stored = ctx.storedIds(accountId, meter.column, batch.events.map((x) => x.e.id));
    const fresh: Array<{ e: UsageEvent; entry: KeyEntry }> = [];
    for (const x of batch.events) {
      if (stored.has(x.e.id)) result.duplicates++;
      else fresh.push(x);
    }
    if (!fresh.length) continue;
    const outcomes = ctx.consume({ terms: ctx.terms(accountId), meter, nowMs, events: fresh.map((x) => x.e) });
    if (outcomes instanceof Promise) (waiting ??= []).push(outcomes.then((o) => counted(ctx, result, accountId, meter, fresh, o)));
    else counted(ctx, result, accountId, meter, fresh, outcomes);
  }
  return waiting ? Promise.all(waiting).then(() => result) : result;
}

/** Buffers what the store counted: each event's call row and id; one counted elsewhere is a duplicate. */
function counted(ctx: EventsContext, result: EventsResult, accountId: string, meter: MeterSpec, fresh: Array<{ e: UsageEvent; entry: KeyEntry }>, outcomes: EventOutcomes): void {
  const nowMs = ctx.nowMs;
  for (let i = 0; i < fresh.length; i++) {
    const decision = outcomes[i];
    if (!decision) {
      result.duplicates++;
      continue;
    }
    const { e, entry } = fresh[i]!;
    ctx.buffer.addCall(e.timestampMs, entry.keyId, entry.accountId, meter, decision, e.cost);
    ctx.buffer.addId(accountId, meter, e.id, { decision, seenAtMs: nowMs });
    result.accepted++;
  }
}
