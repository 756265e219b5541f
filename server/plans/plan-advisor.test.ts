import { demoCatalog } from "../../shared/testing/demo-catalog";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { migrateDatabase, openDatabase } from "../db/client";
import { ManualClock } from "../lib/clock";
import { PlanAdvisor } from "./plan-advisor";

const dir = mkdtempSync(join(tmpdir(), "headroom-advisor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("plan advisor", () => {
  it("does not keep an answer across a plan change made by another process", async () => {
    const database = openDatabase(join(dir, "h.db"));
    migrateDatabase(database.db);
    const clock = new ManualClock(Date.parse("2026-11-25T14:00:00Z"));
    const account = await createAccount(database.db, demoCatalog, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" });
    const advisor = new PlanAdvisor(database.db, clock, demoCatalog);
    expect((await advisor.compare(account.id))!.currentPlanId).toBe("starter");

    const other = new Database(join(dir, "h.db"));
    other.prepare("update accounts set plan_id = 'business', plan_started_at_ms = ? where id = ?").run(clock.now(), account.id);
    other.close();
    // Kept for a minute, as long as nothing says another process committed...
    expect((await advisor.compare(account.id))!.currentPlanId).toBe("starter");
    // ...and checked against the account's terms once something has.
    advisor.changedElsewhere();
    expect((await advisor.compare(account.id))!.currentPlanId).toBe("business");
    database.close();
  });

  it("answers the meter's 429 synchronously from the same kept answers as compare", async () => {
    const database = openDatabase(join(dir, "sync.db"));
    migrateDatabase(database.db);
    const clock = new ManualClock(Date.parse("2026-11-25T14:00:00Z"));
    const account = await createAccount(database.db, demoCatalog, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" });
    // Ten days far over Starter's caps: a switch is offered.
    const day = database.sqlite.prepare("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 3000, 0, 0, 0, 200)");
    for (let i = 0; i < 10; i++) day.run(Date.parse("2026-11-25T00:00:00Z") - i * 86_400_000, account.id);
    const advisor = new PlanAdvisor(database.db, clock, demoCatalog);
    const offered = advisor.switchFor(account.id);
    expect(offered).not.toBeNull();
    // compare() reads the answer switchFor kept: the rollups emptied since are not read again...
    database.sqlite.prepare("delete from usage_day").run();
    expect((await advisor.compare(account.id))!.switchTo).toEqual(offered);
    // ...until the answer is dropped; then both read the rollups as they are.
    advisor.invalidate(account.id);
    expect((await advisor.compare(account.id))!.switchTo).toBeNull();
    expect(advisor.switchFor(account.id)).toBeNull();
    database.close();
  });

  it("does not keep an answer whose reads straddle a plan change made here", async () => {
    const database = openDatabase(join(dir, "straddle.db"));
    migrateDatabase(database.db);
    const clock = new ManualClock(Date.parse("2026-11-25T14:00:00Z"));
    const account = await createAccount(database.db, demoCatalog, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" });
    const advisor = new PlanAdvisor(database.db, clock, demoCatalog);
    // The account's terms are read at once; the plan changes (and the answer is dropped) before the rest is read.
    const pending = advisor.compare(account.id);
    database.sqlite.prepare("update accounts set plan_id = 'business', plan_started_at_ms = ? where id = ?").run(clock.now(), account.id);
    advisor.invalidate(account.id);
    expect((await pending)!.currentPlanId).toBe("starter");
    expect((await advisor.compare(account.id))!.currentPlanId).toBe("business");
    database.close();
  });
});
