import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type DialectStore, type OpenDialect } from "../../testing/pg-dialects";
import * as pgUsage from "../pg/queries/usage";
import * as liteUsage from "../sqlite/queries/usage";
import type { MeterColumn } from "./usage";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const D0 = Date.parse("2026-11-01T00:00:00Z");
/** Nov 4, 06:00:30: the current minute is D0 + 3 days + 6 h. */
const NOW = D0 + 3 * DAY + 6 * HOUR + 30_000;
const API: MeterColumn = liteUsage.meterColumn("api", true);
const MCP: MeterColumn = liteUsage.meterColumn("mcp", false);

// The asynchronous reads, taking the store: the ones both dialects answer alike.
const { usageDays, usageDayOf, usageMinutes, firstUsageDay, hasUsage, callsServed } = liteUsage;
const liteQueries = { usageDays, usageDayOf, usageMinutes, firstUsageDay, hasUsage, callsServed };

/** callsServedBetween takes SQLite's own handle there and the pool here. */
const servedBetween = (store: DialectStore, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): Promise<number> =>
  store.dialect === "sqlite" ? Promise.resolve(liteUsage.callsServedBetween(store.db.$client, accountId, meter, fromMs, toMs)) : pgUsage.callsServedBetween(store.db, accountId, meter, fromMs, toMs);

/** What persistedUsage reads, synchronously there, with a promise here. */
const persisted = async (store: DialectStore, ...args: Parameters<ReturnType<typeof liteUsage.persistedUsage>>) =>
  store.dialect === "sqlite" ? liteUsage.persistedUsage(store.db.$client)(...args) : pgUsage.persistedUsage(store.db)(...args);

const day = (dayMs: number, meter: string, allowed: number, wouldThrottle: number, throttled: number, ceiling: number, peakMinute: number, accountId = "acc_1") => ({ dayMs, accountId, meter, allowed, wouldThrottle, throttled, ceiling, peakMinute });
const minute = (minuteMs: number, keyId: string, meter: string, allowed: number, wouldThrottle = 0, throttled = 0, accountId = "acc_1") => ({ minuteMs, keyId, accountId, meter, allowed, wouldThrottle, throttled, ceiling: 0 });

describe.each(DIALECTS)("usage queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteQueries>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteQueries, pgUsage);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [accountRow("acc_1"), accountRow("acc_2"), accountRow("acc_3")]);
    await insertRows(database.store, "usageDay", [
      // The day meters arrived: the default meter's counts under '' and under its id, read together.
      day(D0, "", 10, 1, 2, 0, 4),
      day(D0, "api", 5, 0, 1, 1, 7),
      day(D0 + DAY, "api", 3, 2, 0, 0, 1),
      day(D0 + 2 * DAY, "api", 4, 0, 0, 0, 2),
      day(D0 + 3 * DAY, "api", 6, 1, 0, 0, 3),
      day(D0, "mcp", 99, 0, 0, 0, 9),
      day(D0 + DAY, "api", 8, 2, 0, 0, 3, "acc_2"),
    ]);
    await insertRows(database.store, "usageMinute", [
      minute(D0 + 10 * HOUR, "k1", "api", 2, 1, 1),
      minute(D0 + 10 * HOUR, "k2", "", 3),
      minute(D0 + 9 * HOUR, "k1", "api", 50),
      minute(D0 + 3 * DAY + 5 * HOUR, "k1", "api", 4, 1),
      minute(D0 + 3 * DAY + 6 * HOUR, "k1", "api", 7),
      minute(D0 + 3 * DAY + 6 * HOUR, "k2", "", 1, 1),
      minute(D0 + 3 * DAY + 6 * HOUR, "k1", "mcp", 100),
      minute(D0 + 3 * DAY + 6 * HOUR, "k9", "api", 40, 0, 0, "acc_2"),
    ]);
  });

  it("reads an account's day rows of one meter, oldest first, the '' and id rows of a day summed", async () => {
    const first = { dayMs: D0, accountId: "acc_1", allowed: 15, wouldThrottle: 1, throttled: 3, ceiling: 1, peakMinute: 7 };
    expect(await q.usageDays("acc_1", API, D0)).toEqual([
      first,
      { dayMs: D0 + DAY, accountId: "acc_1", allowed: 3, wouldThrottle: 2, throttled: 0, ceiling: 0, peakMinute: 1 },
      { dayMs: D0 + 2 * DAY, accountId: "acc_1", allowed: 4, wouldThrottle: 0, throttled: 0, ceiling: 0, peakMinute: 2 },
      { dayMs: D0 + 3 * DAY, accountId: "acc_1", allowed: 6, wouldThrottle: 1, throttled: 0, ceiling: 0, peakMinute: 3 },
    ]);
    expect((await q.usageDays("acc_1", API, D0 + DAY, D0 + 2 * DAY)).map((r) => r.dayMs)).toEqual([D0 + DAY, D0 + 2 * DAY]);
    expect(await q.usageDays("acc_1", MCP, D0)).toEqual([{ dayMs: D0, accountId: "acc_1", allowed: 99, wouldThrottle: 0, throttled: 0, ceiling: 0, peakMinute: 9 }]);
    expect(await q.usageDays("acc_3", API, D0)).toEqual([]);
    expect(await q.usageDayOf("acc_1", API, D0)).toEqual(first);
    expect(await q.usageDayOf("acc_1", API, D0 + 5 * DAY)).toBeUndefined();
  });

  it("reads per-minute counts summed over the account's keys, the minutes at both ends included", async () => {
    expect(await q.usageMinutes("acc_1", API, D0 + 3 * DAY + 5 * HOUR, D0 + 3 * DAY + 6 * HOUR)).toEqual([
      { minuteMs: D0 + 3 * DAY + 5 * HOUR, allowed: 4, wouldThrottle: 1, throttled: 0, ceiling: 0 },
      { minuteMs: D0 + 3 * DAY + 6 * HOUR, allowed: 8, wouldThrottle: 1, throttled: 0, ceiling: 0 },
    ]);
    expect(await q.usageMinutes("acc_1", MCP, D0, NOW)).toEqual([{ minuteMs: D0 + 3 * DAY + 6 * HOUR, allowed: 100, wouldThrottle: 0, throttled: 0, ceiling: 0 }]);
    expect(await q.usageMinutes("acc_1", API, D0 + 3 * DAY + 5 * HOUR + MINUTE, D0 + 3 * DAY + 6 * HOUR - MINUTE)).toEqual([]);
  });

  it("knows the first day of usage of a meter, and whether the account ever had any", async () => {
    expect(await q.firstUsageDay("acc_1", API)).toBe(D0);
    expect(await q.firstUsageDay("acc_2", API)).toBe(D0 + DAY);
    expect(await q.firstUsageDay("acc_2", MCP)).toBeNull();
    expect(await q.hasUsage("acc_1")).toBe(true);
    expect(await q.hasUsage("acc_3")).toBe(false);
  });

  it("counts units served to the minute: partial days from the minutes, whole days from the day rows", async () => {
    // [Nov 1 10:00, Nov 2) by minute: 3 + 3; Nov 2 and 3 by day: 5 + 4; [Nov 4, 06:00:00.001) by minute: 5 + 7 + 2.
    expect(await q.callsServed("acc_1", API, D0 + 10 * HOUR + 30_000, D0 + 3 * DAY + 6 * HOUR + 1)).toBe(29);
    expect(await servedBetween(database.store, "acc_1", API, D0 + 10 * HOUR + 30_000, D0 + 3 * DAY + 6 * HOUR + 1)).toBe(29);
    // Within one day: the minutes only (the 06:00 minute is not before 06:00).
    expect(await q.callsServed("acc_1", API, D0 + 3 * DAY, D0 + 3 * DAY + 6 * HOUR)).toBe(5);
    // Whole days: the day rows only.
    expect(await q.callsServed("acc_1", API, D0, D0 + 2 * DAY)).toBe(21);
    // The other meter: its day row, not its minute of a day it has no day row for.
    expect(await q.callsServed("acc_1", MCP, D0, D0 + 4 * DAY)).toBe(99);
    expect(await q.callsServed("acc_1", API, NOW, NOW)).toBe(0);
    expect(await servedBetween(database.store, "acc_1", API, NOW, NOW - 1)).toBe(0);
  });

  it("reads what the rollups hold for the current day, month window and minute", async () => {
    // The month from Nov 1 by day: 16 + 5 + 4 + 7; today's row 7; this minute 7 + 2.
    expect(await persisted(database.store, "acc_1", API, D0, NOW)).toEqual({ dayUsed: 7, monthUsed: 32, minuteUsed: 9 });
    // A plan started on Nov 3 at noon counts the month from there.
    expect(await persisted(database.store, "acc_1", API, D0, NOW, D0 + 2 * DAY + 12 * HOUR)).toEqual({ dayUsed: 7, monthUsed: 7, minuteUsed: 9 });
    expect(await persisted(database.store, "acc_1", MCP, D0, NOW, null, "year")).toEqual({ dayUsed: 0, monthUsed: 99, minuteUsed: 100 });
    expect(await persisted(database.store, "acc_3", API, D0, NOW)).toEqual({ dayUsed: 0, monthUsed: 0, minuteUsed: 0 });
  });
});
