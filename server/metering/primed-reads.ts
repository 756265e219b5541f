import type { EnforcementMode, WindowName } from "../../shared/plans";
import type { AsyncMeteringQueries, DecisionName, MeteringQueries, PersistedCounts, TermsRow } from "../db/queries/metering";
import type { MeterColumn } from "../db/queries/usage";
import type { PersistedUsage } from "./counter-store";

type KeyRow = { id: string; accountId: string; revokedAtMs: number | null };
type NoticeAt = { meter: string; window: WindowName | null; at: number };

/** The synchronous reads the meter's parts make (the key cache, the terms cache, the counter store, recordEvents). */
export type SyncReads = Pick<MeteringQueries, "keyByHash" | "termsRow" | "planMode" | "deliveredNotices" | "seenDecision" | "storedIds">;

/** Unknown keys remembered between the read ahead and the decision, at most (a flood of random keys must not grow the heap). */
const UNKNOWN_KEYS_KEPT = 10_000;

const scope = (accountId: string, meter: MeterColumn) => `${accountId}\u0000${meter[0]}`;

/**
 * The meter's reads on a store that answers asynchronously (PostgreSQL). The meter's decision is
 * synchronous code over caches; on SQLite a cache miss reads the database at once. Here, before a call
 * is decided, the meter reads asynchronously what that call will miss (its key, the account's terms,
 * the id's first decision, the rollups' counts) into this object, whose synchronous face then answers
 * the parts from what was read. A read the meter did not make first is a bug, and says so.
 */
export class PrimedReads {
  private readonly keys = new Map<string, KeyRow | undefined>();
  private readonly terms = new Map<string, { row: TermsRow; notices: NoticeAt[]; sinceMs: number }>();
  private readonly modes = new Map<string, EnforcementMode | undefined>();
  private readonly seen = new Map<string, DecisionName | null>();
  private readonly stored = new Map<string, Set<string>>();
  private readonly counts = new Map<string, PersistedCounts>();

  constructor(readonly source: AsyncMeteringQueries) {}

  // ---- read ahead (asynchronous) ------------------------------------------------------------

  async key(hash: string): Promise<void> {
    this.keys.set(hash, await this.source.keyByHash(hash));
  }

  /** The account's row, its plan's mode and its delivered notices since `sinceMs`; false when the account is gone. */
  async account(accountId: string, sinceMs: number): Promise<boolean> {
    const [row, notices] = await Promise.all([this.source.termsRow(accountId), this.source.deliveredNotices(accountId, sinceMs)]);
    if (!row) {
      this.terms.delete(accountId);
      return false;
    }
    this.modes.set(row.planId, await this.source.planMode(row.planId));
    this.terms.set(accountId, { row, notices, sinceMs });
    return true;
  }

  async seenDecision(accountId: string, meter: MeterColumn, id: string): Promise<void> {
    this.seen.set(`${scope(accountId, meter)}\u0000${id}`, await this.source.seenDecision(accountId, meter, id));
  }

  async storedIds(accountId: string, meter: MeterColumn, ids: string[]): Promise<void> {
    this.stored.set(scope(accountId, meter), await this.source.storedIds(accountId, meter, ids));
  }

  async persisted(accountId: string, meter: MeterColumn, billingAnchorMs: number, nowMs: number, planStartedAtMs: number | null, quotaWindow: "month" | "year"): Promise<void> {
    this.counts.set(scope(accountId, meter), await this.source.persisted(accountId, meter, billingAnchorMs, nowMs, planStartedAtMs, quotaWindow));
  }

  /** The database could not say: the id is taken as not seen before. */
  assumeUnseen(accountId: string, meter: MeterColumn, id: string): void {
    this.seen.set(`${scope(accountId, meter)}\u0000${id}`, null);
  }

  /** The database could not say: these ids are taken as the only ones stored. */
  assumeStored(accountId: string, meter: MeterColumn, ids: string[]): void {
    this.stored.set(scope(accountId, meter), new Set(ids));
  }

  /** The database could not say: the account's windows start from nothing in this instance. */
  assumeNoUsage(accountId: string, meter: MeterColumn): void {
    this.counts.set(scope(accountId, meter), { dayUsed: 0, monthUsed: 0, minuteUsed: 0 });
  }

  // ---- the synchronous face -------------------------------------------------------------------

  private missing(what: string): never {
    throw new Error(`The meter decided before reading ${what} from the database`);
  }

  readonly reads: SyncReads = {
    keyByHash: (hash) => {
      if (!this.keys.has(hash)) this.missing("the key");
      const row = this.keys.get(hash);
      // The key cache keeps a key it found. An unknown one stays here for the rest of its call (it is
      // looked up more than once) and is read again on its next; a flood of them is let go at once.
      if (row) this.keys.delete(hash);
      else if (this.keys.size > UNKNOWN_KEYS_KEPT) this.keys.clear();
      return row;
    },
    termsRow: (accountId) => this.terms.get(accountId)?.row,
    planMode: (planId) => this.modes.get(planId),
    deliveredNotices: (accountId, sinceMs) => {
      const t = this.terms.get(accountId) ?? this.missing("the account's notices");
      return t.notices.filter((n) => n.at >= sinceMs);
    },
    seenDecision: (accountId, meter, id) => {
      const k = `${scope(accountId, meter)}\u0000${id}`;
      if (!this.seen.has(k)) this.missing("the id's first decision");
      const d = this.seen.get(k)!;
      this.seen.delete(k);
      return d;
    },
    storedIds: (accountId, meter, ids) => {
      const k = scope(accountId, meter);
      const stored = this.stored.get(k) ?? this.missing("the batch's stored ids");
      this.stored.delete(k);
      return new Set(ids.filter((id) => stored.has(id)));
    },
  };

  readonly persistedUsage: PersistedUsage = (accountId, meter) => {
    const k = scope(accountId, meter);
    const counts = this.counts.get(k) ?? this.missing("the rollups' counts");
    this.counts.delete(k);
    return counts;
  };

  /** The account's row was read no earlier than `sinceMs` allows: its notices cover the grace periods asked about. */
  hasAccount(accountId: string): boolean {
    return this.terms.has(accountId);
  }
}
