import { sql } from "drizzle-orm";
import { accounts, apiKeys, type AccountRow } from "../../schema";
import type { NewAccountRow } from "../../queries/accounts";
import type { NewApiKeyRow } from "../../queries/keys";
import type { Db } from "../../client";

/** One UTC day of a demo account's traffic: its minutes per key and the day's rollup. */
export interface DemoDay {
  dayMs: number;
  allowed: number;
  wouldThrottle: number;
  /** Refused for a plan cap (enforce mode, after the grace period); none when absent. */
  throttled?: number;
  peakMinute: number;
  minutes: Array<{ minuteMs: number; keyId: string; allowed: number; wouldThrottle: number; throttled?: number }>;
}

/** A demo account, its keys and its history (read as it is written: a month of minutes is large). */
export interface DemoSeed {
  account: NewAccountRow;
  keys: NewApiKeyRow[];
  days: Iterable<DemoDay>;
}

/**
 * Writes the demo in one transaction, into an empty database only (answers null if any account
 * exists): accounts, keys, minute and day rollups, and each key's last use from its minutes. Bulk
 * writes through prepared statements: a seed is hundreds of thousands of rows.
 */
export async function insertDemo(db: Db, seeds: Iterable<DemoSeed>): Promise<{ accounts: AccountRow[]; minuteRows: number } | null> {
  return db.transaction((tx) => {
    const existing = tx.select({ n: sql<number>`count(*)` }).from(accounts).get()!.n;
    if (existing > 0) return null;
    const sqlite = db.$client;
    const insertMinute = sqlite.prepare(
      "insert into usage_minute (minute_ms, key_id, account_id, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, ?, ?, ?, 0)",
    );
    const insertDay = sqlite.prepare(
      "insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, ?, ?, 0, ?)",
    );
    const keyLastUsed = sqlite.prepare("update api_keys set last_used_at_ms = (select max(minute_ms) from usage_minute where key_id = ?) where id = ?");
    const created: AccountRow[] = [];
    let minuteRows = 0;
    for (const seed of seeds) {
      created.push(tx.insert(accounts).values(seed.account).returning().get());
      for (const key of seed.keys) tx.insert(apiKeys).values(key).run();
      for (const day of seed.days) {
        for (const m of day.minutes) insertMinute.run(m.minuteMs, m.keyId, seed.account.id, m.allowed, m.wouldThrottle, m.throttled ?? 0);
        minuteRows += day.minutes.length;
        insertDay.run(day.dayMs, seed.account.id, day.allowed, day.wouldThrottle, day.throttled ?? 0, day.peakMinute);
      }
      for (const key of seed.keys) keyLastUsed.run(key.id, key.id);
    }
    return { accounts: created, minuteRows };
  });
}
