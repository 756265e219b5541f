import type Database from "better-sqlite3";
import type { Catalog } from "../../shared/catalog";
import pg from "pg";
import { sqliteHandle, type OpenedStore } from "../db/open-store";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config";
import type { Clock } from "../lib/clock";
import { createLogger } from "../lib/logger";
import { createRuntime, startServer, type Started } from "../main";
import { createTestSchema } from "./pg-database";
import type { StripeRuntimeOptions } from "../billing/stripe/stripe-billing";

export const TEST_SERVER_TOKEN = "test-server-token-0123456789abcdef";

export type TestDialect = "sqlite" | "pg";
/** The storage backends an integration suite runs on (`describe.each(DIALECTS)`): SQLite, and PostgreSQL in a schema of its own. */
export const DIALECTS: readonly TestDialect[] = ["sqlite", "pg"];

export interface TestServer {
  url: string;
  started: Started;
  deps: Started["runtime"]["deps"];
  /** The SQLite handle, for tests that look at or arrange rows directly (the server's code reaches storage through its queries). */
  sqlite: Database.Database;
  dialect: TestDialect;
  /**
   * One statement with `?` placeholders on either backend, for tests that look at or arrange rows directly: the rows
   * of a query, [] for a statement without results. Quote `"window"` (a reserved word in PostgreSQL). A row changed
   * under the meter on PostgreSQL is not announced: call `deps.meter.invalidateAccount` as the server's own code would.
   */
  sql<T = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<T[]>;
  /** The first column of the first row of `sql` (undefined when there is none). */
  value<T = unknown>(text: string, ...params: unknown[]): Promise<T | undefined>;
  /** The first column of every row of `sql`. */
  column<T = unknown>(text: string, ...params: unknown[]): Promise<T[]>;
  dir: string;
  stop(): Promise<void>;
}

/**
 * A real server on an ephemeral loopback port with its own SQLite file in a temp directory, or
 * (`dialect: "pg"`) its own schema in the tests' PostgreSQL database.
 * `clientDir` serves that directory as the built portal instead of dist/client.
 * The demo catalog unless `catalog` is given. Logging is silent
 * unless `logTo` is given: then its lines (LOG_LEVEL=info) are written to that stream as they happen.
 */
export async function startTestServer(
  opts: { clock?: Clock; catalog?: Catalog; env?: Record<string, string>; stripe?: StripeRuntimeOptions; clientDir?: string; logTo?: NodeJS.WritableStream; dialect?: TestDialect } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "headroom-test-"));
  // On PostgreSQL: a schema of the server's own in the test database, dropped when it stops.
  const schema = opts.dialect === "pg" ? await createTestSchema() : null;
  const config = loadConfig({
    ...(schema ? { DATABASE_URL: schema.url } : {}),
    DATABASE_PATH: join(dir, "headroom.db"),
    PORT: "0",
    HOST: "127.0.0.1",
    HEADROOM_DEMO: "false",
    HEADROOM_SERVER_TOKEN: TEST_SERVER_TOKEN,
    LOG_LEVEL: opts.logTo ? "info" : "silent",
    ...opts.env,
  });
  const runtime = await createRuntime({ config, catalog: opts.catalog, clock: opts.clock, logger: opts.logTo ? createLogger(config.LOG_LEVEL, opts.logTo) : createLogger("silent"), busyTimeoutMs: 250, stripe: opts.stripe, clientDir: opts.clientDir });
  const started = await startServer(runtime);
  return {
    url: `http://127.0.0.1:${started.http.port}`,
    started,
    deps: runtime.deps,
    // Read when a test arranges or inspects rows directly: on PostgreSQL there is no such handle.
    get sqlite() {
      return sqliteHandle(runtime.database);
    },
    dialect: runtime.database.dialect,
    sql: <T,>(text: string, ...params: unknown[]) => rowsOf<T>(runtime.database, text, params),
    value: async <T,>(text: string, ...params: unknown[]) => {
      const [row] = await rowsOf<Record<string, unknown>>(runtime.database, text, params);
      return (row ? Object.values(row)[0] : undefined) as T | undefined;
    },
    column: async <T,>(text: string, ...params: unknown[]) => (await rowsOf<Record<string, unknown>>(runtime.database, text, params)).map((row) => Object.values(row)[0] as T),
    dir,
    stop: async () => {
      await started.stop();
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL's 64-bit integers and numerics (counts, sums, amounts) as numbers, as SQLite gives them: the tests' values are small. */
const NUMBERS: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => (oid === 20 || oid === 1700 ? Number : pg.types.getTypeParser(oid, format))) as pg.CustomTypesConfig["getTypeParser"],
};

/** One statement with `?` placeholders: its rows, or [] for a statement without results. */
async function rowsOf<T>(database: OpenedStore, text: string, params: unknown[]): Promise<T[]> {
  if (database.dialect === "pg") {
    let n = 0;
    return (await database.pool.query({ text: text.replace(/\?/g, () => `$${++n}`), values: params, types: NUMBERS })).rows as T[];
  }
  const statement = database.sqlite.prepare(text);
  if (statement.reader) return statement.all(...params) as T[];
  statement.run(...params);
  return [];
}

/** The value of a Set-Cookie header without its attributes ("name=value"). */
export function cookieFrom(res: Response): string {
  const raw = res.headers.get("set-cookie") ?? "";
  return raw.split(";")[0] ?? "";
}
