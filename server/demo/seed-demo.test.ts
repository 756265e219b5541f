import { demoCatalog } from "../../shared/testing/demo-catalog";
import { beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "../db/client";
import { ManualClock } from "../lib/clock";
import { getAccount } from "../accounts/accounts";
import { getUsageOverview } from "../metering/usage-summary";
import { seedDemo, type SeedResult } from "./seed-demo";
import { testMeter } from "../testing/test-meter";

describe("seedDemo", () => {
  const database = openDatabase(":memory:");
  migrateDatabase(database.db);
  const clock = new ManualClock(Date.parse("2026-11-25T15:30:00Z"));
  let result: SeedResult;
  beforeAll(async () => {
    result = (await seedDemo(database.db, demoCatalog, clock))!;
  });
  const day = (id: string) =>
    database.sqlite
      .prepare("select max(allowed + would_throttle) as maxDay, max(peak_minute) as peak, count(*) as days from usage_day where account_id = ?")
      .get(id) as { maxDay: number; peak: number; days: number };

  it("creates about ten accounts over every plan", () => {
    expect(result.accounts).toHaveLength(10);
    expect(new Set(result.accounts.map((a) => a.plan.id))).toEqual(new Set(["free", "starter", "pro", "business", "enterprise"]));
  });

  it("has Acme on Starter at 268 calls/min and 4,016 calls/day", () => {
    expect(day("acc_demo_acme")).toMatchObject({ maxDay: 4016, peak: 268 });
    expect(day("acc_demo_acme").days).toBeGreaterThanOrEqual(35);
  });

  it("has three Starter accounts steadily over their caps and one within", () => {
    const over = result.accounts.filter((a) => a.plan.id === "starter" && day(a.id).peak > 60 && day(a.id).maxDay > 1000);
    expect(over.map((a) => a.id).sort()).toEqual(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf"]);
  });

  it("has a Free account near its monthly cap and an Enterprise account with heavy metered usage", async () => {
    const free = (await getUsageOverview(database.db, testMeter(database.sqlite, clock), await getAccount(database.db, demoCatalog, "acc_demo_evergreen"), clock.now())).limits.find((l) => l.window === "month")!;
    expect(free.ratio).toBeGreaterThan(0.8);
    expect(free.ratio).toBeLessThan(1);
    const ent = (await getUsageOverview(database.db, testMeter(database.sqlite, clock), await getAccount(database.db, demoCatalog, "acc_demo_ionic"), clock.now())).limits.find((l) => l.window === "month")!;
    expect(ent.limit).toBeNull();
    expect(ent.used).toBeGreaterThan(1_000_000);
  });

  it("is deterministic and seeds only an empty database", async () => {
    const again = openDatabase(":memory:");
    migrateDatabase(again.db);
    await seedDemo(again.db, demoCatalog, clock);
    const sum = (s: typeof database.sqlite) => s.prepare("select sum(allowed), sum(would_throttle), count(*) from usage_minute").raw().get();
    expect(sum(again.sqlite)).toEqual(sum(database.sqlite));
    expect(await seedDemo(database.db, demoCatalog, clock)).toBeNull();
  });
});
