import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as schema from "./schema";

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface PgDatabase {
  pool: pg.Pool;
  db: PgDb;
  close(): Promise<void>;
}

export interface PgOptions {
  /** Connections this process may hold at once (default 10); the server's max_connections is shared by every instance. */
  maxConnections?: number;
  /** A statement running longer is cancelled by the server (default 30 s; 0 = never): no query holds a connection forever. */
  statementTimeoutMs?: number;
  /** Waiting longer than this for a connection from the pool (or for the server to accept one) fails the query (default 10 s). */
  connectionTimeoutMs?: number;
  /** Shown in pg_stat_activity, to tell instances and roles apart (default "headroom"). */
  applicationName?: string;
  /** Tables are read and created in this schema (search_path), instead of the role's default. */
  schema?: string;
  /** Other settings every connection starts with (`-c name=value`), e.g. synchronous_commit=off for tests. */
  settings?: Record<string, string>;
}

export const PG_MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "migrations");

/** A schema name we quote ourselves into `-c search_path=…`: letters, digits and underscores only. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const SETTING = /^[a-z_][a-z0-9_.]*$/;
/** Values that need no quoting in the startup options string (no spaces, no backslashes). */
const SETTING_VALUE = /^[A-Za-z0-9_.,:-]+$/;

/**
 * Settings every connection starts with unless the URL or the caller says otherwise. JIT compilation is off:
 * the flush's statements over thousands of rows are estimated above `jit_above_cost`, and compiling them
 * took longer than running them (tens to hundreds of milliseconds per statement, on every flush); the
 * queries here are short index lookups and multi-row upserts that gain nothing from it.
 */
const DEFAULT_SETTINGS = ["-c jit=off"];

/** The URL without its `options` parameter, and that parameter's value. */
function splitOptions(url: string): { connectionString: string; urlOptions: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, urlOptions: null };
  }
  const urlOptions = parsed.searchParams.get("options");
  if (urlOptions === null) return { connectionString: url, urlOptions: null };
  parsed.searchParams.delete("options");
  return { connectionString: parsed.toString(), urlOptions };
}

/**
 * A pool of connections to DATABASE_URL with drizzle on top. Every connection gets the statement
 * timeout, the application name and the search_path as startup parameters, so a statement never runs
 * on a connection that lacks them (a SET after connecting would race the first query).
 */
export function openPostgres(url: string, opts: PgOptions = {}): PgDatabase {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) throw new Error(`Invalid PostgreSQL schema name: ${JSON.stringify(opts.schema)}`);
  const startup = Object.entries({ ...opts.settings, ...(opts.schema ? { search_path: opts.schema } : {}) }).map(([name, value]) => {
    if (!SETTING.test(name) || !SETTING_VALUE.test(value)) throw new Error(`Invalid PostgreSQL setting: ${name}=${value}`);
    return `-c ${name}=${value}`;
  });
  // node-postgres lets an `options` parameter in the URL replace the one given here: take it out of the URL and
  // send both, ours first, so that what the URL says, then what the caller asked, wins.
  const { connectionString, urlOptions } = splitOptions(url);
  const pool = new pg.Pool({
    connectionString,
    max: opts.maxConnections ?? 10,
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    application_name: opts.applicationName ?? "headroom",
    options: [...DEFAULT_SETTINGS, ...(urlOptions ? [urlOptions] : []), ...startup].join(" "),
  });
  // An idle connection the server drops (restart, failover) emits here; unhandled, it would end the process.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  let closed: Promise<void> | null = null;
  return {
    pool,
    db,
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };
}

/**
 * Applies the committed migrations this database has not seen yet. The journal
 * (`__drizzle_migrations`) lives in the schema the tables are in, not in drizzle's default `drizzle`
 * schema, so databases in two schemas of one PostgreSQL database (two installations, or two test
 * files) keep their own. An advisory lock per schema makes instances that start together migrate one
 * after the other: drizzle reads the journal before its transaction, so two at once would both apply.
 */
export async function migratePostgres(db: PgDb): Promise<{ schema: string; applied: number }> {
  const lockClient = await db.$client.connect();
  try {
    const { rows } = await lockClient.query<{ schema: string }>("select current_schema() as schema");
    const current = rows[0]?.schema;
    if (!current) throw new Error("PostgreSQL has no current schema: the search_path names no schema that exists.");
    await lockClient.query("select pg_advisory_lock(hashtext($1))", [`headroom.migrate.${current}`]);
    try {
      const count = async () => {
        const exists = await db.execute<{ n: number }>(sql`select count(*)::int as n from information_schema.tables where table_schema = ${current} and table_name = '__drizzle_migrations'`);
        if (exists.rows[0]?.n === 0) return 0;
        const done = await db.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(current)}.__drizzle_migrations`);
        return done.rows[0]?.n ?? 0;
      };
      const before = await count();
      await migrate(db, { migrationsFolder: PG_MIGRATIONS_DIR, migrationsSchema: current });
      return { schema: current, applied: (await count()) - before };
    } finally {
      await lockClient.query("select pg_advisory_unlock(hashtext($1))", [`headroom.migrate.${current}`]);
    }
  } finally {
    lockClient.release();
  }
}
