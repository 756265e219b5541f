import type { MeteringStore } from "../db/queries/metering";
import { persistedUsage } from "../db/queries/usage";
import { AccountCounters } from "./counters";
import { decide, type DecideResult } from "./decide";
import type { MeterSpec } from "./meters";
import { SlidingMinute } from "./sliding-minute";
import type { AccountTerms } from "./terms";

/** What the store needs to know of a meter. */
export type MeterRef = Pick<MeterSpec, "id" | "isDefault" | "column">;

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
}

/**
 * Where the counts of the windows live, per account and meter. One atomic step per call: read the
 * account's windows of the call's meter and the key's ceiling, decide with decide(), and count the
 * call if it is served. Today's store keeps them in this process's memory; a store shared by several
 * processes (Redis, decision 0005) implements the same step in one round trip.
 */
export interface CounterStore {
  consume(req: ConsumeRequest): DecideResult;
  /** The account's windows of the meter rolled to `nowMs` (built from the rollups when first asked). */
  account(terms: AccountTerms, nowMs: number, meter: MeterRef): AccountCounters;
  /** The key's safety-ceiling window for calls on the meter (one for all meters when the ceiling is shared). */
  ceiling(keyId: string, meter: MeterRef): SlidingMinute;
  /** The meter's counts were built for other terms (another billing period or plan start): rebuild after a flush. */
  stale(terms: AccountTerms, meter: MeterRef): boolean;
  /** Forgets every meter's counts of the account. */
  forget(accountId: string): void;
}

/**
 * The counters in this process's memory, loaded once per account and meter from the rollups. The
 * default meter's live in their own map keyed by account, as they did before there were several
 * meters, so the common call costs no more than it did.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly accounts = new Map<string, AccountCounters>();
  /** Other meters' counters: meter id → account id → counters. */
  private readonly otherMeters = new Map<string, Map<string, AccountCounters>>();
  private readonly ceilings = new Map<string, SlidingMinute>();
  private readonly loadPersisted;
  private readonly ceilingPerMeter: boolean;

  /** @param opts.ceilingPerMeter the per-key ceiling counts each meter apart (the catalog's `keyCeiling: "per-meter"`); default: one count per key across meters. */
  constructor(sqlite: MeteringStore, opts: { ceilingPerMeter?: boolean } = {}) {
    this.loadPersisted = persistedUsage(sqlite);
    this.ceilingPerMeter = opts.ceilingPerMeter ?? false;
  }

  consume(req: ConsumeRequest): DecideResult {
    const { terms, cost, nowMs, meter } = req;
    const counters = this.account(terms, nowMs, meter);
    const ceiling = this.ceiling(req.keyId, meter);
    const t = meter.isDefault ? terms : terms.meters[meter.id]!;
    const caps = t.caps;
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
    if (result.decision === "allow" || result.decision === "would_throttle") {
      counters.minute.add(nowMs, cost);
      counters.dayUsed += cost;
      counters.monthUsed += cost;
      ceiling.add(nowMs, cost);
    }
    return result;
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

  forget(accountId: string): void {
    this.accounts.delete(accountId);
    for (const m of this.otherMeters.values()) m.delete(accountId);
  }
}
