import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgKeys from "../pg/queries/keys";
import * as liteKeys from "../sqlite/queries/keys";

const key = (id: string, accountId = "acc_a", createdAtMs = 0) => ({ id, accountId, name: id, prefix: "hr_live_abcd", hash: `hash-${id}`, createdAtMs });

describe.each(DIALECTS)("keys queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteKeys>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteKeys, pgKeys);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [accountRow("acc_a"), accountRow("acc_b")]);
  });

  it("adds keys up to the limit of active ones; a revoked key frees its place", async () => {
    expect(await q.insertKeyWithinLimit(key("k1"), 2)).toMatchObject({ row: { id: "k1" } });
    expect(await q.insertKeyWithinLimit(key("k2"), 2)).toMatchObject({ row: { id: "k2" } });
    expect(await q.insertKeyWithinLimit(key("k3"), 2)).toEqual({ active: 2 });
    // Another account's keys do not count.
    expect(await q.insertKeyWithinLimit(key("o1", "acc_b"), 2)).toMatchObject({ row: { id: "o1" } });
    await q.revokeKeyRow({ keyId: "k1", atMs: 5 });
    expect(await q.insertKeyWithinLimit(key("k3"), 2)).toMatchObject({ row: { id: "k3" } });
    expect((await q.listKeyRows("acc_a", { includeRevoked: false })).map((k) => k.id).sort()).toEqual(["k2", "k3"]);
  });

  it("revokes once: the first call revokes, a repeat keeps the first moment, another account's key is not found", async () => {
    await q.insertKeyWithinLimit(key("k1"), 10);
    expect(await q.revokeKeyRow({ keyId: "k1", accountId: "acc_b", atMs: 5 })).toBeNull();
    expect(await q.revokeKeyRow({ keyId: "nope", atMs: 5 })).toBeNull();
    expect(await q.revokeKeyRow({ keyId: "k1", accountId: "acc_a", atMs: 5 })).toMatchObject({ revokedNow: true, row: { revokedAtMs: 5 } });
    expect(await q.revokeKeyRow({ keyId: "k1", atMs: 9 })).toMatchObject({ revokedNow: false, row: { revokedAtMs: 5 } });
  });

  it("lists an account's keys newest first, the revoked ones only when asked", async () => {
    await q.insertKeyWithinLimit(key("k_old", "acc_a", 10), 10);
    await q.insertKeyWithinLimit(key("k_new", "acc_a", 30), 10);
    await q.insertKeyWithinLimit(key("k_mid", "acc_a", 20), 10);
    await q.insertKeyWithinLimit(key("o1", "acc_b", 40), 10);
    await q.revokeKeyRow({ keyId: "k_mid", atMs: 50 });
    expect((await q.listKeyRows("acc_a", { includeRevoked: true })).map((k) => k.id)).toEqual(["k_new", "k_mid", "k_old"]);
    const active = await q.listKeyRows("acc_a", { includeRevoked: false });
    expect(active.map((k) => k.id)).toEqual(["k_new", "k_old"]);
    expect(active[0]).toEqual({ ...key("k_new", "acc_a", 30), lastUsedAtMs: null, revokedAtMs: null });
    expect(await q.listKeyRows("acc_none", { includeRevoked: true })).toEqual([]);
  });

  it("of many requests at once for an account's last places, only as many as there are places get one", async () => {
    for (let round = 0; round < 5; round++) {
      const accountId = `acc_race_${round}`;
      await insertRows(database.store, "accounts", [accountRow(accountId)]);
      // One key already: two places left under a limit of three, eight requests racing for them.
      await q.insertKeyWithinLimit(key(`${accountId}_k0`, accountId), 3);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => q.insertKeyWithinLimit(key(`${accountId}_k${i + 1}`, accountId), 3)));
      expect(answers.filter((a) => "row" in a)).toHaveLength(2);
      expect(answers.filter((a) => "active" in a)).toEqual(Array.from({ length: 6 }, () => ({ active: 3 })));
      expect(await q.listKeyRows(accountId, { includeRevoked: true })).toHaveLength(3);
    }
  });

  it("of revocations at once, exactly one revokes and all answer its moment", async () => {
    await q.insertKeyWithinLimit(key("k1"), 10);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => q.revokeKeyRow({ keyId: "k1", accountId: "acc_a", atMs: 100 + i })));
    const revokedNow = answers.filter((a) => a?.revokedNow);
    expect(revokedNow).toHaveLength(1);
    const moment = revokedNow[0]!.row.revokedAtMs;
    expect(answers.map((a) => a?.row.revokedAtMs)).toEqual(Array.from({ length: 6 }, () => moment));
  });
});
