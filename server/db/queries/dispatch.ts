import { is } from "drizzle-orm";
import { PgDatabase } from "drizzle-orm/pg-core";
import type { Db } from "../client";
import type { PgDb } from "../pg/client";

/**
 * The storage boundary on two dialects (decision 0005). A query context has two implementations
 * with the same functions: `server/db/sqlite/queries/<context>.ts` (better-sqlite3, synchronous
 * inside) and `server/db/pg/queries/<context>.ts` (node-postgres). The module the domain imports,
 * `server/db/queries/<context>.ts`, puts them behind one set of functions that take either store and
 * call the implementation of its dialect, so the domain does not know which one it runs on.
 */

/** The handle a query function takes: the SQLite database or the PostgreSQL one. */
export type Store = Db | PgDb;

export function isPg(store: Store): store is PgDb {
  return is(store, PgDatabase);
}

/**
 * The few reads that must answer synchronously (the meter's hot path on the embedded default) exist
 * on SQLite only; on PostgreSQL their callers take the asynchronous path.
 */
export function sqliteOf(store: Store, what: string): Db {
  if (isPg(store)) throw new Error(`${what} is answered synchronously on SQLite only; on PostgreSQL it is read asynchronously`);
  return store;
}

type Fn = (...args: never[]) => unknown;
type FunctionsOf<L> = { [K in keyof L as L[K] extends Fn ? K : never]: L[K] };

/** What a context's PostgreSQL module must export: every function of the SQLite one, taking the PostgreSQL db instead. */
export type PgTwin<L> = { [K in keyof FunctionsOf<L>]: L[K] extends (db: Db, ...args: infer A) => infer R ? (db: PgDb, ...args: A) => R : never };

/** A context's functions taking either store. */
export type Dispatched<L> = { [K in keyof FunctionsOf<L>]: L[K] extends (db: Db, ...args: infer A) => infer R ? (store: Store, ...args: A) => R : never };

/**
 * One set of functions over both implementations of a context. The PostgreSQL module must offer
 * every function of the SQLite one with the same arguments and results, or this does not compile.
 */
export function twins<L extends object>(lite: L, pg: PgTwin<L>): Dispatched<L> {
  const out: Record<string, (store: Store, ...args: unknown[]) => unknown> = {};
  for (const [name, f] of Object.entries(lite)) {
    if (typeof f !== "function") continue;
    const g = (pg as Record<string, unknown>)[name];
    if (typeof g !== "function") throw new Error(`The PostgreSQL queries lack ${name}`);
    out[name] = (store, ...args) => (isPg(store) ? g(store, ...args) : f(store, ...args));
  }
  // Built above from the same names, each taking the store first: the mapped type describes exactly this object.
  return out as unknown as Dispatched<L>;
}
