import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getTableName, is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import { migrateDatabase, openDatabase, type Database_, type Db } from "../db/client";
import type { PgDb } from "../db/pg/client";
import type { PgTwin } from "../db/queries/dispatch";
import { inTransaction } from "../db/queries/plan-changes";
import type { Unit } from "../db/queries/unit";
import * as liteSchema from "../db/schema";
import { pgTestDatabase, type PgTestDatabase } from "./pg-database";

/**
 * One test suite, two backends: `describe.each(DIALECTS)` runs the same cases against a SQLite file
 * and a PostgreSQL schema of the test file's own. The store the suite gets is tagged with its
 * dialect, as the Store handle would be once the query functions answer on both.
 */
export type DialectStore = { dialect: "sqlite"; db: Db } | { dialect: "pg"; db: PgDb };

export interface Dialect {
  dialect: DialectStore["dialect"];
  /** Opens the database for the test file (beforeAll): a temporary SQLite file, or a migrated PostgreSQL schema. */
  open(): Promise<OpenDialect>;
}

export interface OpenDialect {
  store: DialectStore;
  /** Empties every table (beforeEach). */
  reset(): Promise<void>;
  /** Drops the database (afterAll). */
  close(): Promise<void>;
}

/** A query module's functions with the store argument already given: `(db, ...args) => r` becomes `(...args) => r`. */
export type Bound<M> = { [K in keyof M]: M[K] extends (db: never, ...args: infer A) => infer R ? (...args: A) => R : never };

function bind<M extends object>(module: M, db: unknown): Bound<M> {
  return Object.fromEntries(
    Object.entries(module)
      .filter(([, f]) => typeof f === "function")
      .map(([name, f]) => [name, (...args: unknown[]) => (f as (...a: unknown[]) => unknown)(db, ...args)]),
  ) as Bound<M>;
}

/**
 * The query functions of one context on the store's dialect. The PostgreSQL module must offer every
 * function of the SQLite one with the same arguments and results (a compile error otherwise).
 */
export function queriesFor<L extends object>(store: DialectStore, lite: L, pg: PgTwin<L>): Bound<L> {
  return store.dialect === "sqlite" ? bind(lite, store.db) : (bind(pg, store.db) as Bound<L>);
}

export type { PgTwin } from "../db/queries/dispatch";

/** Runs a unit of work (server/db/queries/unit.ts) in one transaction on the store's dialect. */
export function runUnit<T>(store: DialectStore, work: () => Unit<T>): Promise<T> {
  return inTransaction(store.db, work);
}

const liteTables = (Object.values(liteSchema) as unknown[]).filter((t): t is SQLiteTable => is(t, SQLiteTable));

export const DIALECTS: Dialect[] = [
  {
    dialect: "sqlite",
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "headroom-sqlite-"));
      const database: Database_ = openDatabase(join(dir, "test.db"));
      migrateDatabase(database.db);
      return {
        store: { dialect: "sqlite", db: database.db },
        async reset() {
          database.sqlite.pragma("foreign_keys = OFF");
          for (const t of liteTables) database.sqlite.prepare(`delete from "${getTableName(t)}"`).run();
          database.sqlite.pragma("foreign_keys = ON");
        },
        async close() {
          database.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    dialect: "pg",
    async open() {
      const database: PgTestDatabase = await pgTestDatabase();
      return { store: { dialect: "pg", db: database.db }, reset: () => database.truncate(), close: () => database.close() };
    },
  },
];
