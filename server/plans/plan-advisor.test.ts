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
    const account = await createAccount(database.db, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" });
    const advisor = new PlanAdvisor(database.db, clock, (_account, nowMs) => ({ used: 0, endMs: nowMs + 86_400_000 }));
    expect(advisor.compare(account.id)!.currentPlanId).toBe("starter");

    const other = new Database(join(dir, "h.db"));
    other.prepare("update accounts set plan_id = 'business', plan_started_at_ms = ? where id = ?").run(clock.now(), account.id);
    other.close();
    // Kept for a minute, as long as nothing says another process committed...
    expect(advisor.compare(account.id)!.currentPlanId).toBe("starter");
    // ...and checked against the account's terms once something has.
    advisor.changedElsewhere();
    expect(advisor.compare(account.id)!.currentPlanId).toBe("business");
    database.close();
  });
});
