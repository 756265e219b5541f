import { beforeEach, describe, expect, it } from "vitest";
import { type Database_ } from "../client";
import { acknowledgeAnomalyOnce, grandfatherAccounts, issueInvoiceOnce } from "./operator";
import { memoryDatabase } from "../../testing/memory-database";

let database: Database_;
const T0 = Date.parse("2026-11-25T10:00:00Z");

beforeEach(() => {
  database = memoryDatabase();
  const account = database.sqlite.prepare("insert into accounts (id, name, email, plan_id, billing_anchor_ms, created_at_ms) values (?, ?, ?, ?, ?, ?)");
  account.run("acc_1", "Acme", "ops@acme.example", "starter", T0, T0);
  account.run("acc_2", "Brightline", "ops@brightline.example", "pro", T0, T0);
});

function invoice(id: string, dedupeKey: string) {
  database.sqlite
    .prepare("insert into invoices (id, account_id, number, kind, period_start_ms, period_end_ms, total_minor, currency, status, dedupe_key, created_at_ms) values (?, 'acc_1', ?, 'period', ?, ?, 1000, 'USD', 'paid', ?, ?)")
    .run(id, `HR-${id}`, T0, T0 + 1, dedupeKey, T0);
  return id;
}

describe("grandfathering", () => {
  it("changes nothing unless every account exists", async () => {
    expect(await grandfatherAccounts(database.db, ["acc_1", "acc_gone"], T0 + 1)).toBeNull();
    expect(database.sqlite.prepare("select count(*) from accounts where grandfathered_until_ms is not null").pluck().get()).toBe(0);
    const rows = await grandfatherAccounts(database.db, ["acc_1", "acc_2", "acc_1"], T0 + 1);
    expect(rows?.sort((x, y) => x.id.localeCompare(y.id))).toEqual([{ id: "acc_1", planId: "starter" }, { id: "acc_2", planId: "pro" }]);
    expect(database.sqlite.prepare("select count(*) from accounts where grandfathered_until_ms = ?").pluck().get(T0 + 1)).toBe(2);
  });
});

describe("issuing an invoice once per key", () => {
  it("issues the first time and answers with that invoice after", async () => {
    let issued = 0;
    const issue = function* () {
      issued++;
      return invoice("inv_1", "refund:r1");
    };
    expect(await issueInvoiceOnce(database.db, "refund:r1", issue)).toEqual({ invoiceId: "inv_1", replayed: false });
    expect(await issueInvoiceOnce(database.db, "refund:r1", issue)).toEqual({ invoiceId: "inv_1", replayed: true });
    expect(issued).toBe(1);
  });
});

describe("acknowledging an anomaly", () => {
  it("acknowledges once, and tells a second click from an unknown id", async () => {
    invoice("inv_1", "period:1");
    database.sqlite.prepare("insert into anomalies (id, account_id, invoice_id, previous_total_minor, total_minor, currency, created_at_ms) values ('anm_1', 'acc_1', 'inv_1', 100, 1000, 'USD', ?)").run(T0);
    expect(await acknowledgeAnomalyOnce(database.db, "anm_1", "operator", T0 + 1)).toBe("acknowledged");
    expect(await acknowledgeAnomalyOnce(database.db, "anm_1", "someone else", T0 + 2)).toBe("before");
    expect(database.sqlite.prepare("select acknowledged_at_ms, acknowledged_by from anomalies").get()).toEqual({ acknowledged_at_ms: T0 + 1, acknowledged_by: "operator" });
    expect(await acknowledgeAnomalyOnce(database.db, "anm_nope", "operator", T0)).toBe("not_found");
  });
});
