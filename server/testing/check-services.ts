import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";

/**
 * The services the tests run against, checked before any test starts: a missing one fails the run
 * with one line saying which and how to start it, never a skipped test or a wall of timeouts.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || "postgres://root@127.0.0.1:5432/test";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";

export const START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
export const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log';

function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return describeError(err.errors[0]);
  if (err instanceof Error) return err.message || ("code" in err ? String(err.code) : err.name);
  return String(err);
}

/** The check's answer, or "no answer within N ms" once the deadline passes, whatever the client library is still waiting for. */
async function withDeadline(check: Promise<string | null>, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((done) => {
    timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

function hostOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith("redis") ? "6379" : "5432")}`;
}

/** Null when PostgreSQL answers `select 1` within the timeout, else why not. */
export async function checkPostgres(url: string, timeoutMs: number): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: "headroom-preflight" });
  // A connection the server drops after the check must not end the process.
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return null;
  } catch (err) {
    return describeError(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Null when Redis answers PING within the timeout, else why not. */
export async function checkRedis(url: string, timeoutMs: number): Promise<string | null> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  // ioredis rejects connect() with "Connection is closed."; the socket's own error says why.
  let socketError: unknown = null;
  redis.on("error", (err) => {
    socketError ??= err;
  });
  try {
    await redis.connect();
    const pong = await redis.ping();
    return pong === "PONG" ? null : `answered ${JSON.stringify(pong)} to PING`;
  } catch (err) {
    return describeError(socketError ?? err);
  } finally {
    redis.disconnect();
  }
}

/**
 * Checks both services at once (2 s each by default). Null when both answer; otherwise ONE line
 * naming each missing service, why, and the exact command that starts it.
 */
export async function checkServices(opts: { databaseUrl?: string; redisUrl?: string; timeoutMs?: number } = {}): Promise<string | null> {
  const databaseUrl = opts.databaseUrl ?? TEST_DATABASE_URL;
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const [pgProblem, redisProblem] = await Promise.all([withDeadline(checkPostgres(databaseUrl, timeoutMs), timeoutMs), withDeadline(checkRedis(redisUrl, timeoutMs), timeoutMs)]);
  const missing = [
    pgProblem && `PostgreSQL at ${hostOf(databaseUrl)} is not answering (${pgProblem}); start it with \`${START_POSTGRES}\``,
    redisProblem && `Redis at ${hostOf(redisUrl)} is not answering (${redisProblem}); start it with \`${START_REDIS}\``,
  ].filter(Boolean);
  return missing.length ? `The tests need PostgreSQL and Redis. ${missing.join(". ")}` : null;
}

// `node --import tsx server/testing/check-services.ts`: exit 1 with the line when a service is missing.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problem = await checkServices();
  if (problem) process.stderr.write(problem + "\n");
  else process.stdout.write("PostgreSQL and Redis are answering.\n");
  // A client still waiting on a silent server must not keep the process alive.
  process.exit(problem ? 1 : 0);
}
