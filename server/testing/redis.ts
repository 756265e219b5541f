import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The Redis the tests run against. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix of its own for one test file, so files sharing the Redis do not see each other's keys. */
export const testRedisPrefix = (name: string) => `headroom-test:${name}:${randomBytes(6).toString("hex")}:`;

/** Deletes every key under `prefix` (SCAN, not KEYS: the Redis may be shared). */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== "0");
  return deleted;
}

/** A plain client for arranging and inspecting keys. */
export const testRedis = () => new Redis(TEST_REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
