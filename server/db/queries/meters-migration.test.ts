import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { twoMeterCatalog } from "../../../shared/testing/two-meter-catalog";
import { hashKey } from "../../keys/keys";
import { ManualClock } from "../../lib/clock";
import { testMeter } from "../../testing/test-meter";
import { migrateDatabase, openDatabase, type Database_ } from "../client";
import { meteringQueries } from "./metering";
import { callsServed, meterColumnOf, usageDays } from "./usage";

/**
 * A database with usage recorded before meters were counted apart, migrated: its rows keep meter ''
 * and are read as the catalog's default meter — by the rollup queries, the meter's counters, the
 * idempotency ids and the grace rule — and never as another meter's.
 */

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../migrations");
const T0 = Date.parse("2026-11-25T14:00:30Z");
const DAY = Date.parse("2026-11-25T00:00:00Z");
const MINUTE = Date.parse("2026-11-25T14:00:00Z");

let dir: string;
let database: Database_;

/** The migrations up to (and without) the one that brought meters. */
function migrationsBeforeMeters(): string {
  const before = join(dir, "migrations");
  cpSync(MIGRATIONS, before, { recursive: true });
  const journalPath = join(before, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag.endsWith("_meters"));
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalPath, JSON.stringify(journal));
  return before;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "headroom-meters-migration-"));
  database = openDatabase(join(dir, "h.db"));
  migrate(database.db, { migrationsFolder: migrationsBeforeMeters() });
  const s = database.sqlite;
  // What a database held before: an account, a key, its rollups, an idempotency id, a delivered notice.
  s.prepare("insert into accounts (id, name, email, plan_id, billing_anchor_ms, created_at_ms, enforcement_override) values ('acc_old', 'Old', 'old@example.com', 'starter', ?, ?, 'enforce')").run(DAY - 20 * 86_400_000, DAY - 20 * 86_400_000);
  s.prepare("insert into api_keys (id, account_id, name, prefix, hash, created_at_ms) values ('key_old', 'acc_old', 'k', 'hr_live_old', ?, ?)").run("0".repeat(64), DAY - 20 * 86_400_000);
  s.prepare("insert into usage_minute (minute_ms, key_id, account_id, allowed, would_throttle, throttled, ceiling) values (?, 'key_old', 'acc_old', 40, 2, 0, 0)").run(MINUTE);
  s.prepare("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, 'acc_old', 900, 2, 0, 0, 42)").run(DAY);
  s.prepare("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, 'acc_old', 500, 0, 0, 0, 20)").run(DAY - 86_400_000);
  s.prepare("insert into metered_ids (account_id, id, decision, seen_at_ms) values ('acc_old', 'req-old', 'allow', ?)").run(MINUTE);
  s.prepare("insert into limit_events (minute_ms, account_id, window, decision, count) values (?, 'acc_old', 'minute', 'would_throttle', 2)").run(MINUTE);
  s.prepare("insert into notices (id, account_id, kind, window, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values ('ntc_old', 'acc_old', 'reached', 'minute', 0, 'acc_old:reached:minute:0', ?, ?)").run(T0 - 100 * 3_600_000, T0 - 100 * 3_600_000);
  migrateDatabase(database.db);
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the migration that brought meters", () => {
  it("keeps every row, with meter '' (not the column's name, which an unquoted copy would have written)", () => {
    const s = database.sqlite;
    for (const table of ["usage_minute", "usage_day", "metered_ids", "limit_events", "notices"]) {
      expect(s.prepare(`select distinct meter from ${table}`).pluck().all(), table).toEqual([""]);
    }
    expect(s.prepare("select count(*) from usage_day").pluck().get()).toBe(2);
  });

  it("reads the old rows as the default meter's, and as no other meter's", async () => {
    const calls = meterColumnOf(twoMeterCatalog);
    const mcp = meterColumnOf(twoMeterCatalog, "mcp");
    expect(calls).toEqual(["calls", ""]);
    // Yesterday from the day rollup, today so far from the minute rollup.
    expect(await callsServed(database.db, "acc_old", calls, DAY - 86_400_000, T0)).toBe(500 + 42);
    expect(await callsServed(database.db, "acc_old", mcp, DAY - 86_400_000, T0)).toBe(0);
    expect((await usageDays(database.db, "acc_old", calls, DAY - 86_400_000)).map((d) => d.allowed)).toEqual([500, 900]);
    expect(await usageDays(database.db, "acc_old", mcp, DAY - 86_400_000)).toEqual([]);
    const q = meteringQueries(database.sqlite);
    expect(q.seenDecision("acc_old", calls, "req-old")).toBe("allow");
    expect(q.seenDecision("acc_old", mcp, "req-old")).toBeNull();
  });

  it("counts new usage beside the old rows: the default meter's windows start from them, another meter's from zero", async () => {
    const clock = new ManualClock(T0);
    const meter = testMeter(database.sqlite, clock, { catalog: twoMeterCatalog });
    const calls = meter.limitsFor("acc_old").limits;
    expect(calls.find((l) => l.window === "day")).toMatchObject({ limit: 1_000, used: 902 });
    expect(calls.find((l) => l.window === "minute")).toMatchObject({ limit: 60, used: 42 });
    expect(meter.limitsFor("acc_old", "mcp").limits.find((l) => l.window === "day")).toMatchObject({ limit: 200, used: 0 });
    // The old notice about the minute cap is the default meter's: its grace has passed there, not on MCP tool calls.
    const s = meter.standing("acc_old");
    expect(s.meters[0]!.noticeDeliveredAtMs.minute).toBe(T0 - 100 * 3_600_000);
    expect(s.meters[1]!.noticeDeliveredAtMs).toEqual({});
    // The day's rows: the old one ('') and one under the meter's id from now on, read together.
    database.sqlite.prepare("update api_keys set hash = ? where id = 'key_old'").run(hashKey("hr_live_old_key"));
    meter.invalidateKeys();
    const r = meter.check("hr_live_old_key", 5);
    expect(r.ok && r.limits.find((l) => l.window === "day")!.used).toBe(907);
    meter.flush();
    const rows = database.sqlite.prepare("select meter, allowed from usage_day where account_id = 'acc_old' and day_ms = ? order by meter").all(DAY);
    expect(rows).toEqual([
      { meter: "", allowed: 900 },
      { meter: "calls", allowed: 5 },
    ]);
    expect((await usageDays(database.db, "acc_old", meterColumnOf(twoMeterCatalog), DAY))[0]).toMatchObject({ allowed: 905, peakMinute: 47 });
  });
});
