import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createApp } from "./app";
import { loadConfig, publicBaseUrl, type Config } from "./config";
import { migrateDatabase, openDatabase, type Database_ } from "./db/client";
import type { Deps } from "./deps";
import { systemClock, type Clock } from "./lib/clock";
import { newSecret } from "./lib/ids";
import { createLogger, type Logger } from "./lib/logger";
import { listen, type RunningServer } from "./server";

export const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CLIENT_DIR = resolve(ROOT_DIR, "dist/client");

/** The directory beside the database file, where the generated server token is kept. */
function dataDir(config: Config): string {
  return config.DATABASE_PATH === ":memory:" ? resolve(ROOT_DIR, "data") : dirname(resolve(config.DATABASE_PATH));
}

/** HEADROOM_SERVER_TOKEN, or one generated on first start and kept in the data directory. */
export function resolveServerToken(config: Config): { token: string; generated: boolean; path: string | null } {
  if (config.HEADROOM_SERVER_TOKEN) return { token: config.HEADROOM_SERVER_TOKEN, generated: false, path: null };
  const path = resolve(dataDir(config), "server-token");
  if (existsSync(path)) return { token: readFileSync(path, "utf8").trim(), generated: false, path };
  mkdirSync(dirname(path), { recursive: true });
  const token = `hr_server_${newSecret(24)}`;
  writeFileSync(path, token + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, generated: true, path };
}

export interface Runtime {
  deps: Deps;
  database: Database_;
  /** Listening on port 0 learns the real port only after listen(); links must use it. */
  setPort(port: number): void;
}

/** Opens and migrates the database and builds the dependencies; nothing listens yet. */
export function createRuntime(opts: { config?: Config; clock?: Clock; logger?: Logger } = {}): Runtime {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const database = openDatabase(config.DATABASE_PATH);
  migrateDatabase(database.db);
  let baseUrl = publicBaseUrl(config, config.PORT);
  const deps: Deps = {
    config,
    db: database.db,
    sqlite: database.sqlite,
    clock: opts.clock ?? systemClock,
    logger,
    serverToken: resolveServerToken(config).token,
    baseUrl: () => baseUrl,
    clientDir: CLIENT_DIR,
  };
  return {
    deps,
    database,
    setPort: (port) => {
      baseUrl = publicBaseUrl(config, port);
    },
  };
}

export interface Started {
  runtime: Runtime;
  http: RunningServer;
  stop(): Promise<void>;
}

/** Starts serving; stop() stops accepting, finishes open requests, then closes the database. */
export async function startServer(runtime: Runtime): Promise<Started> {
  const { deps, database } = runtime;
  const app = createApp(deps);
  const http = await listen(app, { port: deps.config.PORT, host: deps.config.HOST });
  runtime.setPort(http.port);
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await http.close();
      database.close();
    })());
  return { runtime, http, stop };
}
