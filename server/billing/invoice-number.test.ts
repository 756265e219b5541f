import { demoCatalog } from "../../shared/testing/demo-catalog";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { type Database_ } from "../db/client";
import { inTransaction } from "../db/queries/plan-changes";
import type { Unit } from "../db/queries/unit";
import { ManualClock } from "../lib/clock";
import { nextInvoiceNumber } from "./invoice-number";
import { LocalBillingProvider } from "./local-provider";
import { memoryDatabase } from "../testing/memory-database";

let database: Database_;
const clock = new ManualClock(Date.parse("2026-11-25T14:00:00Z"));
beforeEach(() => {
  database = memoryDatabase();
});
afterEach(() => database.close());

const tx = <T>(work: () => Unit<T>): Promise<T> => inTransaction(database.db, work);

describe("invoice numbers", () => {
  it("are handed out once each, in order, and a rolled-back transaction gives its number back", async () => {
    expect(await tx(nextInvoiceNumber)).toBe("HR-000001");
    expect(await tx(nextInvoiceNumber)).toBe("HR-000002");
    await expect(
      tx(function* () {
        yield* nextInvoiceNumber();
        throw new Error("the invoice could not be written");
      }),
    ).rejects.toThrow("could not be written");
    expect(await tx(nextInvoiceNumber)).toBe("HR-000003");
  });

  it("continue after the highest number issued before the sequence existed", async () => {
    const account = await createAccount(database.db, demoCatalog, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" });
    const provider = new LocalBillingProvider();
    const draft = (dedupeKey: string) => ({ accountId: account.id, kind: "period" as const, periodStartMs: 0, periodEndMs: 1, currency: "USD", lines: [{ kind: "plan" as const, description: "Starter", quantity: 1, amountMinor: 2900 }], dedupeKey });
    await tx(() => provider.invoice(draft("a"), clock.now()));
    database.sqlite.prepare("update invoices set number = 'HR-000041'").run();
    // The migration's last statement, as it runs on a database that already has invoices.
    const migration = readFileSync(join(import.meta.dirname, "../db/migrations/0002_side_by_side.sql"), "utf8").split("--> statement-breakpoint");
    database.sqlite.prepare("delete from sequences").run();
    database.sqlite.exec(migration.at(-1)!);
    await tx(() => provider.invoice(draft("b"), clock.now()));
    expect(database.sqlite.prepare("select number from invoices order by number").pluck().all()).toEqual(["HR-000041", "HR-000042"]);
  });
});
