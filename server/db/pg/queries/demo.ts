import { eq, sql } from "drizzle-orm";
import type { DemoDay, DemoSeed } from "../../queries/demo";
import type { PgDb } from "../client";
import { accounts, apiKeys, type AccountRow } from "../schema";
import type { PgTx } from "../../queries/unit";

/** The PostgreSQL side of `server/db/queries/demo.ts`: the same seed, written in one transaction. */
export type { DemoDay, DemoSeed };

/**
 * Rows per statement: one array parameter per column (`unnest`; `sql.param` passes an array as one
 * parameter, where drizzle would spread it into a list), so a chunk is one round trip.
 */
const CHUNK = 5_000;

/** Minute rows waiting for their statement, column by column. */
class MinuteChunk {
  minuteMs: number[] = [];
  keyId: string[] = [];
  accountId: string[] = [];
  allowed: number[] = [];
  wouldThrottle: number[] = [];
  throttled: number[] = [];

  get size(): number {
    return this.minuteMs.length;
  }

  async flush(tx: PgTx): Promise<void> {
    if (this.size === 0) return;
    await tx.execute(sql`insert into usage_minute (minute_ms, key_id, account_id, allowed, would_throttle, throttled, ceiling)
      select m, k, a, al, wt, th, 0 from unnest(${sql.param(this.minuteMs)}::bigint[], ${sql.param(this.keyId)}::text[], ${sql.param(this.accountId)}::text[], ${sql.param(this.allowed)}::bigint[], ${sql.param(this.wouldThrottle)}::bigint[], ${sql.param(this.throttled)}::bigint[]) as t(m, k, a, al, wt, th)`);
    this.minuteMs = [];
    this.keyId = [];
    this.accountId = [];
    this.allowed = [];
    this.wouldThrottle = [];
    this.throttled = [];
  }
}

/**
 * Writes the demo in one transaction, into an empty database only (null if any account exists).
 * The accounts table is locked in EXCLUSIVE mode first: reads go on, but no account can be inserted
 * until the seed commits, so the emptiness checked is the emptiness written into, even with another
 * instance seeding or signing someone up at the same moment. Each key's last use is the latest minute
 * written for it, followed as the minutes go by rather than read back.
 */
export async function insertDemo(db: PgDb, seeds: Iterable<DemoSeed>): Promise<{ accounts: AccountRow[]; minuteRows: number } | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`lock table ${accounts} in exclusive mode`);
    const [existing] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(accounts);
    if (existing!.n > 0) return null;
    const created: AccountRow[] = [];
    const lastMinuteOf = new Map<string, number>();
    const minutes = new MinuteChunk();
    let minuteRows = 0;
    for (const seed of seeds) {
      const [account] = await tx.insert(accounts).values(seed.account).returning();
      created.push(account!);
      for (const key of seed.keys) await tx.insert(apiKeys).values(key);
      const days: DemoDay[] = [];
      for (const day of seed.days) {
        for (const m of day.minutes) {
          minutes.minuteMs.push(m.minuteMs);
          minutes.keyId.push(m.keyId);
          minutes.accountId.push(seed.account.id);
          minutes.allowed.push(m.allowed);
          minutes.wouldThrottle.push(m.wouldThrottle);
          minutes.throttled.push(m.throttled ?? 0);
          lastMinuteOf.set(m.keyId, Math.max(lastMinuteOf.get(m.keyId) ?? m.minuteMs, m.minuteMs));
          if (minutes.size >= CHUNK) await minutes.flush(tx);
        }
        minuteRows += day.minutes.length;
        days.push({ ...day, minutes: [] });
      }
      await minutes.flush(tx);
      if (days.length) {
        await tx.execute(sql`insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute)
          select d, ${seed.account.id}, al, wt, th, 0, p from unnest(${sql.param(days.map((d) => d.dayMs))}::bigint[], ${sql.param(days.map((d) => d.allowed))}::bigint[], ${sql.param(days.map((d) => d.wouldThrottle))}::bigint[], ${sql.param(days.map((d) => d.throttled ?? 0))}::bigint[], ${sql.param(days.map((d) => d.peakMinute))}::bigint[]) as t(d, al, wt, th, p)`);
      }
      for (const key of seed.keys) await tx.update(apiKeys).set({ lastUsedAtMs: lastMinuteOf.get(key.id) ?? null }).where(eq(apiKeys.id, key.id));
    }
    return { accounts: created, minuteRows };
  });
}
