import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows } from "../../testing/dialect-rows";
import { DIALECTS, runUnit, type OpenDialect } from "../../testing/pg-dialects";
import { insertInvoiceInTx, invoiceInTx, invoiceIssued, moveInvoiceInTx, recentInvoicesWithLines, type NewInvoice } from "./invoices";
import type { Unit } from "./unit";

const NOW = Date.parse("2026-11-25T14:00:00Z");

describe.each(DIALECTS)("invoice queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  const run = <T>(work: () => Unit<T>) => runUnit(database.store, work);
  const base = { accountId: "acc_1", kind: "period" as const, periodStartMs: 0, periodEndMs: 1, currency: "USD", status: "paid" as const };

  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [accountRow("acc_1"), accountRow("acc_2")]);
  });

  it("move an invoice only from the status it was read in", async () => {
    const invoice: NewInvoice = { ...base, id: "inv_1", number: "HR-000001", totalMinor: 2900, status: "open", dedupeKey: "k1", createdAtMs: NOW };
    await run(() => insertInvoiceInTx(invoice, []));
    expect(await run(() => moveInvoiceInTx("inv_1", "open", "paid"))).toBe(true);
    // A second move read in "open" (a late event) changes nothing.
    expect(await run(() => moveInvoiceInTx("inv_1", "open", "void"))).toBe(false);
    expect((await run(() => invoiceInTx("inv_1")))?.status).toBe("paid");
  });

  it("tells whether an invoice was issued under a dedupe key", async () => {
    expect(await invoiceIssued(database.store.db, "period:acc_1:0")).toBe(false);
    await run(() => insertInvoiceInTx({ ...base, id: "inv_1", number: "HR-000001", totalMinor: 2900, dedupeKey: "period:acc_1:0", createdAtMs: NOW }, []));
    expect(await invoiceIssued(database.store.db, "period:acc_1:0")).toBe(true);
    expect(await invoiceIssued(database.store.db, "period:acc_1:1")).toBe(false);
  });

  it("list the account's latest invoices, newest first, each with its own lines in the order they were written", async () => {
    await run(() => insertInvoiceInTx({ ...base, id: "inv_a", number: "HR-000001", totalMinor: 2900, dedupeKey: "a", createdAtMs: 1 }, [{ id: "il_1", kind: "plan", description: "Starter", quantity: 1, amountMinor: 2900 }]));
    await run(() =>
      insertInvoiceInTx({ ...base, id: "inv_b", number: "HR-000002", totalMinor: 100, dedupeKey: "b", createdAtMs: 3 }, [
        { id: "il_z", kind: "plan", description: "Starter", quantity: 1, amountMinor: 0 },
        { id: "il_m", kind: "overage", description: "Overage", quantity: 1000, amountMinor: 100, periodStartMs: 0, periodEndMs: 1 },
        { id: "il_a", kind: "balance", description: "Credit", quantity: 1, amountMinor: 0 },
      ]),
    );
    await run(() => insertInvoiceInTx({ ...base, accountId: "acc_2", id: "inv_other", number: "HR-000003", totalMinor: 100, dedupeKey: "c", createdAtMs: 2 }, [{ id: "il_o", kind: "plan", description: "Starter", quantity: 1, amountMinor: 100 }]));
    const listed = await recentInvoicesWithLines(database.store.db, "acc_1", 50);
    expect(listed.map((i) => [i.id, i.lines.map((l) => l.id)])).toEqual([
      ["inv_b", ["il_z", "il_m", "il_a"]],
      ["inv_a", ["il_1"]],
    ]);
    expect(listed[1]).toEqual({
      ...base,
      id: "inv_a",
      number: "HR-000001",
      totalMinor: 2900,
      dedupeKey: "a",
      createdAtMs: 1,
      stripeInvoiceId: null,
      lines: [{ id: "il_1", invoiceId: "inv_a", kind: "plan", description: "Starter", quantity: 1, amountMinor: 2900, periodStartMs: null, periodEndMs: null }],
    });
    expect((await recentInvoicesWithLines(database.store.db, "acc_1", 1)).map((i) => i.id)).toEqual(["inv_b"]);
    expect(await recentInvoicesWithLines(database.store.db, "acc_none", 5)).toEqual([]);
  });
});
