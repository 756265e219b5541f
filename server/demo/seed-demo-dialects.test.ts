import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import { migrateDatabase, openDatabase } from "../db/client";
import { ManualClock } from "../lib/clock";
import { rowsOf } from "../testing/dialect-rows";
import { DIALECTS, type OpenDialect } from "../testing/pg-dialects";
import { DEMO_ENFORCED_ACCOUNT_ID, seedDemo } from "./seed-demo";

const AT = Date.parse("2026-11-25T15:30:00Z");

/** The day rollups and the notices, in an order both dialects can be compared in. */
type Story = { days: Array<[string, number, number, number, number, number]>; notices: Array<[string, string, string | null, number, number | null]> };

describe.each(DIALECTS)("the demo seeded on $dialect", ({ open }) => {
  let database: OpenDialect;
  let reference: Story;

  beforeAll(async () => {
    database = await open();
    // The same seed on an in-memory SQLite database: what every dialect must store.
    const lite = openDatabase(":memory:");
    migrateDatabase(lite.db);
    await seedDemo(lite.db, demoCatalog, new ManualClock(AT));
    reference = {
      days: lite.sqlite.prepare("select account_id, day_ms, allowed, would_throttle, throttled, peak_minute from usage_day order by account_id, day_ms").raw().all() as Story["days"],
      notices: lite.sqlite.prepare("select account_id, kind, window, created_at_ms, delivered_at_ms from notices order by account_id, created_at_ms").raw().all() as Story["notices"],
    };
    lite.close();
  }, 60_000);
  afterAll(() => database.close());

  it("stores the same history, refusals and notices as SQLite in memory", { timeout: 120_000 }, async () => {
    const seeded = await seedDemo(database.store.db, demoCatalog, new ManualClock(AT));
    expect(seeded?.accounts).toHaveLength(10);
    const days = (await rowsOf(database.store, "usageDay"))
      .map((d) => [d.accountId, d.dayMs, d.allowed, d.wouldThrottle, d.throttled, d.peakMinute] as Story["days"][number])
      .sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
    expect(days).toEqual(reference.days);
    // The enforced account's refusals are there (and nowhere else).
    expect(days.filter((d) => d[4] > 0).every((d) => d[0] === DEMO_ENFORCED_ACCOUNT_ID)).toBe(true);
    expect(days.some((d) => d[4] > 0)).toBe(true);
    const notices = (await rowsOf(database.store, "notices"))
      .map((n) => [n.accountId, n.kind, n.window, n.createdAtMs, n.deliveredAtMs] as Story["notices"][number])
      .sort((a, b) => a[0].localeCompare(b[0]) || a[3] - b[3]);
    expect(notices).toEqual(reference.notices);
    expect(notices.filter((n) => n[0] === DEMO_ENFORCED_ACCOUNT_ID).map((n) => n[1])).toEqual(["approaching", "reached"]);
  });
});
