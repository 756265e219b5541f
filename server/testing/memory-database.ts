import { migrateDatabase, openDatabase, type Database_ } from "../db/client";

/** A fresh SQLite database in memory with every migration applied, for one test. */
export function memoryDatabase(): Database_ {
  const database = openDatabase(":memory:");
  migrateDatabase(database.db);
  return database;
}
