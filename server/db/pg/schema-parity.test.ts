import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Column, getTableName, is, SQL, Table } from "drizzle-orm";
import { getTableConfig as pgTableConfig, PgDialect, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, SQLiteSyncDialect, SQLiteTable } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as lite from "../schema";
import * as pgSchema from "./schema";
import { PG_MIGRATIONS_DIR } from "./client";
import { memoryDatabase } from "../../testing/memory-database";
import { pgTestDatabase, type PgTestDatabase } from "../../testing/pg-database";

/**
 * The two dialects describe one database: same tables, same columns (SQL names, nullability,
 * defaults, enum values), same keys, indexes, checks and foreign keys. Adding a column, an index or a
 * table to one schema only fails here; so does a schema whose migrations were not generated.
 */

const sqliteDialect = new SQLiteSyncDialect();
const pgDialect = new PgDialect();

const tablesOf = <T extends Table>(mod: Record<string, unknown>, kind: typeof SQLiteTable | typeof PgTable) =>
  Object.fromEntries(Object.entries(mod).filter(([, v]) => is(v, kind))) as Record<string, T>;
const liteTables = tablesOf<SQLiteTable>(lite, SQLiteTable);
const pgTables = tablesOf<PgTable>(pgSchema, PgTable);

/** Column types allowed to stand for one another: SQLite's integer is 64-bit, PostgreSQL sizes it. */
const TYPE_TWINS: Record<string, string[]> = { text: ["text"], integer: ["integer", "bigint"], "integer:boolean": ["boolean"] };

type Shape = ReturnType<typeof describeTable>;

function describeColumn(c: Column, render: (s: SQL) => string) {
  const generated = ("autoIncrement" in c && c.autoIncrement === true) || ("generatedIdentity" in c && c.generatedIdentity !== undefined);
  return {
    name: c.name,
    jsType: c.dataType,
    notNull: c.notNull,
    primary: c.primary,
    hasDefault: c.hasDefault && !generated,
    default: is(c.default, SQL) ? render(c.default) : c.default,
    generated,
    enumValues: c.enumValues ?? null,
    unique: c.isUnique ? c.uniqueName : null,
  };
}

function describeTable(cfg: ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>, render: (s: SQL) => string) {
  const nameOf = (c: unknown) => (is(c, SQL) ? render(c) : (c as Column).name);
  return {
    name: cfg.name,
    columns: cfg.columns.map((c) => describeColumn(c, render)),
    primaryKeys: cfg.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    uniqueConstraints: cfg.uniqueConstraints.map((u) => ({ name: u.name, columns: u.columns.map((c) => c.name) })),
    indexes: cfg.indexes
      .map((i) => ({ name: i.config.name, unique: i.config.unique, columns: i.config.columns.map(nameOf), where: i.config.where ? render(i.config.where) : null }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    checks: cfg.checks.map((c) => ({ name: c.name, value: render(c.value) })),
    foreignKeys: cfg.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return { columns: ref.columns.map((c) => c.name), table: getTableName(ref.foreignTable), foreignColumns: ref.foreignColumns.map((c) => c.name), onDelete: fk.onDelete ?? "no action", onUpdate: fk.onUpdate ?? "no action" };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
  };
}

const liteShape = (t: SQLiteTable): Shape => describeTable(sqliteTableConfig(t), (s) => sqliteDialect.sqlToQuery(s).sql);
const pgShape = (t: PgTable): Shape => describeTable(pgTableConfig(t), (s) => pgDialect.sqlToQuery(s).sql);

describe("the PostgreSQL schema mirrors the SQLite schema", () => {
  it("exports the same names, the same tables under them", () => {
    expect(Object.keys(pgSchema).sort()).toEqual(Object.keys(lite).sort());
    expect(Object.keys(pgTables).sort()).toEqual(Object.keys(liteTables).sort());
    // Twenty-nine tables today; a table is compared only if both sides export it, so count them.
    expect(Object.keys(liteTables).length).toBeGreaterThanOrEqual(29);
    for (const [name, value] of Object.entries(lite)) if (!is(value, Table)) expect(pgSchema[name as keyof typeof pgSchema], name).toEqual(value);
  });

  for (const exportName of Object.keys(liteTables)) {
    it(`table ${exportName}: same columns, keys, indexes, checks and foreign keys`, () => {
      const liteTable = liteTables[exportName]!;
      const pgTable = pgTables[exportName];
      expect(pgTable, `${exportName} is missing from server/db/pg/schema`).toBeDefined();
      expect(pgShape(pgTable!)).toEqual(liteShape(liteTable));
      // Each column's PostgreSQL type is a twin of its SQLite type.
      const pgColumns = new Map(pgTableConfig(pgTable!).columns.map((c) => [c.name, c]));
      for (const c of sqliteTableConfig(liteTable).columns) {
        const key = c.dataType === "boolean" ? `${c.getSQLType()}:boolean` : c.getSQLType();
        expect(TYPE_TWINS[key], `${exportName}.${c.name}: ${key}`).toContain(pgColumns.get(c.name)!.getSQLType());
      }
    });
  }

  it("fails on a column added to one dialect only (the comparison sees it)", () => {
    const one = liteShape(lite.jobLeases);
    const other = structuredClone(one);
    other.columns.push({ ...other.columns[0]!, name: "extra" });
    expect(other).not.toEqual(one);
  });
});

describe("the committed migrations build the schemas the code declares", () => {
  let database: PgTestDatabase;
  beforeAll(async () => {
    database = await pgTestDatabase();
  });
  afterAll(() => database.close());

  it("PostgreSQL: every table, column (type, nullability) and index of server/db/pg/schema, nothing else", async () => {
    const { rows: columns } = await database.pool.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      "select table_name, column_name, data_type, is_nullable from information_schema.columns where table_schema = $1 and table_name <> '__drizzle_migrations' order by table_name, ordinal_position",
      [database.schema],
    );
    const expected = Object.values(pgTables)
      .flatMap((t) => pgTableConfig(t).columns.map((c) => ({ table_name: getTableName(t), column_name: c.name, data_type: c.getSQLType(), is_nullable: c.notNull ? "NO" : "YES" })))
      .sort((a, b) => a.table_name.localeCompare(b.table_name));
    const actual = columns;
    expect(new Set(actual.map((c) => c.table_name))).toEqual(new Set(expected.map((c) => c.table_name)));
    for (const t of new Set(expected.map((c) => c.table_name))) {
      const byName = (rows: typeof expected) => rows.filter((r) => r.table_name === t).sort((a, b) => a.column_name.localeCompare(b.column_name));
      expect(byName(actual), t).toEqual(byName(expected));
    }
    const { rows: indexes } = await database.pool.query<{ indexname: string }>("select indexname from pg_indexes where schemaname = $1", [database.schema]);
    const names = new Set(indexes.map((i) => i.indexname));
    for (const t of Object.values(pgTables)) {
      const cfg = pgTableConfig(t);
      for (const i of cfg.indexes) expect(names, `index ${i.config.name}`).toContain(i.config.name);
      for (const c of cfg.columns) if (c.isUnique) expect(names, `unique ${c.uniqueName}`).toContain(c.uniqueName);
    }
    const partial = await database.pool.query<{ indexdef: string }>("select indexdef from pg_indexes where schemaname = $1 and indexname = 'plan_changes_one_open_idx'", [database.schema]);
    expect(partial.rows[0]?.indexdef).toMatch(/^CREATE UNIQUE INDEX .* WHERE /);
  });

  it("SQLite: every table and column of server/db/schema (the hand-fixed migrations included)", () => {
    const sqlite = memoryDatabase();
    try {
      for (const t of Object.values(liteTables)) {
        const cfg = sqliteTableConfig(t);
        const info = sqlite.sqlite.pragma(`table_info(${cfg.name})`) as Array<{ name: string; notnull: number }>;
        expect(info.map((c) => [c.name, c.notnull === 1]).sort(), cfg.name).toEqual(cfg.columns.map((c) => [c.name, c.notNull || c.primary]).sort());
      }
    } finally {
      sqlite.close();
    }
  });

  it("no migration names the public schema: they run in whichever schema search_path names", () => {
    const files = readdirSync(PG_MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(join(PG_MIGRATIONS_DIR, f), "utf8"), f).not.toContain('"public".');
  });
});
