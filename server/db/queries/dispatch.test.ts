import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, type OpenDialect } from "../../testing/pg-dialects";
import * as pgKeys from "../pg/queries/keys";
import * as liteKeys from "../sqlite/queries/keys";
import { isPg, sqliteOf, twins } from "./dispatch";
import { insertAccountUnlessEmailTaken } from "./accounts";
import { insertKeyWithinLimit, listKeyRows } from "./keys";

const NOW = Date.parse("2026-11-25T14:00:00Z");

describe("one set of query functions over both dialects", () => {
  let lite: OpenDialect;
  let pg: OpenDialect;
  beforeAll(async () => {
    const [sqlite, postgres] = DIALECTS;
    [lite, pg] = await Promise.all([sqlite!.open(), postgres!.open()]);
  });
  afterAll(() => Promise.all([lite?.close(), pg?.close()]));

  it("tells the stores apart", () => {
    expect(isPg(lite.store.db)).toBe(false);
    expect(isPg(pg.store.db)).toBe(true);
    expect(sqliteOf(lite.store.db, "a read")).toBe(lite.store.db);
    expect(() => sqliteOf(pg.store.db, "The advice on a 429")).toThrow(/on SQLite only/);
  });

  it("runs each call on the store it is given", async () => {
    for (const [store, email] of [
      [lite.store.db, "lite@example.com"],
      [pg.store.db, "pg@example.com"],
    ] as const) {
      await insertAccountUnlessEmailTaken(store, { id: "acc_1", name: "Acme", email, planId: "starter", billingAnchorMs: NOW, createdAtMs: NOW });
      const added = await insertKeyWithinLimit(store, { id: `key_${email}`, accountId: "acc_1", hash: `h_${email}`, prefix: "hr_live_x", name: email, createdAtMs: NOW }, 5);
      expect(added).toHaveProperty("row");
    }
    // Each database holds only the key written through its own store.
    expect((await listKeyRows(lite.store.db, "acc_1", { includeRevoked: false })).map((k) => k.id)).toEqual(["key_lite@example.com"]);
    expect((await listKeyRows(pg.store.db, "acc_1", { includeRevoked: false })).map((k) => k.id)).toEqual(["key_pg@example.com"]);
  });

  it("refuses a PostgreSQL module that lacks a function of the SQLite one", () => {
    const { listKeyRows: _missing, ...partial } = pgKeys;
    // The type would not allow it; a module assembled at run time is checked all the same.
    expect(() => twins(liteKeys, partial as unknown as typeof pgKeys)).toThrow("The PostgreSQL queries lack listKeyRows");
  });
});
