import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { served } from "./lib/db";
import { HaProxy } from "./lib/haproxy";
import { PgSchema } from "./lib/pg-schema";
import { RedisServer } from "./lib/redis-server";
import { TcpProxy } from "./lib/tcp-proxy";
import { TEST_DATABASE_URL } from "../server/testing/pg-database";
import { bearer, createAccountWithKey, ensureStopped, rest, SERVER_TOKEN, startScriptCommand, startServer, type ServerProcess } from "./lib/server";

/**
 * Several instances behind a real load balancer (decision 0005): three `web` processes and one
 * `worker` on PostgreSQL (a schema of the suite's own, reached through a proxy the suite can cut)
 * and a Redis of the suite's own, behind HAProxy with the configuration docs/deploy.md shows. Every call goes through the balancer, which spreads them
 * round robin; the counts must be exact across the instances, and each fault must cost at most what
 * the decision says.
 */
const CEILING = 1_000;
const dir = mkdtempSync(join(tmpdir(), "headroom-rel-several-"));
const webs: ServerProcess[] = [];
let worker: ServerProcess | undefined;
let redis: RedisServer;
let lb: HaProxy;
let db: PgSchema;
let pgProxy: TcpProxy;

interface Answer {
  status: number;
  allowed: boolean;
  decision: string;
  duplicate: boolean;
  /** Calls counted in each window after this call. */
  used: Record<string, number>;
  /** The start of the body of an answer other than 200, to say what went wrong. */
  body?: string;
}

/**
 * One POST /v1/check through the balancer. A connection closed without an answer is an answer of
 * status 0 whose body says why (every test asserts the status), not an exception that says nothing
 * of the other answers.
 */
async function check(body: { key: string; id?: string; cost?: number }): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(`${lb.url}/v1/check`, { method: "POST", headers: { ...bearer, "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return { status: 0, allowed: false, decision: "no answer", duplicate: false, used: {}, body: `${String(err)}${cause ? ` (${String(cause)})` : ""}` };
  }
  // Not always JSON: the balancer answers 503 with an HTML page when it holds no instance up.
  const text = await res.text();
  let json: { allowed?: boolean; decision?: string; duplicate?: boolean; limits?: Array<{ window: string; used: number }> } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    /* kept as text below */
  }
  const used = Object.fromEntries((json.limits ?? []).map((l) => [l.window, l.used]));
  const answer: Answer = { status: res.status, allowed: json.allowed === true, decision: json.decision ?? `http ${res.status}`, duplicate: json.duplicate === true, used };
  if (res.status !== 200) answer.body = text.slice(0, 300);
  return answer;
}

/** Answers tallied by status, decision and duplicate (e.g. `{"200 allow": 298, "503 http 503": 2}`), for a failure message. */
function tally(answers: readonly Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = `${a.status} ${a.decision}${a.duplicate ? " duplicate" : ""}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Runs `jobs` with at most `concurrency` in flight; answers in the order of `jobs`. */
async function pool<T>(jobs: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const out = new Array<T>(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

const env = () => ({
  DATABASE_URL: db.urlVia(pgProxy.port),
  DATABASE_POOL_SIZE: "4",
  REDIS_URL: redis.url,
  KEY_CEILING_PER_MINUTE: String(CEILING),
  HEADROOM_SERVER_TOKEN: SERVER_TOKEN,
  JOB_LEASE_MS: "3000",
});

beforeAll(async () => {
  redis = await RedisServer.start();
  db = await PgSchema.create();
  const target = new URL(TEST_DATABASE_URL);
  pgProxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  // The first instance creates and migrates the database; the others open it.
  webs.push(await startServer({ dir, command: [...startScriptCommand(), "--role", "web"], env: env() }));
  webs.push(...(await Promise.all([1, 2].map(() => startServer({ dir, command: [...startScriptCommand(), "--role", "web"], env: env() })))));
  worker = await startServer({ dir, command: [...startScriptCommand(), "--role", "worker"], env: env() });
  lb = await HaProxy.start(
    dir,
    webs.map((w, i) => ({ name: `web${i + 1}`, port: w.port })),
  );
});

afterAll(async () => {
  await lb?.stop();
  for (const p of [...webs, worker]) {
    if (!p?.alive()) continue;
    const timer = setTimeout(() => void p.sigkill(), 6_000);
    await p.sigterm();
    clearTimeout(timer);
  }
  for (const p of [...webs, worker]) await ensureStopped(p);
  await redis?.down();
  await pgProxy?.stop();
  await db?.drop();
});

/** Waits until the rollups of the account hold `n` served calls (every instance flushes every 250 ms). */
async function flushedTo(accountId: string, n: number, deadlineMs = 10_000): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const got = served((await db.rollups(accountId)).minute);
    if (got >= n || Date.now() > until) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The balancer's last log lines (failed requests, instances taken out or back), for a failure message. */
const lbSaid = (from = 0) => `HAProxy said:\n${lb.logs().slice(from).trim().split("\n").slice(-20).join("\n")}`;

/** Each instance's log messages since `from` (an offset into its logs), counted by message: what it said meanwhile. */
function messagesSince(from: number[]): Array<Record<string, number>> {
  return webs.map((w, i) => {
    const out: Record<string, number> = {};
    for (const line of w.logs().slice(from[i] ?? 0).split("\n")) {
      if (!line.trim()) continue;
      let msg = line.slice(0, 120);
      try {
        msg = (JSON.parse(line) as { msg?: string }).msg ?? msg;
      } catch {
        /* not a pino line: its start */
      }
      out[msg] = (out[msg] ?? 0) + 1;
    }
    return out;
  });
}

/** Every instance's /healthz, straight (not through the balancer), with how long it took. */
async function healthOfAll(): Promise<Array<{ status: number; ms: number; body: string }>> {
  return Promise.all(
    webs.map(async (w) => {
      const t = performance.now();
      try {
        const res = await fetch(`${w.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
        return { status: res.status, ms: Math.round(performance.now() - t), body: await res.text() };
      } catch (err) {
        return { status: 0, ms: Math.round(performance.now() - t), body: String(err) };
      }
    }),
  );
}

describe("three web instances and a worker on PostgreSQL behind HAProxy, counting in Redis", () => {
  it("3,000 calls with distinct ids, each retried once through the balancer, count exactly 3,000", async ({ task }) => {
    const acc = await createAccountWithKey(webs[0]!, "enterprise", "several");
    // Six keys, 500 calls each: under the per-key ceiling, so every call is served.
    const keys = [acc.key];
    for (let i = 1; i < 6; i++) {
      const k = await rest<{ key: string }>(webs[0]!, "POST", `/v1/accounts/${acc.accountId}/keys`, { name: `several ${i}` });
      expect(k.status).toBe(201);
      keys.push(k.json.key);
    }
    const ids = Array.from({ length: 3_000 }, (_, i) => ({ key: keys[i % keys.length]!, id: `several-${i}` }));
    const t0 = performance.now();
    // Each id is retried as soon as its first answer is in: round robin sends the retry to another
    // instance, long before any flush could have told it about the id through the database.
    const pairs = await pool(
      ids.map((b) => async () => [await check(b), await check(b)] as const),
      48,
    );
    const first = pairs.map((p) => p[0]);
    const retried = pairs.map((p) => p[1]);
    const ms = performance.now() - t0;

    expect(first.filter((a) => a.status !== 200), lbSaid()).toEqual([]);
    expect(first.filter((a) => a.duplicate || !a.allowed)).toEqual([]);
    expect(retried.filter((a) => a.status !== 200 || !a.duplicate || a.decision !== "allow"), lbSaid()).toEqual([]);
    const inDb = await flushedTo(acc.accountId, 3_000);
    expect(inDb).toBe(3_000);
    expect((await db.rollups(acc.accountId)).ids).toBe(3_000);
    task.meta.figure = `6,000 requests (3,000 ids, each twice) through HAProxy over 3 instances in ${Math.round(ms)} ms; usage ${inDb}, ids stored ${(await db.rollups(acc.accountId)).ids}`;
  });

  it("the per-key ceiling of 1,000 a minute: 1,500 concurrent calls through the balancer allow exactly 1,000", async ({ task }) => {
    const acc = await createAccountWithKey(webs[0]!, "enterprise", "ceiling");
    const answers = await pool(
      Array.from({ length: 1_500 }, () => () => check({ key: acc.key })),
      64,
    );
    expect(answers.filter((a) => a.status !== 200 && a.status !== 429), lbSaid()).toEqual([]);
    const allowed = answers.filter((a) => a.allowed).length;
    const ceiling = answers.filter((a) => a.decision === "ceiling").length;
    expect(allowed).toBe(CEILING);
    expect(ceiling).toBe(500);
    const inDb = await flushedTo(acc.accountId, CEILING);
    expect(inDb).toBe(CEILING);
    task.meta.figure = `1,500 concurrent calls over 3 instances: ${allowed} allowed, ${ceiling} refused by the ceiling`;
  });

  it("Redis restarts empty: the day and the month come back from the rollups, and a flushed id is still a duplicate", async ({ task }) => {
    const acc = await createAccountWithKey(webs[0]!, "pro", "restart");
    const before = await pool(
      Array.from({ length: 300 }, (_, i) => () => check({ key: acc.key, id: `restart-${i}` })),
      24,
    );
    expect(before.filter((a) => !a.allowed)).toEqual([]);
    expect(await flushedTo(acc.accountId, 300)).toBe(300);

    await redis.down();
    await redis.up();
    // Each instance notices the restart at its next call (counted alone until its connection is back),
    // then seeds the day and month from the rollups and adds what it counted meanwhile.
    let after = await check({ key: acc.key, id: "restart-after-0" });
    let probes = 1;
    const until = Date.now() + 10_000;
    while (after.used.month !== 300 + probes && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 300));
      after = await check({ key: acc.key, id: `restart-after-${probes++}` });
    }
    expect(after).toMatchObject({ status: 200, allowed: true, duplicate: false });
    expect(after.used.month).toBe(300 + probes);
    expect(after.used.day).toBe(300 + probes);
    // An id counted before the restart, long flushed: still a duplicate, nothing counted again.
    const again = await check({ key: acc.key, id: "restart-7" });
    expect(again).toMatchObject({ status: 200, duplicate: true });
    expect(await flushedTo(acc.accountId, 300 + probes)).toBe(300 + probes);
    task.meta.figure = `after an empty restart the month reads ${after.used.month} (300 flushed + ${probes} calls since); the minute restarted from ${after.used.minute}`;
  });

  it("Redis unreachable: every call is still answered, counted locally, and added to Redis when it answers again", async ({ task }) => {
    const acc = await createAccountWithKey(webs[0]!, "pro", "paused");
    const first = await pool(
      Array.from({ length: 50 }, () => () => check({ key: acc.key })),
      10,
    );
    expect(first.filter((a) => !a.allowed)).toEqual([]);
    // Redis holds every client's commands for 4 s: to Headroom it is gone, its data kept.
    await redis.pause(4_000);
    const during = await pool(
      Array.from({ length: 100 }, () => () => check({ key: acc.key })),
      10,
    );
    expect(during.filter((a) => a.status !== 200 || !a.allowed)).toEqual([]);
    const warned = webs.filter((w) => /counter store/i.test(w.logs())).length;
    expect(warned).toBeGreaterThan(0);
    // Back: what the instances counted alone is added to Redis.
    await new Promise((r) => setTimeout(r, 5_000));
    let month = 0;
    let probes = 0;
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      month = (await check({ key: acc.key })).used.month ?? 0;
      probes++;
      if (month >= 150 + probes) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // 50 before, 100 while paused, and each probe: nothing lost, nothing added twice.
    expect(month).toBe(150 + probes);
    const total = served((await db.rollups(acc.accountId)).minute);
    task.meta.figure = `100 calls answered while Redis was paused (${warned} instances said so); Redis's month afterwards ${month}, rollups ${total}`;
  });

  it("PostgreSQL unreachable: every call is still answered, the usage kept, and written once when it is back", async ({ task }) => {
    const acc = await createAccountWithKey(webs[0]!, "enterprise", "pg-cut");
    // Every instance meets the key and the account first (round robin: three calls reach all three).
    const warm = await pool(
      Array.from({ length: 30 }, (_, i) => () => check({ key: acc.key, id: `pg-warm-${i}` })),
      6,
    );
    expect(warm.filter((a) => !a.allowed), lbSaid()).toEqual([]);
    expect(await flushedTo(acc.accountId, 30)).toBe(30);

    const logsFrom = webs.map((w) => w.logs().length);
    const lbLogsFrom = lb.logs().length;
    const seen: Record<string, unknown> = {};
    /** What the test saw so far, for every failure message below: a CI log then says why. */
    const saw = () => `${JSON.stringify({ ...seen, messages: messagesSince(logsFrom) }, null, 1)}\n${lbSaid(lbLogsFrom)}`;
    const t0 = performance.now();
    pgProxy.cut();
    // Longer than the balancer takes to drop an instance whose check answers an error (two checks 500 ms
    // apart): it must keep them. A check that does not answer in time (3 s) is a failure too; each
    // instance's /healthz during the cut is in the failure messages, with what HAProxy said.
    await new Promise((r) => setTimeout(r, 1_500));
    const tCalls = performance.now();
    const during = await pool(
      Array.from({ length: 300 }, (_, i) => () => check({ key: acc.key, id: `pg-cut-${i}` })),
      12,
    );
    seen.during = { ms: Math.round(performance.now() - t0), answers: tally(during), firstOther: during.find((a) => a.status !== 200) };
    // Retried while the database is away: Redis knows each id.
    const retried = await pool(
      Array.from({ length: 50 }, (_, i) => () => check({ key: acc.key, id: `pg-cut-${i}` })),
      12,
    );
    seen.retried = { ms: Math.round(performance.now() - t0), answers: tally(retried), firstOther: retried.find((a) => a.status !== 200) };
    const cutMs = performance.now() - tCalls;
    await new Promise((r) => setTimeout(r, 3_000));
    const held = webs.filter((w, i) => /meter flush failed/i.test(w.logs().slice(logsFrom[i]))).length;
    // The balancer keeps every instance: healthy, degraded, holding the usage it counted.
    const health = await healthOfAll();
    seen.healthDuringCut = health;
    seen.cutForMs = Math.round(performance.now() - t0);
    pgProxy.restore();
    expect(health[0]!.status, saw()).toBe(200);
    const first = JSON.parse(health[0]!.body) as { status: string; database?: string; pendingUsage?: number };
    expect(first, saw()).toMatchObject({ status: "degraded", database: "unreachable" });
    expect(first.pendingUsage, saw()).toBeGreaterThan(0);

    expect(during.filter((a) => a.status !== 200 || !a.allowed || a.duplicate), saw()).toEqual([]);
    expect(retried.filter((a) => a.status !== 200 || !a.duplicate), saw()).toEqual([]);
    expect(held, saw()).toBeGreaterThan(0);
    // Back: each instance writes what it held, once (its next retry may be 5 s away: the longest wait between them).
    const written = await flushedTo(acc.accountId, 330, 30_000);
    seen.writtenAfterRestore = { calls: written, ms: Math.round(performance.now() - t0) };
    seen.healthAfterRestore = await healthOfAll();
    expect(written, saw()).toBe(330);
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await db.rollups(acc.accountId);
    seen.after = after;
    expect(served(after.minute), saw()).toBe(330);
    expect(after.ids, saw()).toBe(330);
    task.meta.figure = `350 calls answered in ${Math.round(cutMs)} ms with PostgreSQL cut off (${held} instances held their flushes); afterwards the rollups hold ${served(after.minute)} calls and ${after.ids} ids`;
  });

  it("kill -9 of one instance under load: a client retrying every id gets each counted exactly once", async ({ task }) => {
    const acc = await createAccountWithKey(webs[0]!, "enterprise", "killed");
    const keys = [acc.key];
    for (let i = 1; i < 6; i++) keys.push((await rest<{ key: string }>(webs[0]!, "POST", `/v1/accounts/${acc.accountId}/keys`, { name: `killed ${i}` })).json.key);
    const victim = webs[2]!;
    let answered = 0;
    let retries = 0;
    const kill = (async () => {
      while (answered < 800) await new Promise((r) => setTimeout(r, 5));
      await victim.sigkill();
    })();
    const answers = await pool(
      Array.from({ length: 3_000 }, (_, i) => async () => {
        const body = { key: keys[i % keys.length]!, id: `killed-${i}` };
        for (let attempt = 0; ; attempt++) {
          try {
            const a = await check(body);
            if (a.status === 200) {
              answered++;
              return a;
            }
          } catch {
            // The connection died with the instance: send the same id again.
          }
          retries++;
          if (attempt > 50) throw new Error(`id ${body.id} never answered`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
      24,
    );
    await kill;
    // Each id counted once in the shared counts: exactly one of its answers was not a duplicate.
    expect(answers.filter((a) => !a.allowed)).toEqual([]);
    const counted = answers.filter((a) => !a.duplicate).length;
    const lost = 3_000 - (await flushedTo(acc.accountId, 3_000, 3_000));
    expect(counted + answers.filter((a) => a.duplicate).length).toBe(3_000);
    expect(lost).toBeGreaterThanOrEqual(0);
    // What the killed instance had not flushed yet: at most its share of one flush interval's calls, with room for a slow machine.
    expect(lost).toBeLessThan(300);
    task.meta.figure = `3,000 ids, ${retries} retries after kill -9 of one of 3 instances; ${answers.filter((a) => a.duplicate).length} retries answered as duplicates; rollups lost ${lost} (the killed instance's unflushed buffer)`;
  });
});
