import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgHealth from "../pg/queries/health";
import * as liteHealth from "../sqlite/queries/health";

describe.each(DIALECTS)("health queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteHealth>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteHealth, pgHealth);
  });
  afterAll(() => database.close());

  it("answers while the database does, and throws once it is gone", async () => {
    await expect(q.databaseAnswers()).resolves.toBeUndefined();
    await database.close();
    await expect(q.databaseAnswers()).rejects.toThrow();
  });
});
