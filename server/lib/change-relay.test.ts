import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { TEST_DATABASE_URL } from "../testing/check-services";
import { ChangeFeed, type Change } from "./change-feed";
import { PgNotifyRelayTransport } from "../db/pg/change-relay-transport";
import { ChangeRelay, RedisRelayTransport, type RelayTransport } from "./change-relay";
import { createLogger } from "./logger";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const logger = createLogger("silent");
const cleanups: Array<() => Promise<unknown>> = [];
const relays: ChangeRelay[] = [];

afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A channel of each transport, and a way to send raw text on it (another program, or a malformed message). */
interface Carrier {
  name: string;
  channel(): { name: string; transport(): RelayTransport; raw(text: string): Promise<void> };
}

const redis = (): Redis => {
  const r = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  // A relay closes its own connections; those it did not are closed here.
  cleanups.push(() => (r.status === "end" ? Promise.resolve() : r.quit().catch(() => undefined)));
  return r;
};

let pool: pg.Pool | null = null;
const pgPool = () => {
  if (!pool) {
    const p = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    pool = p;
    cleanups.push(async () => {
      pool = null;
      await p.end();
    });
  }
  return pool;
};

const CARRIERS: Carrier[] = [
  {
    name: "redis pub/sub",
    channel() {
      const channel = `test:changes:${randomUUID()}`;
      return {
        name: channel,
        transport: () => new RedisRelayTransport({ pub: redis(), sub: redis(), channel, logger }),
        raw: async (text) => void (await redis().publish(channel, text)),
      };
    },
  },
  {
    name: "postgresql listen/notify",
    channel() {
      const channel = `test_changes_${randomUUID().slice(0, 8)}`;
      return {
        name: channel,
        transport: () => new PgNotifyRelayTransport({ pool: pgPool(), connect: () => new pg.Client({ connectionString: TEST_DATABASE_URL }), channel, logger }),
        raw: async (text) => void (await pgPool().query("select pg_notify($1, $2)", [channel, text])),
      };
    },
  },
];

async function instance(transport: RelayTransport, onResubscribed?: () => void) {
  const feed = new ChangeFeed();
  const seen: Change[] = [];
  for (const kind of ["keys.changed", "terms.changed", "plan.changed", "modes.changed", "usage.flushed"] as const) feed.subscribe(kind, (c) => void seen.push(c));
  const relay = new ChangeRelay({ feed, transport, logger, ...(onResubscribed ? { onResubscribed } : {}) });
  relays.push(relay);
  await relay.start();
  return { feed, seen };
}

const until = async (probe: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!probe() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return probe();
};

describe.each(CARRIERS)("the change relay between instances, over $name", (carrier) => {
  it("a change published on one instance reaches the others once, and comes back to none", async () => {
    const ch = carrier.channel();
    const a = await instance(ch.transport());
    const b = await instance(ch.transport());
    const c = await instance(ch.transport());
    const t0 = performance.now();
    a.feed.publish({ kind: "plan.changed", accountId: "acc_1" });
    expect(await until(() => b.seen.length === 1 && c.seen.length === 1)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1_000);
    b.feed.publish({ kind: "keys.changed" });
    expect(await until(() => a.seen.length === 2 && c.seen.length === 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    // Each saw its own publication once (locally) and the other's once (relayed): no echo.
    expect(a.seen).toEqual([{ kind: "plan.changed", accountId: "acc_1" }, { kind: "keys.changed" }]);
    expect(b.seen).toEqual([{ kind: "plan.changed", accountId: "acc_1" }, { kind: "keys.changed" }]);
    expect(c.seen).toEqual([{ kind: "plan.changed", accountId: "acc_1" }, { kind: "keys.changed" }]);
  });

  it("what stays local stays local, and a malformed message is dropped", async () => {
    const ch = carrier.channel();
    const a = await instance(ch.transport());
    const b = await instance(ch.transport());
    a.feed.publish({ kind: "usage.flushed", accountIds: ["acc_1"] });
    await ch.raw("not json");
    await ch.raw(JSON.stringify({ from: "elsewhere", change: { kind: "plan.changed" } }));
    await ch.raw(JSON.stringify({ from: "elsewhere", change: { kind: "terms.changed", accountId: "acc_2" } }));
    expect(await until(() => b.seen.length === 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.seen).toEqual([{ kind: "terms.changed", accountId: "acc_2" }]);
    expect(a.seen).toEqual([{ kind: "usage.flushed", accountIds: ["acc_1"] }, { kind: "terms.changed", accountId: "acc_2" }]);
  });
});

describe("the change relay over postgresql, when the listening connection drops", () => {
  it("listens again, says so (everything cached is re-read), and relays what comes after", async () => {
    const ch = CARRIERS[1]!.channel();
    let resubscribed = 0;
    const a = await instance(ch.transport());
    const b = await instance(ch.transport(), () => resubscribed++);
    // The server ends the listening connections of this channel, as a restart or a failover would.
    const ended = await pgPool().query<{ ok: boolean }>("select pg_terminate_backend(pid) as ok from pg_stat_activity where query = $1", [`listen "${ch.name}"`]);
    expect(ended.rows.filter((r) => r.ok)).toHaveLength(2);
    expect(await until(() => resubscribed >= 1, 5_000)).toBe(true);
    a.feed.publish({ kind: "terms.changed", accountId: "acc_9" });
    expect(await until(() => b.seen.some((c) => c.kind === "terms.changed" && c.accountId === "acc_9"))).toBe(true);
  });
});
