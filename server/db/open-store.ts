import type Database from "better-sqlite3";
import type pg from "pg";
import type { Config } from "../config";
import { migrateDatabase, openDatabase, type Db } from "./client";
import { migratePostgres, openPostgres, type PgDb } from "./pg/client";
import { connectionFailure, PostgresUnavailableError } from "./pg/migrate";
import { withoutPassword } from "../config";

/**
 * The database a process runs on, opened and migrated: the SQLite file at DATABASE_PATH (the
 * embedded default), or PostgreSQL at DATABASE_URL (decision 0005). The store is what the query
 * functions take; the rest is for the parts that need the dialect's own handle (the meter's
 * synchronous statements on SQLite, the change relay's LISTEN connection on PostgreSQL).
 */
export type OpenedStore =
  | { dialect: "sqlite"; db: Db; sqlite: Database.Database; close(): Promise<void> }
  | { dialect: "pg"; db: PgDb; pool: pg.Pool; url: string; close(): Promise<void> };

export async function openStore(config: Pick<Config, "DATABASE_PATH" | "DATABASE_URL" | "DATABASE_POOL_SIZE">, opts: { busyTimeoutMs?: number; applicationName?: string } = {}): Promise<OpenedStore> {
  const url = config.DATABASE_URL;
  if (!url) {
    const database = openDatabase(config.DATABASE_PATH, { busyTimeoutMs: opts.busyTimeoutMs ?? 5_000 });
    migrateDatabase(database.db);
    return { dialect: "sqlite", db: database.db, sqlite: database.sqlite, close: async () => database.close() };
  }
  const database = openPostgres(url, { maxConnections: config.DATABASE_POOL_SIZE, ...(opts.applicationName ? { applicationName: opts.applicationName } : {}) });
  try {
    try {
      await database.pool.query("select 1");
    } catch (err) {
      throw new PostgresUnavailableError(`Cannot connect to PostgreSQL at ${withoutPassword(url)} (DATABASE_URL): ${connectionFailure(err)}`);
    }
    // Instances starting together migrate one after the other (an advisory lock per schema).
    await migratePostgres(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  return { dialect: "pg", db: database.db, pool: database.pool, url, close: () => database.close() };
}

/** The SQLite handle of a store opened on SQLite (tests and benches that read the file directly). */
export function sqliteHandle(opened: OpenedStore): Database.Database {
  if (opened.dialect !== "sqlite") throw new Error("This needs the SQLite database; it runs on PostgreSQL");
  return opened.sqlite;
}
