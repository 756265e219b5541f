/**
 * The storage's physical limit for /v1/events: the same rollup rows (usage_minute per minute and
 * key, usage_day per day and account) and one metered_ids row per event, written with prepared
 * better-sqlite3 statements in one IMMEDIATE transaction per batch, on a temp file database with
 * Headroom's own schema and pragmas (WAL, synchronous=NORMAL). No HTTP, no JSON, no validation.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase, openDatabase } from "../../server/db/client";

export interface RawStore {
  /** Writes batches for `seconds`; returns how many events were written, the wall time and this process's CPU time. */
  run(seconds: number): { events: number; seconds: number; cpuMs: number };
  /** The events usage_minute holds (must equal every event written). */
  stored(): number;
  close(): void;
}

export function openRawStore(o: { batch: number }): RawStore {
  const dir = mkdtempSync(join(tmpdir(), "headroom-bench-raw-"));
  const database = openDatabase(join(dir, "raw.db"));
  migrateDatabase(database.db);
  const s = database.sqlite;
  const upsertMinute = s.prepare(
    `insert into usage_minute (minute_ms, key_id, account_id, meter, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, 'calls', ?, 0, 0, 0)
     on conflict (minute_ms, key_id, meter) do update set allowed = allowed + excluded.allowed`,
  );
  const upsertDay = s.prepare(
    `insert into usage_day (day_ms, account_id, meter, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 'calls', ?, 0, 0, 0, 0)
     on conflict (account_id, meter, day_ms) do update set allowed = allowed + excluded.allowed`,
  );
  const insertId = s.prepare("insert or ignore into metered_ids (account_id, meter, id, decision, seen_at_ms) values (?, 'calls', ?, 'allow', ?)");
  const keyId = "key_bench";
  const accountId = "acc_bench";
  const writeBatch = s.transaction((b: number, now: number) => {
    const minutes = new Map<number, number>();
    for (let i = 0; i < o.batch; i++) {
      const at = now - 1000 + Math.floor((i * 1000) / o.batch);
      const minute = at - (at % 60_000);
      minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
      insertId.run(accountId, `raw-b${b}-${i}`, now);
    }
    for (const [minute, n] of minutes) upsertMinute.run(minute, keyId, accountId, n);
    upsertDay.run(now - (now % 86_400_000), accountId, o.batch);
  });
  let batches = 0;
  return {
    run: (seconds) => {
      const cpu0 = process.cpuUsage();
      const started = performance.now();
      const deadline = started + seconds * 1000;
      let n = 0;
      while (performance.now() < deadline) {
        writeBatch.immediate(batches++, Date.now());
        n++;
      }
      const cpu = process.cpuUsage(cpu0);
      return { events: n * o.batch, seconds: (performance.now() - started) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 };
    },
    stored: () => s.prepare("select coalesce(sum(allowed), 0) from usage_minute").pluck().get() as number,
    close: () => {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
