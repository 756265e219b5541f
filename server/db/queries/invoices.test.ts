import { demoCatalog } from "../../../shared/testing/demo-catalog";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../../accounts/accounts";
import { ManualClock } from "../../lib/clock";
import { type Database_ } from "../client";
import { insertInvoiceInTx, invoiceInTx, moveInvoiceInTx, recentInvoicesWithLines, type NewInvoice } from "./invoices";
import { inTransaction } from "./plan-changes";
import type { Unit } from "./unit";
import { memoryDatabase } from "../../testing/memory-database";

let database: Database_;
const run = <T>(work: () => Unit<T>) => inTransaction(database.db, work);
const clock = new ManualClock(Date.parse("2026-11-25T14:00:00Z"));
beforeEach(() => {
  database = memoryDatabase();
});
afterEach(() => database.close());

describe("invoice queries", () => {
  it("move an invoice only from the status it was read in", async () => {
    const accountId = (await createAccount(database.db, demoCatalog, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" })).id;
    const invoice: NewInvoice = { id: "inv_1", accountId, number: "HR-000001", kind: "period", periodStartMs: 0, periodEndMs: 1, totalMinor: 2900, currency: "USD", status: "open", dedupeKey: "k1", createdAtMs: clock.now() };
    await run(() => insertInvoiceInTx(invoice, []));
    expect(await run(() => moveInvoiceInTx("inv_1", "open", "paid"))).toBe(true);
    // A second move read in "open" (a late event) changes nothing.
    expect(await run(() => moveInvoiceInTx("inv_1", "open", "void"))).toBe(false);
    expect((await run(() => invoiceInTx("inv_1")))?.status).toBe("paid");
  });

  it("list the account's latest invoices, newest first, each with its own lines", async () => {
    const accountId = (await createAccount(database.db, demoCatalog, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" })).id;
    const base = { accountId, kind: "period" as const, periodStartMs: 0, periodEndMs: 1, currency: "USD", status: "paid" as const };
    await run(() => insertInvoiceInTx({ ...base, id: "inv_a", number: "HR-000001", totalMinor: 2900, dedupeKey: "a", createdAtMs: 1 }, [{ id: "il_1", kind: "plan", description: "Starter", quantity: 1, amountMinor: 2900 }]));
    await run(() =>
      insertInvoiceInTx({ ...base, id: "inv_b", number: "HR-000002", totalMinor: 100, dedupeKey: "b", createdAtMs: 2 }, [
      { id: "il_2", kind: "plan", description: "Starter", quantity: 1, amountMinor: 0 },
      { id: "il_3", kind: "overage", description: "Overage", quantity: 1000, amountMinor: 100, periodStartMs: 0, periodEndMs: 1 },
      ]),
    );
    const listed = await recentInvoicesWithLines(database.db, accountId, 50);
    expect(listed.map((i) => [i.id, i.lines.map((l) => l.id).sort()])).toEqual([
      ["inv_b", ["il_2", "il_3"]],
      ["inv_a", ["il_1"]],
    ]);
    expect((await recentInvoicesWithLines(database.db, accountId, 1)).map((i) => i.id)).toEqual(["inv_b"]);
  });
});
