import { beforeEach, describe, expect, it } from "vitest";
import { type Database_ } from "../client";
import { insertAccountUnlessEmailTaken, listAccountRows } from "./accounts";
import { memoryDatabase } from "../../testing/memory-database";

let database: Database_;
const row = (id: string, email: string) => ({ id, name: id, email, planId: "starter", billingAnchorMs: 0, createdAtMs: 0 });

beforeEach(() => {
  database = memoryDatabase();
});

describe("accounts queries", () => {
  it("adds an account once per e-mail and names the account that holds it", async () => {
    const first = await insertAccountUnlessEmailTaken(database.db, row("acc_a", "ops@acme.example"));
    expect(first).toMatchObject({ row: { id: "acc_a", email: "ops@acme.example", currency: "USD" } });
    expect(await insertAccountUnlessEmailTaken(database.db, row("acc_b", "ops@acme.example"))).toEqual({ takenBy: "acc_a" });
    expect((await listAccountRows(database.db)).map((a) => a.id)).toEqual(["acc_a"]);
  });
});
