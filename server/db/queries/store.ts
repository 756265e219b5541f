import type { RunResult } from "better-sqlite3";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { Db } from "../client";
import type * as schema from "../schema";

/**
 * The handle the storage boundary answers on. Domain code holds it and hands it to the query
 * functions of `server/db/queries/<context>.ts`; it never reads or writes through it itself (no
 * drizzle, no schema, no SQLite handle outside `server/db/`). SQLite through drizzle today; decision
 * 0005's PostgreSQL store answers the same query functions.
 *
 * Every query function is asynchronous. A unit of work that must be atomic (several writes, or a
 * read and the write that depends on it) is one query function with its transaction inside, so the
 * domain never holds a transaction either.
 */
export type Store = Db;

/**
 * The synchronous writer of a unit of work: the store itself or a transaction opened on it (both
 * are drizzle's SQLite database type, so one type serves both and nothing is cast). Only the
 * billing units of work still take one from their callers; see decision 0004.
 */
export type Tx = BaseSQLiteDatabase<"sync", RunResult, typeof schema>;
