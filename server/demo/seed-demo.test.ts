import { demoCatalog } from "../../shared/testing/demo-catalog";
import { beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../shared/limits";
import { migrateDatabase, openDatabase } from "../db/client";
import { ManualClock } from "../lib/clock";
import { getAccount } from "../accounts/accounts";
import { getUsageOverview } from "../metering/usage-summary";
import { DEMO_ENFORCED_ACCOUNT_ID, seedDemo, type SeedResult } from "./seed-demo";
import { testMeter } from "../testing/test-meter";

type Seeded = { database: ReturnType<typeof openDatabase>; result: SeedResult; clock: ManualClock };

async function seededAt(iso: string): Promise<Seeded> {
  const database = openDatabase(":memory:");
  migrateDatabase(database.db);
  const clock = new ManualClock(Date.parse(iso));
  // As `start` seeds: with the server's whole notify context, whose own clock says another time.
  const notify = { baseUrl: () => "http://localhost:3000", linkSecret: "demo-test", clock: new ManualClock(Date.parse(iso) + 3_600_000) };
  const result = (await seedDemo(database.db, demoCatalog, clock, { links: notify }))!;
  return { database, result, clock };
}

interface DayRow {
  dayMs: number;
  calls: number;
  throttled: number;
  peak: number;
}

function daysOf(s: Seeded, accountId: string): DayRow[] {
  return s.database.sqlite
    .prepare("select day_ms as dayMs, allowed + would_throttle + throttled as calls, throttled, peak_minute as peak from usage_day where account_id = ? order by day_ms")
    .all(accountId) as DayRow[];
}

const weekend = (d: DayRow) => [0, 6].includes(new Date(d.dayMs).getUTCDay());
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const lastWeek = (s: Seeded, rows: DayRow[]) => rows.filter((r) => r.dayMs > s.clock.now() - 7 * DAY_MS);

describe("seedDemo", () => {
  // A Wednesday afternoon, after the nightly batches have run.
  let s: Seeded;
  beforeAll(async () => {
    s = await seededAt("2026-11-25T15:30:00Z");
  });
  const day = (id: string) => {
    const rows = daysOf(s, id);
    return { maxDay: Math.max(...rows.map((r) => r.calls)), peak: Math.max(...rows.map((r) => r.peak)), days: rows.length };
  };

  it("creates ten accounts over every plan", () => {
    expect(s.result.accounts).toHaveLength(10);
    expect(new Set(s.result.accounts.map((a) => a.plan.id))).toEqual(new Set(["free", "starter", "pro", "business", "enterprise"]));
  });

  it("has Acme on Starter at 268 calls/min and 4,016 calls on its busiest day, today", () => {
    expect(day("acc_demo_acme")).toMatchObject({ maxDay: 4016, peak: 268 });
    expect(day("acc_demo_acme").days).toBeGreaterThanOrEqual(35);
    const rows = daysOf(s, "acc_demo_acme");
    // Once the 02:00 batch has run, today is the busiest day; every day's batch runs at 268 calls/min.
    expect(rows.at(-1)).toMatchObject({ dayMs: Date.parse("2026-11-25T00:00:00Z"), calls: 4016 });
    expect(rows.filter((r) => r.calls === 4016)).toHaveLength(1);
    expect(rows.every((r) => r.peak === 268)).toBe(true);
  });

  it("keeps Acme's figures in the last seven days before tonight's batch has run, and today's at 4,016 once it has", async () => {
    for (const iso of ["2026-11-28T01:30:00Z", "2026-11-29T03:00:00Z", "2026-11-30T02:05:00Z"]) {
      const at = await seededAt(iso);
      const week = lastWeek(at, daysOf(at, "acc_demo_acme"));
      expect(Math.max(...week.map((r) => r.calls)), iso).toBe(4016);
      expect(Math.max(...week.map((r) => r.peak)), iso).toBe(268);
      expect(Math.max(...daysOf(at, "acc_demo_acme").map((r) => r.calls)), iso).toBe(4016);
      at.database.close();
    }
    // A Sunday (a quiet day) at 03:00: the night's batch has run in full, and it is the busiest.
    const sunday = await seededAt("2026-11-29T03:00:00Z");
    expect(daysOf(sunday, "acc_demo_acme").at(-1)!.calls).toBe(4016);
    sunday.database.close();
  });

  it("looks like real traffic: days differ, weekends are quieter, the month grows, and there are bursts", () => {
    const acme = daysOf(s, "acc_demo_acme").slice(0, -1);
    expect(new Set(acme.map((r) => r.calls)).size).toBeGreaterThan(25);
    expect(mean(acme.filter(weekend).map((r) => r.calls))).toBeLessThan(0.7 * mean(acme.filter((r) => !weekend(r)).map((r) => r.calls)));
    const weekdays = acme.filter((r) => !weekend(r)).map((r) => r.calls);
    expect(mean(weekdays.slice(-5))).toBeGreaterThan(1.2 * mean(weekdays.slice(0, 5)));
    // The whole demo too (every account with interactive traffic).
    for (const id of ["acc_demo_brightline", "acc_demo_copperleaf", "acc_demo_harbor", "acc_demo_juniper", "acc_demo_dovetail"]) {
      const rows = daysOf(s, id).slice(0, -1);
      expect(mean(rows.filter(weekend).map((r) => r.calls)), id).toBeLessThan(mean(rows.filter((r) => !weekend(r)).map((r) => r.calls)));
      expect(new Set(rows.map((r) => r.calls)).size, id).toBeGreaterThan(rows.length / 2);
    }
    // A day rhythm: Juniper, calling around the clock, calls more at midday than at night (UTC).
    const hourly = (h: number) =>
      (s.database.sqlite.prepare("select sum(allowed + would_throttle) as n from usage_minute where account_id = 'acc_demo_juniper' and (minute_ms / 3600000) % 24 = ?").get(h) as { n: number }).n;
    expect(hourly(12)).toBeGreaterThan(1.5 * hourly(0));
    // Acme's failed night: the batch ran twice that day (two separate stretches at 268 calls/min).
    const runsPerDay = s.database.sqlite
      .prepare("select day, count(*) as runs from (select distinct minute_ms / 86400000 as day, (minute_ms % 86400000) / 3600000 as hour from usage_minute where account_id = 'acc_demo_acme') group by day having runs > 1")
      .all();
    expect(runsPerDay).toHaveLength(1);
    // Copperleaf's sale: one day well above its others.
    const copper = daysOf(s, "acc_demo_copperleaf").map((r) => r.calls).sort((a, b) => b - a);
    expect(copper[0]).toBeGreaterThan(1.5 * copper[1]!);
  });

  it("has three Starter accounts steadily over their caps and one within", () => {
    const over = s.result.accounts.filter((a) => a.plan.id === "starter" && day(a.id).peak > 60 && day(a.id).maxDay > 1000);
    expect(over.map((a) => a.id).sort()).toEqual(["acc_demo_acme", "acc_demo_brightline", "acc_demo_copperleaf"]);
    // Each of the three is over a cap in any week.
    for (const a of over) expect(lastWeek(s, daysOf(s, a.id)).some((r) => r.peak > 60 && r.calls > 1000), a.id).toBe(true);
  });

  it("has a Free account near its monthly cap and an Enterprise account with heavy metered usage", async () => {
    const meter = testMeter(s.database.sqlite, s.clock);
    const free = (await getUsageOverview(s.database.db, meter, await getAccount(s.database.db, demoCatalog, "acc_demo_evergreen"), s.clock.now())).limits.find((l) => l.window === "month")!;
    expect(free.ratio).toBeGreaterThan(0.8);
    expect(free.ratio).toBeLessThan(1);
    const ent = (await getUsageOverview(s.database.db, meter, await getAccount(s.database.db, demoCatalog, "acc_demo_ionic"), s.clock.now())).limits.find((l) => l.window === "month")!;
    expect(ent.limit).toBeNull();
    expect(ent.used).toBeGreaterThan(1_000_000);
  });

  it("has one account in enforce mode past its monthly cap and its grace period: its key is refused with the month's figures", async () => {
    const account = await getAccount(s.database.db, demoCatalog, DEMO_ENFORCED_ACCOUNT_ID);
    expect(account).toMatchObject({ enforcement: "enforce", plan: { id: "free" } });
    expect(s.result.enforcedKey.accountId).toBe(DEMO_ENFORCED_ACCOUNT_ID);
    // Told when its count reached the cap, more than the 72-hour grace period ago; read at once.
    const notices = s.database.sqlite.prepare("select kind, window, created_at_ms as createdAtMs, delivered_at_ms as deliveredAtMs, facts_json as facts from notices where account_id = ? order by created_at_ms").all(DEMO_ENFORCED_ACCOUNT_ID) as Array<{ kind: string; window: string; createdAtMs: number; deliveredAtMs: number; facts: string }>;
    expect(notices.map((n) => `${n.kind}:${n.window}`)).toEqual(["approaching:month", "reached:month"]);
    const reached = notices[1]!;
    expect(reached.deliveredAtMs).toBe(reached.createdAtMs);
    expect(s.clock.now() - reached.deliveredAtMs).toBeGreaterThan(72 * 3_600_000 + DAY_MS);
    expect(JSON.parse(reached.facts)).toMatchObject({ mode: "enforce", limit: 1000, refusalsFromMs: reached.createdAtMs + 72 * 3_600_000, recommended: { planId: "starter" } });
    // Its history: refused calls only after the grace period, none before.
    const rows = daysOf(s, DEMO_ENFORCED_ACCOUNT_ID);
    expect(rows.filter((r) => r.dayMs < reached.createdAtMs + 72 * 3_600_000 - DAY_MS).every((r) => r.throttled === 0)).toBe(true);
    expect(rows.filter((r) => r.dayMs >= reached.createdAtMs + 72 * 3_600_000).every((r) => r.throttled === r.calls)).toBe(true);
    // The meter refuses its key now, for the month cap, as the 429 example in docs/metering.md shows.
    const meter = testMeter(s.database.sqlite, s.clock);
    const answer = meter.check(s.result.enforcedKey.key, 1);
    expect(answer).toMatchObject({ decision: "throttle", allowed: false });
    const month = (await getUsageOverview(s.database.db, meter, account, s.clock.now())).limits.find((l) => l.window === "month")!;
    expect(month).toMatchObject({ limit: 1000, state: "over" });
    // The demo customer's key is Acme's, in shadow mode: served.
    expect(s.result.demoKey.accountId).toBe("acc_demo_acme");
    expect(meter.check(s.result.demoKey.key, 1)).toMatchObject({ allowed: true });
  });

  it("is deterministic and seeds only an empty database", async () => {
    const again = await seededAt("2026-11-25T15:30:00Z");
    const sum = (x: Seeded) => x.database.sqlite.prepare("select sum(allowed), sum(would_throttle), sum(throttled), count(*) from usage_minute").raw().get();
    expect(sum(again)).toEqual(sum(s));
    expect(await seedDemo(s.database.db, demoCatalog, s.clock)).toBeNull();
  });
});
