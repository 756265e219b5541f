import type { MeteringStore } from "../db/queries/metering";
import { persistedUsage } from "../db/queries/usage";
import { AccountCounters } from "./counters";
import { decide, type DecideResult } from "./decide";
import { SlidingMinute } from "./sliding-minute";
import type { AccountTerms } from "./terms";

export interface ConsumeRequest {
  terms: AccountTerms;
  keyId: string;
  /** Positive integer. */
  cost: number;
  nowMs: number;
  ceilingPerMinute: number;
  graceMs: number;
}

/**
 * Where the counts of the windows live. One atomic step per call: read the account's windows and the
 * key's ceiling, decide with decide(), and count the call if it is served. Today's store keeps them in
 * this process's memory; a store shared by several processes (Redis, decision 0005) implements the
 * same step in one round trip.
 */
export interface CounterStore {
  consume(req: ConsumeRequest): DecideResult;
  /** The account's windows rolled to `nowMs` (built from the rollups when first asked). */
  account(terms: AccountTerms, nowMs: number): AccountCounters;
  /** The key's safety-ceiling window. */
  ceiling(keyId: string): SlidingMinute;
  /** The counts were built for other terms (another billing period or plan start): rebuild after a flush. */
  stale(terms: AccountTerms): boolean;
  forget(accountId: string): void;
}

/** The counters in this process's memory, loaded once per account from the rollups. */
export class MemoryCounterStore implements CounterStore {
  private readonly accounts = new Map<string, AccountCounters>();
  private readonly ceilings = new Map<string, SlidingMinute>();
  private readonly loadPersisted;

  constructor(sqlite: MeteringStore) {
    this.loadPersisted = persistedUsage(sqlite);
  }

  consume(req: ConsumeRequest): DecideResult {
    const { terms, cost, nowMs } = req;
    const counters = this.account(terms, nowMs);
    const ceiling = this.ceiling(req.keyId);
    const caps = terms.caps;
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
      noticeDeliveredAtMs: terms.noticeDeliveredAtMs,
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

  account(terms: AccountTerms, nowMs: number): AccountCounters {
    let c = this.accounts.get(terms.id);
    if (!c) {
      c = new AccountCounters(terms.billingAnchorMs, nowMs, this.loadPersisted(terms.id, terms.billingAnchorMs, nowMs, terms.planStartedAtMs, terms.quotaWindow), terms.planStartedAtMs, terms.quotaWindow);
      this.accounts.set(terms.id, c);
    } else c.roll(nowMs);
    return c;
  }

  ceiling(keyId: string): SlidingMinute {
    let c = this.ceilings.get(keyId);
    if (!c) this.ceilings.set(keyId, (c = new SlidingMinute()));
    return c;
  }

  stale(terms: AccountTerms): boolean {
    const c = this.accounts.get(terms.id);
    return c !== undefined && (c.billingAnchorMs !== terms.billingAnchorMs || c.planStartedAtMs !== terms.planStartedAtMs || c.quotaWindow !== terms.quotaWindow);
  }

  forget(accountId: string): void {
    this.accounts.delete(accountId);
  }
}
