import { beforeEach, describe, expect, it } from "vitest";
import { type Database_ } from "../client";
import { insertAccountUnlessEmailTaken } from "./accounts";
import { insertKeyWithinLimit, listKeyRows, revokeKeyRow } from "./keys";
import { memoryDatabase } from "../../testing/memory-database";

let database: Database_;
const key = (id: string, accountId = "acc_a") => ({ id, accountId, name: id, prefix: "hr_live_abcd", hash: `hash-${id}`, createdAtMs: 0 });

beforeEach(async () => {
  database = memoryDatabase();
  for (const id of ["acc_a", "acc_b"]) await insertAccountUnlessEmailTaken(database.db, { id, name: id, email: `${id}@example.com`, planId: "starter", billingAnchorMs: 0, createdAtMs: 0 });
});

describe("keys queries", () => {
  it("adds keys up to the limit of active ones; a revoked key frees its place", async () => {
    expect(await insertKeyWithinLimit(database.db, key("k1"), 2)).toMatchObject({ row: { id: "k1" } });
    expect(await insertKeyWithinLimit(database.db, key("k2"), 2)).toMatchObject({ row: { id: "k2" } });
    expect(await insertKeyWithinLimit(database.db, key("k3"), 2)).toEqual({ active: 2 });
    // Another account's keys do not count.
    expect(await insertKeyWithinLimit(database.db, key("o1", "acc_b"), 2)).toMatchObject({ row: { id: "o1" } });
    await revokeKeyRow(database.db, { keyId: "k1", atMs: 5 });
    expect(await insertKeyWithinLimit(database.db, key("k3"), 2)).toMatchObject({ row: { id: "k3" } });
    expect((await listKeyRows(database.db, "acc_a", { includeRevoked: false })).map((k) => k.id).sort()).toEqual(["k2", "k3"]);
  });

  it("revokes once: the first call revokes, a repeat keeps the first moment, another account's key is not found", async () => {
    await insertKeyWithinLimit(database.db, key("k1"), 10);
    expect(await revokeKeyRow(database.db, { keyId: "k1", accountId: "acc_b", atMs: 5 })).toBeNull();
    expect(await revokeKeyRow(database.db, { keyId: "nope", atMs: 5 })).toBeNull();
    expect(await revokeKeyRow(database.db, { keyId: "k1", accountId: "acc_a", atMs: 5 })).toMatchObject({ revokedNow: true, row: { revokedAtMs: 5 } });
    expect(await revokeKeyRow(database.db, { keyId: "k1", atMs: 9 })).toMatchObject({ revokedNow: false, row: { revokedAtMs: 5 } });
  });
});
