import { and, eq, gte, inArray, isNotNull, min, sql } from "drizzle-orm";
import type pg from "pg";
import { startOfUtcDay } from "../../../../shared/limits";
import type { EnforcementMode, WindowName } from "../../../../shared/plans";
import { systemClock, type Clock } from "../../../lib/clock";
import type { AsyncMeteringQueries, DecisionName, PersistedCounts, TermsRow, UsageBatch } from "../../queries/metering";
import type { MeterColumn } from "../../queries/usage";
import type { PgDb } from "../client";
import { persistedUsage } from "./usage";
import { accounts, apiKeys, meteredIds, notices, planSettings } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/metering.ts`: the same lookups, asynchronous, and the
 * flush as a handful of multi-row statements in one transaction. `dataVersion` has no equivalent
 * here: what other instances change reaches this one through the change relay.
 */
/** The meter's statements on PostgreSQL: see AsyncMeteringQueries. */
export type PgMeteringQueries = AsyncMeteringQueries;

/** The notice kinds that start a cap's grace period (as the SQLite query). */
const GRACE_NOTICE_KINDS = ["reached", "sustained", "enforcement_scheduled"];

/** Ids per INSERT: each statement's document stays a few megabytes however large the flush. */
const IDS_PER_STATEMENT = 50_000;

/** A deadlock or a serialization failure: the transaction was rolled back whole and may simply run again. */
const RETRYABLE = new Set(["40P01", "40001"]);
const ATTEMPTS = 3;
const UNIQUE_VIOLATION = "23505";

const SQL = {
  claimBatch: "insert into usage_flushes (batch_id, flushed_at_ms) values ($1, $2) on conflict (batch_id) do nothing",
  // Counts only: the day's peak is raised below, once this flush's minutes are in. Taking the day rows' locks first is what
  // makes the peak exact with several instances (see writeOnce).
  upsertDays: `insert into usage_day (day_ms, account_id, meter, allowed, would_throttle, throttled, ceiling, peak_minute)
    select d, a, m, al, wt, th, ce, 0 from unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) as v(d, a, m, al, wt, th, ce)
    on conflict (account_id, meter, day_ms) do update set allowed = usage_day.allowed + excluded.allowed, would_throttle = usage_day.would_throttle + excluded.would_throttle,
      throttled = usage_day.throttled + excluded.throttled, ceiling = usage_day.ceiling + excluded.ceiling`,
  upsertMinutes: `insert into usage_minute (minute_ms, key_id, account_id, meter, allowed, would_throttle, throttled, ceiling)
    select * from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
    on conflict (minute_ms, key_id, meter) do update set allowed = usage_minute.allowed + excluded.allowed, would_throttle = usage_minute.would_throttle + excluded.would_throttle,
      throttled = usage_minute.throttled + excluded.throttled, ceiling = usage_minute.ceiling + excluded.ceiling`,
  // The day's busiest minute of the meter, over all keys, earlier flushes and other instances' committed flushes of the same minute.
  raisePeaks: `update usage_day set peak_minute = greatest(usage_day.peak_minute, p.peak)
    from (select v.a, v.m, v.d, max(s.total) as peak
          from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) as v(minute, a, m, also, d)
          cross join lateral (select coalesce(sum(u.allowed + u.would_throttle), 0) as total from usage_minute u
                              where u.account_id = v.a and u.meter in (v.m, v.also) and u.minute_ms = v.minute) s
          group by v.a, v.m, v.d) p
    where usage_day.account_id = p.a and usage_day.meter = p.m and usage_day.day_ms = p.d`,
  upsertLimitEvents: `insert into limit_events (minute_ms, account_id, meter, "window", decision, count)
    select * from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
    on conflict (minute_ms, account_id, meter, "window", decision) do update set count = limit_events.count + excluded.count`,
  // The ids come as the batch holds them, [accountId, meter, [[id, decision, seenAtMs], …]] per account and meter: one
  // JSON parameter costs PostgreSQL less to take in than five arrays of one element per id.
  insertIds: `insert into metered_ids (account_id, meter, id, decision, seen_at_ms)
    select c->>0, c->>1, r->>0, r->>1, (r->>2)::bigint from jsonb_array_elements($1::jsonb) c cross join lateral jsonb_array_elements(c->2) r`,
  insertIdsSkippingStored: `insert into metered_ids (account_id, meter, id, decision, seen_at_ms)
    select c->>0, c->>1, r->>0, r->>1, (r->>2)::bigint from jsonb_array_elements($1::jsonb) c cross join lateral jsonb_array_elements(c->2) r
    on conflict (account_id, meter, id) do nothing`,
  keysUsed: `update api_keys set last_used_at_ms = greatest(coalesce(api_keys.last_used_at_ms, 0), v.at)
    from unnest($1::text[], $2::bigint[]) as v(id, at) where api_keys.id = v.id`,
} as const;

/** The batch as column arrays, aggregated by each table's primary key (one statement must not touch a row twice). */
interface Columns {
  touched: string[];
  days: { d: number[]; a: string[]; m: string[]; al: number[]; wt: number[]; th: number[]; ce: number[] };
  minutes: { t: number[]; k: string[]; a: string[]; m: string[]; al: number[]; wt: number[]; th: number[]; ce: number[] };
  peaks: { t: number[]; a: string[]; m: string[]; also: string[]; d: number[] };
  events: { t: number[]; a: string[]; m: string[]; w: string[]; dec: string[]; n: number[] };
  /** JSON documents of at most IDS_PER_STATEMENT ids each. */
  ids: string[];
  keys: { id: string[]; at: number[] };
}

const byText = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

function columnsOf(batch: UsageBatch): Columns {
  const touched = new Set<string>();
  const minutes = new Map<string, { minuteMs: number; keyId: string; accountId: string; meter: string; allowed: number; wouldThrottle: number; throttled: number; ceiling: number }>();
  const days = new Map<string, { dayMs: number; accountId: string; meter: string; allowed: number; wouldThrottle: number; throttled: number; ceiling: number }>();
  const accountMinutes = new Map<string, { minuteMs: number; accountId: string; meter: MeterColumn; dayMs: number }>();
  for (const r of batch.minutes) {
    const meter = r.meter[0];
    touched.add(r.accountId);
    const mk = `${r.minuteMs}\u0000${r.keyId}\u0000${meter}`;
    const m = minutes.get(mk);
    if (m) {
      m.allowed += r.allowed;
      m.wouldThrottle += r.wouldThrottle;
      m.throttled += r.throttled;
      m.ceiling += r.ceiling;
    } else minutes.set(mk, { minuteMs: r.minuteMs, keyId: r.keyId, accountId: r.accountId, meter, allowed: r.allowed, wouldThrottle: r.wouldThrottle, throttled: r.throttled, ceiling: r.ceiling });
    const dayMs = startOfUtcDay(r.minuteMs);
    const dk = `${dayMs}\u0000${r.accountId}\u0000${meter}`;
    let d = days.get(dk);
    if (!d) days.set(dk, (d = { dayMs, accountId: r.accountId, meter, allowed: 0, wouldThrottle: 0, throttled: 0, ceiling: 0 }));
    d.allowed += r.allowed;
    d.wouldThrottle += r.wouldThrottle;
    d.throttled += r.throttled;
    d.ceiling += r.ceiling;
    if (r.allowed + r.wouldThrottle > 0) accountMinutes.set(`${r.minuteMs}\u0000${r.accountId}\u0000${meter}`, { minuteMs: r.minuteMs, accountId: r.accountId, meter: r.meter, dayMs });
  }
  // Every flush takes the day rows' locks in this one order, so two flushes of the same accounts wait for each other instead of deadlocking.
  const dayRows = [...days.values()].sort((x, y) => byText(x.accountId, y.accountId) || byText(x.meter, y.meter) || x.dayMs - y.dayMs);
  const cols: Columns = {
    touched: [...touched],
    days: { d: [], a: [], m: [], al: [], wt: [], th: [], ce: [] },
    minutes: { t: [], k: [], a: [], m: [], al: [], wt: [], th: [], ce: [] },
    peaks: { t: [], a: [], m: [], also: [], d: [] },
    events: { t: [], a: [], m: [], w: [], dec: [], n: [] },
    ids: [],
    keys: { id: [], at: [] },
  };
  for (const d of dayRows) {
    const c = cols.days;
    c.d.push(d.dayMs), c.a.push(d.accountId), c.m.push(d.meter), c.al.push(d.allowed), c.wt.push(d.wouldThrottle), c.th.push(d.throttled), c.ce.push(d.ceiling);
  }
  for (const r of minutes.values()) {
    const c = cols.minutes;
    c.t.push(r.minuteMs), c.k.push(r.keyId), c.a.push(r.accountId), c.m.push(r.meter), c.al.push(r.allowed), c.wt.push(r.wouldThrottle), c.th.push(r.throttled), c.ce.push(r.ceiling);
  }
  for (const p of accountMinutes.values()) {
    const c = cols.peaks;
    c.t.push(p.minuteMs), c.a.push(p.accountId), c.m.push(p.meter[0]), c.also.push(p.meter[1]), c.d.push(p.dayMs);
  }
  const events = new Map<string, { minuteMs: number; accountId: string; meter: string; window: string; decision: string; count: number }>();
  for (const e of batch.limitEvents) {
    const ek = `${e.minuteMs}\u0000${e.accountId}\u0000${e.meter}\u0000${e.window}\u0000${e.decision}`;
    const had = events.get(ek);
    if (had) had.count += e.count;
    else events.set(ek, { ...e });
  }
  for (const e of events.values()) {
    const c = cols.events;
    c.t.push(e.minuteMs), c.a.push(e.accountId), c.m.push(e.meter), c.w.push(e.window), c.dec.push(e.decision), c.n.push(e.count);
  }
  let chunks: unknown[] = [];
  let n = 0;
  for (const chunk of batch.idChunks) {
    if (n + chunk[2].length > IDS_PER_STATEMENT && chunks.length) {
      cols.ids.push(JSON.stringify(chunks));
      chunks = [];
      n = 0;
    }
    chunks.push(chunk);
    n += chunk[2].length;
  }
  if (chunks.length) cols.ids.push(JSON.stringify(chunks));
  const keys = new Map<string, number>();
  for (const [keyId, at] of batch.keysUsed) keys.set(keyId, Math.max(at, keys.get(keyId) ?? at));
  for (const [keyId, at] of [...keys].sort((x, y) => byText(x[0], y[0]))) cols.keys.id.push(keyId), cols.keys.at.push(at);
  return cols;
}

/**
 * One flush, in one transaction under READ COMMITTED. Several instances flush the same accounts' same
 * minutes: the additive upserts are exact on their own (ON CONFLICT DO UPDATE adds to the row's latest
 * version), but the day's peak reads the minute's total over all keys, which another instance's
 * uncommitted rows would be missing from. So the day rows are written first, in a fixed order: their
 * row locks make two flushes of the same account, meter and day take turns, and the second one's
 * later statements (each with a fresh snapshot) see the first one's minutes. Every minute row belongs
 * to a day row its writer already holds, so the minute rows cannot deadlock either.
 */
async function writeOnce(client: pg.PoolClient, c: Columns, batchId: string, nowMs: number): Promise<void> {
  await client.query("begin");
  try {
    const claimed = await client.query(SQL.claimBatch, [batchId, nowMs]);
    if (claimed.rowCount === 1) {
      if (c.days.d.length) {
        const d = c.days;
        await client.query(SQL.upsertDays, [d.d, d.a, d.m, d.al, d.wt, d.th, d.ce]);
        const m = c.minutes;
        await client.query(SQL.upsertMinutes, [m.t, m.k, m.a, m.m, m.al, m.wt, m.th, m.ce]);
        const p = c.peaks;
        if (p.t.length) await client.query(SQL.raisePeaks, [p.t, p.a, p.m, p.also, p.d]);
      }
      const e = c.events;
      if (e.t.length) await client.query(SQL.upsertLimitEvents, [e.t, e.a, e.m, e.w, e.dec, e.n]);
      for (const ids of c.ids) await insertIds(client, ids);
      if (c.keys.id.length) await client.query(SQL.keysUsed, [c.keys.id, c.keys.at]);
    }
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  }
}

/**
 * A flush's ids are new but for a race (the same id counted by two instances at once) or a batch
 * that repeats one: a plain INSERT, about a third cheaper than ON CONFLICT's speculative insertion,
 * and on a duplicate the same rows again skipping those stored (the first decision stays), as SQLite's
 * INSERT OR IGNORE. The savepoint keeps the rest of the flush when the plain INSERT fails.
 */
async function insertIds(client: pg.PoolClient, ids: string): Promise<void> {
  await client.query("savepoint ids");
  try {
    await client.query(SQL.insertIds, [ids]);
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    await client.query("rollback to savepoint ids");
    await client.query(SQL.insertIdsSkippingStored, [ids]);
  }
  await client.query("release savepoint ids");
}

export function pgMeteringQueries(db: PgDb, clock: Clock = systemClock): PgMeteringQueries {
  return {
    keyByHash: async (hash: string) => {
      const [row] = await db.select({ id: apiKeys.id, accountId: apiKeys.accountId, revokedAtMs: apiKeys.revokedAtMs }).from(apiKeys).where(eq(apiKeys.hash, hash));
      return row;
    },

    termsRow: async (accountId: string): Promise<TermsRow | undefined> => {
      const [row] = await db
        .select({
          id: accounts.id,
          name: accounts.name,
          planId: accounts.planId,
          planVersion: accounts.planVersion,
          billingAnchorMs: accounts.billingAnchorMs,
          billingInterval: accounts.billingInterval,
          planStartedAtMs: accounts.planStartedAtMs,
          enforcementOverride: accounts.enforcementOverride,
          capOverridesJson: accounts.capOverridesJson,
          grandfatheredUntilMs: accounts.grandfatheredUntilMs,
          // 0 or 1, as SQLite stores it and TermsRow says.
          overageOptIn: sql<number>`${accounts.overageOptIn}::int`.mapWith(Number),
        })
        .from(accounts)
        .where(eq(accounts.id, accountId));
      return row;
    },

    deliveredNotices: async (accountId: string, sinceMs: number) => {
      const rows = await db
        .select({ meter: notices.meter, window: notices.window, at: min(notices.deliveredAtMs).mapWith(Number) })
        .from(notices)
        .where(and(eq(notices.accountId, accountId), isNotNull(notices.deliveredAtMs), gte(notices.deliveredAtMs, sinceMs), inArray(notices.kind, GRACE_NOTICE_KINDS)))
        .groupBy(notices.meter, notices.window)
        // The SQLite query leaves the order to its GROUP BY (by meter, then window, NULL first, bytewise); the same here.
        .orderBy(sql`${notices.meter} collate "C"`, sql`${notices.window} collate "C" nulls first`);
      return rows as Array<{ meter: string; window: WindowName | null; at: number }>;
    },

    planMode: async (planId: string): Promise<EnforcementMode | undefined> => {
      const [row] = await db.select({ enforcement: planSettings.enforcement }).from(planSettings).where(eq(planSettings.planId, planId));
      return row?.enforcement;
    },

    // A meter's ids are those under its id, and the default meter's also those written before meters were counted apart ('').
    seenDecision: async (accountId: string, meter: MeterColumn, id: string) => {
      const [row] = await db
        .select({ decision: meteredIds.decision })
        .from(meteredIds)
        .where(and(eq(meteredIds.accountId, accountId), inArray(meteredIds.meter, [meter[0], meter[1]]), eq(meteredIds.id, id)))
        .limit(1);
      return (row?.decision as DecisionName | undefined) ?? null;
    },

    /**
     * One query for a whole batch; the ids go as one array parameter, however many there are. Written as one
     * primary-key probe per id (a lateral subquery with LIMIT 1 runs as a nested loop over the ids) so that the
     * plan does not depend on the table's statistics: as `id = any(…)` the planner takes a table whose statistics
     * lag its growth (any table filling faster than autovacuum analyses it), or one of a few hundred thousand
     * rows, as cheaper to scan whole, and each batch then reads every stored id (about 100 ms at 400,000 rows
     * instead of 3 ms).
     */
    storedIds: async (accountId: string, meter: MeterColumn, ids: string[]) => {
      const result = await db.execute<{ id: string }>(sql`select v.id from unnest(${sql.param(ids)}::text[]) as v(id)
        cross join lateral (select 1 from ${meteredIds} m where m.account_id = ${accountId} and m.meter in (${meter[0]}, ${meter[1]}) and m.id = v.id limit 1) stored`);
      return new Set(result.rows.map((r) => r.id));
    },

    async writeBatch(batch: UsageBatch, batchId: string): Promise<string[]> {
      const columns = columnsOf(batch);
      const client = await db.$client.connect();
      let failure: Error | undefined;
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await writeOnce(client, columns, batchId, clock.now());
            return columns.touched;
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            if (attempt >= ATTEMPTS || typeof code !== "string" || !RETRYABLE.has(code)) {
              failure = err instanceof Error ? err : new Error(String(err));
              throw err;
            }
          }
        }
      } finally {
        // After a failed flush the connection may be broken or mid-transaction (a lost server, a timeout): the pool drops it.
        client.release(failure);
      }
    },

    /** The rollups' counts of the account's windows on the meter (usage's read, one round trip). */
    persisted: (accountId, meter, billingAnchorMs, nowMs, planStartedAtMs, quotaWindow): Promise<PersistedCounts> => persistedUsage(db)(accountId, meter, billingAnchorMs, nowMs, planStartedAtMs, quotaWindow),

    /** Forgets the ids seen before `beforeMs`, and the batch ids of flushes written before then; answers how many ids. */
    pruneIds: async (beforeMs: number) => {
      const result = await db.execute(sql`with flushes as (delete from usage_flushes where flushed_at_ms < ${beforeMs}) delete from metered_ids where seen_at_ms < ${beforeMs}`);
      return result.rowCount ?? 0;
    },
  };
}
