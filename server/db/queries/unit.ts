import type { PgDb } from "../pg/client";
import type { Tx } from "./store";

/**
 * Units of work written once, run on either dialect (decision 0005).
 *
 * A unit of work (the charge and the consent it was given for, a webhook's effects) must commit whole
 * or not at all. better-sqlite3's transactions are synchronous — nothing else may run on the
 * connection while one is open — and node-postgres's are asynchronous. So a unit is a generator: it
 * yields each statement it needs (`yield* moveChangeInTx(id, …)`) and gets the statement's result
 * back. `inTransaction` drives it: on SQLite every statement runs at once inside one synchronous
 * transaction (no await, so nothing interleaves), on PostgreSQL each is awaited inside one
 * SERIALIZABLE transaction, retried whole when PostgreSQL reports a serialization failure. The
 * domain's logic exists once; each statement exists once per dialect, side by side.
 *
 * A unit has no effects but its statements: what must happen after the commit (a notice, a call to a
 * provider) is returned as a function and run by the caller, so a retried unit does nothing twice.
 */

/** A transaction on PostgreSQL, as drizzle hands it to the callback. */
export type PgTx = Parameters<Parameters<PgDb["transaction"]>[0]>[0];

/** One statement, in both dialects. */
export interface Statement<T = unknown> {
  lite(tx: Tx): T;
  pg(tx: PgTx): Promise<T>;
}

/** A unit of work, or a part of one: a generator of statements that returns `T`. */
export type Unit<T> = Generator<Statement, T, unknown>;

/**
 * Makes a statement usable in a unit: `statement(lite, pg)` gives `(...args) => Unit<T>`, used as
 * `yield* name(...args)`. The two implementations must answer alike; the dialect tests hold them to it.
 */
export function statement<A extends unknown[], T>(lite: (tx: Tx, ...args: A) => T, pg: (tx: PgTx, ...args: A) => Promise<T>): (...args: A) => Unit<T> {
  return function* (...args: A): Unit<T> {
    // The driver sends back what this statement returned: its type is T by construction.
    return (yield { lite: (tx: Tx) => lite(tx, ...args), pg: (tx: PgTx) => pg(tx, ...args) }) as T;
  };
}

/**
 * A statement that fails fails its unit, on both dialects: PostgreSQL cannot go on in a transaction
 * after an error, so the unit is not given the chance to catch it on SQLite either. Its `finally`
 * blocks run; the error goes to whoever runs the unit, and the transaction is rolled back.
 */
function abandon(unit: Unit<unknown>): void {
  unit.return(undefined);
}

/** Runs a unit on a SQLite transaction: every statement at once, inside it. */
export function runLite<T>(unit: Unit<T>, tx: Tx): T {
  let step = unit.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = step.value.lite(tx);
    } catch (err) {
      abandon(unit);
      throw err;
    }
    step = unit.next(result);
  }
  return step.value;
}

/** Runs a unit on a PostgreSQL transaction, awaiting each statement. */
export async function runPg<T>(unit: Unit<T>, tx: PgTx): Promise<T> {
  let step = unit.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = await step.value.pg(tx);
    } catch (err) {
      abandon(unit);
      throw err;
    }
    step = unit.next(result);
  }
  return step.value;
}

/** SQLSTATEs after which PostgreSQL asks for the whole transaction to be tried again. */
const RETRYABLE = new Set(["40001", "40P01"]);
/** Attempts of a unit that keeps colliding with others before its error is the caller's. */
export const PG_UNIT_ATTEMPTS = 8;

function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/**
 * Runs `attempt` (a whole transaction) again when PostgreSQL aborted it to keep its isolation promise
 * or to break a deadlock, up to PG_UNIT_ATTEMPTS times; any other error is the caller's at once.
 */
export async function retryingConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const state = sqlState(err);
      if (n >= PG_UNIT_ATTEMPTS || state === undefined || !RETRYABLE.has(state)) throw err;
      // A short, growing, jittered pause so that the colliding transactions do not collide again.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * n));
    }
  }
}

/**
 * Runs a unit in one SERIALIZABLE transaction on PostgreSQL: the outcome is as if the units of every
 * instance ran one after another, the guarantee SQLite's single writer gives. A transaction PostgreSQL
 * aborts to keep that promise is run again from the start, with a fresh unit (`work()`).
 */
export async function inPgTransaction<T>(db: PgDb, work: () => Unit<T>): Promise<T> {
  return retryingConflicts(() => db.transaction((tx) => runPg(work(), tx), { isolationLevel: "serializable" }));
}
