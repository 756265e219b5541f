import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkServices, START_POSTGRES, START_REDIS, TEST_DATABASE_URL, TEST_REDIS_URL } from "./check-services";

const root = resolve(import.meta.dirname, "../..");

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe("the services preflight", () => {
  it("passes when PostgreSQL and Redis answer", async () => {
    expect(await checkServices()).toBeNull();
  });

  it("names the missing service and the exact command that starts it, on one line", async () => {
    const port = await closedPort();
    const noPg = await checkServices({ databaseUrl: `postgres://root@127.0.0.1:${port}/test` });
    expect(noPg).toBe(`The tests need PostgreSQL and Redis. PostgreSQL at 127.0.0.1:${port} is not answering (connect ECONNREFUSED 127.0.0.1:${port}); start it with \`${START_POSTGRES}\``);
    const noRedis = await checkServices({ redisUrl: `redis://127.0.0.1:${port}` });
    expect(noRedis).toBe(`The tests need PostgreSQL and Redis. Redis at 127.0.0.1:${port} is not answering (connect ECONNREFUSED 127.0.0.1:${port}); start it with \`${START_REDIS}\``);
    const neither = await checkServices({ databaseUrl: `postgres://root@127.0.0.1:${port}/test`, redisUrl: `redis://127.0.0.1:${port}` });
    expect(neither).toContain(START_POSTGRES);
    expect(neither).toContain(START_REDIS);
    for (const line of [noPg, noRedis, neither]) expect(line).not.toContain("\n");
  });

  it("gives up on a server that accepts the connection but never answers, within the timeout", async () => {
    // A socket that is accepted and then left silent: neither the PostgreSQL nor the Redis handshake completes.
    const silent = createServer(() => {});
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    const { port } = silent.address() as { port: number };
    try {
      const line = await checkServices({ databaseUrl: `postgres://root@127.0.0.1:${port}/test`, redisUrl: `redis://127.0.0.1:${port}`, timeoutMs: 300 });
      expect(line).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+ is not answering \(.+\); start it with .*Redis at 127\.0\.0\.1:\d+ is not answering \(no answer within 300 ms\); start it with /);
    } finally {
      silent.close();
    }
  });

  it("run as a script: exits 1 with the line on stderr", async () => {
    const port = await closedPort();
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "server/testing/check-services.ts")], {
      env: { ...process.env, TEST_DATABASE_URL, TEST_REDIS_URL: `redis://127.0.0.1:${port}` },
      encoding: "utf8",
      cwd: root,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^The tests need PostgreSQL and Redis\\. Redis at 127\\.0\\.0\\.1:${port} is not answering \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); start it with \`redis-server [^\\n]+\`\\n$`));
    expect(TEST_REDIS_URL).toBe(process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379");
  });
});
