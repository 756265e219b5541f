/**
 * A real Headroom runtime on a temp SQLite file (or on PostgreSQL when `env` sets DATABASE_URL), with one account whose calls are always allowed
 * and one API key. Used by the Headroom server target, the meter() target and the in-process
 * decision benchmark, so all three measure the same Meter the server builds (metrics included).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { sqliteHandle } from "../../server/db/open-store";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount } from "../../server/accounts/accounts";
import { loadConfig } from "../../server/config";
import { createKey } from "../../server/keys/keys";
import { createLogger } from "../../server/lib/logger";
import { createRuntime, type Runtime } from "../../server/main";

export const BENCH_SERVER_TOKEN = "bench-server-token-0123456789abcdef";

export interface Fixture {
  runtime: Runtime;
  dir: string;
  dbPath: string;
  /** Where the server's log lines go (LOG_LEVEL other than silent), written as `npm start` writes standard output. */
  logPath: string;
  accountId: string;
  key: string;
  plan: string;
  cleanup(): void;
}

/**
 * BENCH_PLAN=business (default): the Business plan with its minute and day caps raised to 10^9,
 * so every window is computed and RateLimit headers are sent, yet nothing is refused.
 * BENCH_PLAN=enterprise: no caps at all (the cheapest path).
 * Logging is silent unless `env` sets LOG_LEVEL; the lines then go to a file in the temp directory
 * (standard output is the target's protocol channel), with the same asynchronous writer as standard output.
 */
export async function createFixture(env: Record<string, string> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "headroom-bench-"));
  const dbPath = join(dir, "headroom.db");
  const config = loadConfig({
    DATABASE_PATH: dbPath,
    PORT: "0",
    HOST: "127.0.0.1",
    HEADROOM_DEMO: "false",
    HEADROOM_SERVER_TOKEN: BENCH_SERVER_TOKEN,
    LOG_LEVEL: "silent",
    KEY_CEILING_PER_MINUTE: "10000000",
    ...env,
  });
  const logPath = join(dir, "headroom.log");
  const runtime = await createRuntime({ config, logger: createLogger(config.LOG_LEVEL, { file: logPath }) });
  const { deps } = runtime;
  const plan = process.env.BENCH_PLAN === "enterprise" ? "enterprise" : "business";
  const account = await createAccount(deps.db, deps.catalog, deps.clock, { name: "Bench Co", email: "bench@example.com", planId: plan });
  if (plan === "business") {
    const caps = JSON.stringify({ minute: 1_000_000_000, day: 1_000_000_000 });
    if (runtime.database.dialect === "pg") await runtime.database.pool.query("update accounts set cap_overrides_json = $1 where id = $2", [caps, account.id]);
    else sqliteHandle(runtime.database).prepare("update accounts set cap_overrides_json = ? where id = ?").run(caps, account.id);
    deps.meter.invalidateAccount(account.id);
  }
  const key = (await createKey(deps.db, deps.clock, { accountId: account.id, name: "bench" })).key;
  return {
    runtime,
    dir,
    dbPath,
    logPath,
    accountId: account.id,
    key,
    plan,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What the rollups hold: every call counted in usage_minute, and the idempotency ids kept. */
export async function storedCounts(fx: Fixture): Promise<{ usageMinute: number; usageDay: number; ids: number }> {
  const database = fx.runtime.database;
  if (database.dialect === "pg") {
    const one = async (q: string) => Number((await database.pool.query<{ n: string }>(q)).rows[0]!.n);
    return {
      usageMinute: await one("select coalesce(sum(allowed + would_throttle + throttled + ceiling), 0) as n from usage_minute"),
      usageDay: await one("select coalesce(sum(allowed + would_throttle + throttled + ceiling), 0) as n from usage_day"),
      ids: await one("select count(*) as n from metered_ids"),
    };
  }
  const s = sqliteHandle(database);
  return {
    usageMinute: s.prepare("select coalesce(sum(allowed + would_throttle + throttled + ceiling), 0) from usage_minute").pluck().get() as number,
    usageDay: s.prepare("select coalesce(sum(allowed + would_throttle + throttled + ceiling), 0) from usage_day").pluck().get() as number,
    ids: s.prepare("select count(*) from metered_ids").pluck().get() as number,
  };
}
