import { randomBytes } from "node:crypto";
import pg from "pg";
import { migratePostgres, openPostgres, type PgDatabase, type PgOptions } from "../db/pg/client";

import { TEST_DATABASE_URL } from "./check-services";

/** The PostgreSQL the tests use: TEST_DATABASE_URL, else the local server's `test` database. */
export { TEST_DATABASE_URL };

/** Every schema the tests create starts so; the rest of the name is the creation second and a random part. */
export const TEST_SCHEMA_PREFIX = "headroom_test_";

export interface PgTestDatabase extends PgDatabase {
  /** The schema this test file's tables are in. */
  schema: string;
  /** Empties every table (between tests of one file); the schema and its migrations stay. */
  truncate(): Promise<void>;
  /** Drops the schema with everything in it and closes the pool. */
  close(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000, application_name: "headroom-tests" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A migrated PostgreSQL database of its own for one test file (or one test): a fresh schema with a
 * random name in the `test` database, every pooled connection's search_path set to it, dropped by
 * `close()`. Test files run in parallel workers; their schemas, and their migration journals, never
 * meet. Open it in beforeAll, `truncate()` in beforeEach if the tests need empty tables, close in afterAll.
 */
export async function pgTestDatabase(opts: Omit<PgOptions, "schema"> = {}): Promise<PgTestDatabase> {
  const schema = `${TEST_SCHEMA_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString("hex")}`;
  await admin((c) => c.query(`create schema ${schema}`));
  // A test's commits need not survive a power cut: without the flush each commit waits for, they are several times faster.
  const database = openPostgres(TEST_DATABASE_URL, { maxConnections: 4, applicationName: "headroom-tests", ...opts, schema, settings: { synchronous_commit: "off", ...opts.settings } });
  try {
    await migratePostgres(database.db);
  } catch (err) {
    await database.close();
    await admin((c) => c.query(`drop schema if exists ${schema} cascade`));
    throw err;
  }
  let closed: Promise<void> | null = null;
  return {
    ...database,
    schema,
    async truncate() {
      // TRUNCATE costs a file swap per table (most of a second for all of them): only the tables holding rows.
      const { rows: tables } = await database.pool.query<{ name: string }>(
        "select quote_ident(table_name) as name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' and table_name <> '__drizzle_migrations'",
        [schema],
      );
      if (!tables.length) return;
      const { rows } = await database.pool.query<{ name: string }>(tables.map((t) => `select '${t.name}' as name where exists (select 1 from ${t.name})`).join(" union all "));
      if (rows.length) await database.pool.query(`truncate ${rows.map((r) => r.name).join(", ")} restart identity cascade`);
    },
    close() {
      closed ??= database.close().then(() => admin((c) => c.query(`drop schema if exists ${schema} cascade`)).then(() => undefined));
      return closed;
    },
  };
}

/**
 * Drops test schemas left behind by runs that died before their afterAll (older than `olderThanMs`,
 * so a run still going on this machine keeps its own). Called once per `vitest run`.
 */
export async function dropStaleTestSchemas(olderThanMs: number, nowMs: number = Date.now()): Promise<string[]> {
  return admin(async (c) => {
    const { rows } = await c.query<{ name: string }>("select nspname as name from pg_namespace where nspname like $1", [`${TEST_SCHEMA_PREFIX}%`]);
    const stale = rows
      .map((r) => r.name)
      .filter((name) => {
        const seconds = Number(name.slice(TEST_SCHEMA_PREFIX.length).split("_")[0]);
        return Number.isFinite(seconds) && seconds * 1000 < nowMs - olderThanMs;
      });
    for (const name of stale) await c.query(`drop schema if exists ${name} cascade`);
    return stale;
  });
}

/**
 * An empty schema of its own in the test database, for a whole server (migrated by its start): the
 * URL naming it, and its drop.
 */
export async function createTestSchema(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${TEST_SCHEMA_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString("hex")}`;
  await admin((c) => c.query(`create schema ${name}`));
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${name}`);
  return { name, url: url.toString(), drop: () => admin((c) => c.query(`drop schema if exists ${name} cascade`)).then(() => undefined) };
}
