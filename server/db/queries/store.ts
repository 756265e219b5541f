import type { RunResult } from "better-sqlite3";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "../schema";

/**
 * The handle the storage boundary answers on. Domain code holds it and hands it to the query
 * functions of `server/db/queries/<context>.ts`; it never reads or writes through it itself (no
 * drizzle, no schema, no SQLite handle outside `server/db/`). The SQLite database or the PostgreSQL
 * one (decision 0005): the query functions call the implementation of the store's dialect.
 *
 * Every query function is asynchronous. A unit of work that must be atomic (several writes, or a
 * read and the write that depends on it) is one query function with its transaction inside, so the
 * domain never holds a transaction either.
 */
export type { Store } from "./dispatch";

/**
 * A SQLite transaction, or the SQLite database itself (drizzle types both alike): what a unit of
 * work's SQLite statements run on (./unit).
 */
export type Tx = BaseSQLiteDatabase<"sync", RunResult, typeof schema>;
