import { getTableColumns, is, Table } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { getTableConfig as pgTableConfig, integer as pgInteger, PgTable, pgTable, text as pgText } from "drizzle-orm/pg-core";
import { integer, SQLiteTable, sqliteTable } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as lite from "../schema";
import * as pgSchema from "./schema";
import { memoryDatabase } from "../../testing/memory-database";
import { pgTestDatabase, type PgTestDatabase } from "../../testing/pg-database";
import type { Database_ } from "../client";

/**
 * Query code written once for both dialects must see the same rows: every table's `$inferSelect` and
 * `$inferInsert` are the same TypeScript types in both schemas (checked by `npm run typecheck`), and
 * a row written through either comes back as the same object (checked at run time below).
 */

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type TablesOf<M> = { [K in keyof M as M[K] extends Table ? K : never]: M[K] };
type Lite = TablesOf<typeof lite>;
type Pg = TablesOf<typeof pgSchema>;
type Rows<T> = T extends { $inferSelect: infer S; $inferInsert: infer I } ? { select: S; insert: I } : never;

/** The export names of the tables whose rows differ between the dialects, or that one dialect lacks. */
type Mismatched<L, P> = {
  [K in keyof L | keyof P]: K extends keyof L & keyof P ? (Equal<Rows<L[K]>["select"], Rows<P[K]>["select"]> extends true ? (Equal<Rows<L[K]>["insert"], Rows<P[K]>["insert"]> extends true ? never : K) : K) : K;
}[keyof L | keyof P];

/** `true` only when nothing is mismatched; otherwise a type naming the tables, so the compiler error says which. */
type Same<L, P> = [Mismatched<L, P>] extends [never] ? true : { rowsDiffer: Mismatched<L, P> };

const schemasAgree: Same<Lite, Pg> = true;

// The check can fail: an integer in one dialect and text in the other, a table on one side only.
const probeLite = { t: sqliteTable("probe", { n: integer("n").notNull() }) };
const probePg = { t: pgTable("probe", { n: pgText("n").notNull() }) };
const probePgSame = { t: pgTable("probe", { n: pgInteger("n").notNull() }) };
// @ts-expect-error integer vs text: the rows differ
const columnTypesDiffer: Same<typeof probeLite, typeof probePg> = true;
// @ts-expect-error a table on one side only
const tableMissing: Same<typeof probeLite & { u: typeof probeLite.t }, typeof probePgSame> = true;
const probeAgrees: Same<typeof probeLite, typeof probePgSame> = true;

describe("row types of the two dialects", () => {
  it("agree at compile time (npm run typecheck), the probes included", () => {
    expect([schemasAgree, probeAgrees, columnTypesDiffer, tableMissing]).toEqual([true, true, true, true]);
  });
});

const liteTables = Object.entries(lite).filter(([, v]) => is(v, SQLiteTable)) as Array<[string, SQLiteTable]>;

/** Epoch ms past 2^31 (as every real timestamp is), so a column that is not 64-bit fails to store it. */
const BIG = 1_764_000_123_456;

/** One row per table with every column set: strings by column, a large number where it fits, false/true alternating. */
function sampleRow(exportName: string, table: SQLiteTable, pgTable: PgTable): Record<string, unknown> {
  const pgTypes = new Map(pgTableConfig(pgTable).columns.map((c) => [c.name, c.getSQLType()]));
  const row: Record<string, unknown> = {};
  Object.entries(getTableColumns(table)).forEach(([key, col], i) => {
    if (col.dataType === "boolean") row[key] = i % 2 === 0;
    else if (col.dataType === "number") row[key] = pgTypes.get(col.name) === "integer" ? 7 + i : BIG + i;
    else row[key] = col.enumValues?.length ? col.enumValues[col.enumValues.length - 1] : `${exportName}.${key}`.toLowerCase();
  });
  // Rows that must pass the tables' checks.
  if (exportName === "anomalies") row.previousTotalMinor = 100;
  return row;
}

describe("a row written through either dialect reads back identically", () => {
  let pg: PgTestDatabase;
  let sqlite: Database_;
  beforeAll(async () => {
    pg = await pgTestDatabase();
    sqlite = memoryDatabase();
    // The rows are written table by table, parents after children: foreign keys are not the subject here.
    sqlite.sqlite.pragma("foreign_keys = OFF");
  });
  afterAll(async () => {
    sqlite.close();
    await pg.close();
  });

  it("every table", async () => {
    expect(liteTables.length).toBeGreaterThanOrEqual(29);
    const client = await pg.pool.connect();
    try {
      // Foreign key triggers off for this connection only (the test role is a superuser).
      await client.query("set session_replication_role = replica");
      const pgDb = drizzle(client, { schema: pgSchema });
      for (const [name, liteTable] of liteTables) {
        const pgTable = pgSchema[name as keyof typeof pgSchema] as PgTable;
        // A new database holds the same rows in both dialects (the invoice-number sequence); then none.
        expect(await pgDb.select().from(pgTable), name).toEqual(sqlite.db.select().from(liteTable).all());
        sqlite.db.delete(liteTable).run();
        await pgDb.delete(pgTable);
        const row = sampleRow(name, liteTable, pgTable);
        sqlite.db.insert(liteTable).values(row).run();
        await pgDb.insert(pgTable).values(row);
        const fromLite = sqlite.db.select().from(liteTable).all();
        const fromPg = await pgDb.select().from(pgTable);
        expect(fromPg, name).toEqual(fromLite);
        expect(fromLite, name).toEqual([row]);
      }
    } finally {
      client.release();
    }
  });
});
