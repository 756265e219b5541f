import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { yearlyCatalog } from "../../shared/testing/yearly-catalog";
import { createAccount, currentPeriod } from "../accounts/accounts";
import { migrateDatabase, openDatabase, type Database_ } from "../db/client";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { testMeter } from "../testing/test-meter";
import type { CheckResult, Meter } from "./meter";

const utc = (s: string) => Date.parse(s);
const ANCHOR = utc("2026-11-01T00:00:00Z");

let dir: string;
let database: Database_;
let clock: ManualClock;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "headroom-yearly-"));
  database = openDatabase(join(dir, "h.db"));
  migrateDatabase(database.db);
  clock = new ManualClock(utc("2026-11-25T14:00:00Z"));
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A meter on the yearly catalog, with the safety ceiling out of the way of big test calls. */
const meterOn = (proYearlyQuota: "monthly" | "yearly") => testMeter(database.sqlite, clock, { catalog: yearlyCatalog({ proYearlyQuota }), ceilingPerMinute: 10_000_000 });

async function yearlyPro(meter: Meter, proYearlyQuota: "monthly" | "yearly") {
  const catalog = yearlyCatalog({ proYearlyQuota });
  const acc = await createAccount(database.db, catalog, clock, { name: "Acme", email: `a${Math.random()}@example.com`, planId: "pro" }, { billingAnchorMs: ANCHOR, billingInterval: "year" });
  // Counted, never refused: the windows are what is looked at here.
  database.sqlite.prepare("update accounts set enforcement_override = 'off' where id = ?").run(acc.id);
  meter.invalidateAccount(acc.id);
  const key = await createKey(database.db, clock, { accountId: acc.id, name: "k" });
  return { account: acc, key: key.key };
}

const monthOf = (r: CheckResult) => {
  if (!r.ok) throw new Error(r.reason);
  return r.limits.find((l) => l.window === "month")!;
};

describe("a yearly account's billing period and month window, through the meter", () => {
  it("bills a year from its anchor; a monthly quota starts over each month of that year", async () => {
    const meter = meterOn("monthly");
    const { account, key } = await yearlyPro(meter, "monthly");
    expect(currentPeriod(account, clock.now())).toEqual({ startMs: ANCHOR, endMs: utc("2027-11-01T00:00:00Z") });

    const nov = monthOf(meter.check(key, 9_000));
    expect(nov).toMatchObject({ limit: 10_000, used: 9_000, fromMs: ANCHOR, resetAtMs: utc("2026-12-01T00:00:00Z") });
    expect(nov.span).toBeUndefined();
    expect(meter.limitsFor(account.id).period).toEqual({ startMs: ANCHOR, endMs: utc("2026-12-01T00:00:00Z") });

    // December: a new month of the same billing year, the quota starts over.
    clock.set(utc("2026-12-02T09:00:00Z"));
    const dec = monthOf(meter.check(key, 2_000));
    expect(dec).toMatchObject({ limit: 10_000, used: 2_000, fromMs: utc("2026-12-01T00:00:00Z"), resetAtMs: utc("2027-01-01T00:00:00Z") });
    expect(currentPeriod(account, clock.now())).toEqual({ startMs: ANCHOR, endMs: utc("2027-11-01T00:00:00Z") });

    // A restarted meter rebuilds December's window from the rollups, not the year's.
    expect(meter.flush()).toBe(true);
    const again = meterOn("monthly");
    expect(monthOf(again.check(key, 1))).toMatchObject({ used: 2_001, limit: 10_000 });
  });

  it("a yearly quota is twelve months' allowance, counted over the whole billing year and said per year", async () => {
    const meter = meterOn("yearly");
    const { account, key } = await yearlyPro(meter, "yearly");

    const nov = monthOf(meter.check(key, 9_000));
    expect(nov).toMatchObject({ limit: 120_000, used: 9_000, span: "year", fromMs: ANCHOR, resetAtMs: utc("2027-11-01T00:00:00Z") });

    clock.set(utc("2026-12-02T09:00:00Z"));
    const dec = monthOf(meter.check(key, 5_000));
    // December adds to November: one window for the year.
    expect(dec).toMatchObject({ limit: 120_000, used: 14_000, span: "year", resetAtMs: utc("2027-11-01T00:00:00Z") });
    expect(meter.limitsFor(account.id).period).toEqual({ startMs: ANCHOR, endMs: utc("2027-11-01T00:00:00Z") });

    expect(meter.flush()).toBe(true);
    const again = meterOn("yearly");
    expect(monthOf(again.check(key, 1))).toMatchObject({ used: 14_001, limit: 120_000, span: "year" });

    // The next billing year starts a new window.
    clock.set(utc("2027-11-01T00:00:01Z"));
    expect(monthOf(again.check(key, 1))).toMatchObject({ used: 1, fromMs: utc("2027-11-01T00:00:00Z"), resetAtMs: utc("2028-11-01T00:00:00Z") });
  });

  it("the same plan billed monthly keeps its monthly window", async () => {
    const meter = meterOn("yearly");
    const acc = await createAccount(database.db, yearlyCatalog({ proYearlyQuota: "yearly" }), clock, { name: "Monthly", email: "m@example.com", planId: "pro" }, { billingAnchorMs: ANCHOR });
    database.sqlite.prepare("update accounts set enforcement_override = 'off' where id = ?").run(acc.id);
    const key = await createKey(database.db, clock, { accountId: acc.id, name: "k" });
    expect(monthOf(meter.check(key.key, 9_000))).toMatchObject({ limit: 10_000, used: 9_000, resetAtMs: utc("2026-12-01T00:00:00Z") });
    expect(currentPeriod(acc, clock.now())).toEqual({ startMs: ANCHOR, endMs: utc("2026-12-01T00:00:00Z") });
  });
});
