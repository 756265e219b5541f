import type Database from "better-sqlite3";
import { startOfUtcDay } from "../../../shared/limits";
import type { EnforcementMode, WindowName } from "../../../shared/plans";
import type { MeterColumn } from "./usage";

/**
 * The meter's SQL, in one place. These statements stay synchronous: they run on the hot path only
 * on a cache miss, and the flush writes one transaction of prepared statements, which is what keeps
 * `/v1/events` above 100,000 events a second on SQLite. Everything else goes through async queries.
 */

export type DecisionName = "allow" | "would_throttle" | "throttle" | "ceiling";

/** An account's terms as stored. */
export interface TermsRow {
  id: string;
  name: string;
  planId: string;
  planVersion: number;
  billingAnchorMs: number;
  billingInterval: "month" | "year";
  planStartedAtMs: number | null;
  enforcementOverride: EnforcementMode | null;
  capOverridesJson: string | null;
  grandfatheredUntilMs: number | null;
  overageOptIn: number;
}

/** One minute of one key's counts on one meter, as the flush writes it. */
export interface MinuteCounts {
  minuteMs: number;
  keyId: string;
  accountId: string;
  /** The values of the meter column its counts are read under (see MeterColumn); the first is written. */
  meter: MeterColumn;
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
}

export interface LimitEventCount {
  minuteMs: number;
  accountId: string;
  /** The meter's id. */
  meter: string;
  window: string;
  decision: string;
  count: number;
}

/** What one flush writes, in one transaction. */
export interface UsageBatch {
  minutes: Iterable<MinuteCounts>;
  limitEvents: Iterable<LimitEventCount>;
  /** Per account and meter (its id), idempotency ids as [id, decision, seenAtMs] rows. */
  idChunks: Iterable<[accountId: string, meter: string, rows: Array<[string, DecisionName, number]>]>;
  /** Key id → the latest moment it was used (unix ms). */
  keysUsed: Iterable<[string, number]>;
}

const GRACE_NOTICE_KINDS = "('reached', 'sustained', 'enforcement_scheduled')";

/**
 * The connection the meter's statements are prepared on: the SQLite handle, named here so that the
 * meter and its counter store hold it without importing the driver.
 */
export type MeteringStore = Database.Database;

export type MeteringQueries = ReturnType<typeof meteringQueries>;

/** What the rollups hold for an account's current windows on one meter (see PersistedUsage in server/metering). */
export interface PersistedCounts {
  dayUsed: number;
  monthUsed: number;
  minuteUsed: number;
}

/**
 * The meter's statements on a store that answers asynchronously (PostgreSQL): the same lookups as
 * MeteringQueries, the rollups' counts of an account's windows, and the flush, which takes a batch
 * id so that a batch re-sent after a timeout whose commit did succeed adds nothing. No
 * `dataVersion`: what other instances change reaches this one through the change relay.
 */
export type AsyncMeteringQueries = {
  [K in Exclude<keyof MeteringQueries, "dataVersion" | "writeBatch">]: (...args: Parameters<MeteringQueries[K]>) => Promise<ReturnType<MeteringQueries[K]>>;
} & {
  writeBatch(batch: UsageBatch, batchId: string): Promise<string[]>;
  persisted(accountId: string, meter: MeterColumn, billingAnchorMs: number, nowMs: number, planStartedAtMs: number | null, quotaWindow: "month" | "year"): Promise<PersistedCounts>;
};

export function meteringQueries(db: MeteringStore) {
  const s = {
    dataVersion: db.prepare("pragma data_version").pluck(),
    keyByHash: db.prepare("select id, account_id as accountId, revoked_at_ms as revokedAtMs from api_keys where hash = ?"),
    account: db.prepare(
      "select id, name, plan_id as planId, plan_version as planVersion, billing_anchor_ms as billingAnchorMs, billing_interval as billingInterval, plan_started_at_ms as planStartedAtMs, enforcement_override as enforcementOverride, cap_overrides_json as capOverridesJson, grandfathered_until_ms as grandfatheredUntilMs, overage_opt_in as overageOptIn from accounts where id = ?",
    ),
    notices: db.prepare(
      `select meter, window, min(delivered_at_ms) as at from notices where account_id = ? and delivered_at_ms is not null and delivered_at_ms >= ? and kind in ${GRACE_NOTICE_KINDS} group by meter, window`,
    ),
    planMode: db.prepare("select enforcement from plan_settings where plan_id = ?").pluck(),
    // A meter's ids are those under its id, and the default meter's also those written before meters were counted apart ('').
    seenId: db.prepare("select decision from metered_ids where account_id = ? and meter in (?, ?) and id = ?").pluck(),
    storedIds: db.prepare("select id from metered_ids where account_id = ? and meter in (?, ?) and id in (select value from json_each(?))").pluck(),
    upsertMinute: db.prepare(
      `insert into usage_minute (minute_ms, key_id, account_id, meter, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (minute_ms, key_id, meter) do update set allowed = allowed + excluded.allowed, would_throttle = would_throttle + excluded.would_throttle,
         throttled = throttled + excluded.throttled, ceiling = ceiling + excluded.ceiling`,
    ),
    accountMinute: db.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = ? and meter in (?, ?) and minute_ms = ?").pluck(),
    upsertDay: db.prepare(
      `insert into usage_day (day_ms, account_id, meter, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (account_id, meter, day_ms) do update set allowed = allowed + excluded.allowed, would_throttle = would_throttle + excluded.would_throttle,
         throttled = throttled + excluded.throttled, ceiling = ceiling + excluded.ceiling, peak_minute = max(peak_minute, excluded.peak_minute)`,
    ),
    upsertLimitEvent: db.prepare(
      `insert into limit_events (minute_ms, account_id, meter, window, decision, count) values (?, ?, ?, ?, ?, ?)
       on conflict (minute_ms, account_id, meter, window, decision) do update set count = count + excluded.count`,
    ),
    // Many ids in one statement: the rows come from a JSON array of [id, decision, seenAtMs] (about 40% less per id than one run() each).
    insertIds: db.prepare("insert or ignore into metered_ids (account_id, meter, id, decision, seen_at_ms) select ?, ?, value ->> 0, value ->> 1, value ->> 2 from json_each(?)"),
    keyUsed: db.prepare("update api_keys set last_used_at_ms = max(coalesce(last_used_at_ms, 0), ?) where id = ?"),
    pruneIds: db.prepare("delete from metered_ids where seen_at_ms < ?"),
  };

  /** Writes a batch in one IMMEDIATE transaction, waiting only briefly for another writer; returns the accounts touched. */
  const write = db.transaction((batch: UsageBatch, touched: Set<string>) => {
    const days = new Map<string, { dayMs: number; accountId: string; meter: MeterColumn; allowed: number; wouldThrottle: number; throttled: number; ceiling: number; peak: number }>();
    const accountMinutes = new Map<string, { minuteMs: number; accountId: string; meter: MeterColumn; dayKey: string }>();
    for (const r of batch.minutes) {
      const meter = r.meter[0];
      s.upsertMinute.run(r.minuteMs, r.keyId, r.accountId, meter, r.allowed, r.wouldThrottle, r.throttled, r.ceiling);
      touched.add(r.accountId);
      const dayMs = startOfUtcDay(r.minuteMs);
      const dk = `${dayMs}\u0000${r.accountId}\u0000${meter}`;
      let d = days.get(dk);
      if (!d) days.set(dk, (d = { dayMs, accountId: r.accountId, meter: r.meter, allowed: 0, wouldThrottle: 0, throttled: 0, ceiling: 0, peak: 0 }));
      d.allowed += r.allowed;
      d.wouldThrottle += r.wouldThrottle;
      d.throttled += r.throttled;
      d.ceiling += r.ceiling;
      if (r.allowed + r.wouldThrottle > 0) accountMinutes.set(`${r.minuteMs}\u0000${r.accountId}\u0000${meter}`, { minuteMs: r.minuteMs, accountId: r.accountId, meter: r.meter, dayKey: dk });
    }
    // The day's busiest minute of the meter, over all keys and earlier flushes of the same minute.
    for (const m of accountMinutes.values()) {
      const d = days.get(m.dayKey)!;
      d.peak = Math.max(d.peak, s.accountMinute.get(m.accountId, m.meter[0], m.meter[1], m.minuteMs) as number);
    }
    for (const d of days.values()) s.upsertDay.run(d.dayMs, d.accountId, d.meter[0], d.allowed, d.wouldThrottle, d.throttled, d.ceiling, d.peak);
    for (const e of batch.limitEvents) s.upsertLimitEvent.run(e.minuteMs, e.accountId, e.meter, e.window, e.decision, e.count);
    for (const [accountId, meter, rows] of batch.idChunks) s.insertIds.run(accountId, meter, JSON.stringify(rows));
    for (const [keyId, at] of batch.keysUsed) s.keyUsed.run(at, keyId);
  });

  return {
    /** Changes when another connection commits (another process, the CLI). */
    dataVersion: () => s.dataVersion.get() as number,
    keyByHash: (hash: string) => s.keyByHash.get(hash) as { id: string; accountId: string; revokedAtMs: number | null } | undefined,
    termsRow: (accountId: string) => s.account.get(accountId) as TermsRow | undefined,
    /** When the account was first reached about each cap of each meter (delivered reached/sustained/enforcement notices since `sinceMs`; meter '' = the default meter). */
    deliveredNotices: (accountId: string, sinceMs: number) => s.notices.all(accountId, sinceMs) as Array<{ meter: string; window: WindowName | null; at: number }>,
    planMode: (planId: string) => s.planMode.get(planId) as EnforcementMode | undefined,
    seenDecision: (accountId: string, meter: MeterColumn, id: string) => (s.seenId.get(accountId, meter[0], meter[1], id) as DecisionName | undefined) ?? null,
    /** Which of these ids are already stored for the account and meter: one query for a whole batch. */
    storedIds: (accountId: string, meter: MeterColumn, ids: string[]) => new Set(s.storedIds.all(accountId, meter[0], meter[1], JSON.stringify(ids)) as string[]),
    writeBatch(batch: UsageBatch): string[] {
      const touched = new Set<string>();
      const busy = db.pragma("busy_timeout", { simple: true }) as number;
      // Answers must not stall behind another writer: the caller keeps the batch and retries.
      db.pragma("busy_timeout = 20");
      try {
        write.immediate(batch, touched);
      } finally {
        db.pragma(`busy_timeout = ${busy}`);
      }
      return [...touched];
    },
    pruneIds: (beforeMs: number) => s.pruneIds.run(beforeMs).changes,
  };
}
