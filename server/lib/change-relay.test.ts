import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { ChangeFeed, type Change } from "./change-feed";
import { ChangeRelay } from "./change-relay";
import { createLogger } from "./logger";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const open: Redis[] = [];
const relays: ChangeRelay[] = [];
const connect = () => {
  const r = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  open.push(r);
  return r;
};

afterEach(async () => {
  for (const r of relays.splice(0)) r.stop();
  await Promise.all(open.splice(0).map((r) => r.quit()));
});

async function instance(channel: string) {
  const feed = new ChangeFeed();
  const seen: Change[] = [];
  for (const kind of ["keys.changed", "terms.changed", "plan.changed", "modes.changed", "usage.flushed"] as const) feed.subscribe(kind, (c) => void seen.push(c));
  const relay = new ChangeRelay({ feed, pub: connect(), sub: connect(), channel, logger: createLogger("silent") });
  relays.push(relay);
  await relay.start();
  return { feed, seen };
}

const until = async (probe: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!probe() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return probe();
};

describe("the change relay between instances", () => {
  it("a change published on one instance reaches the others once, and comes back to none", async () => {
    const channel = `test:changes:${randomUUID()}`;
    const a = await instance(channel);
    const b = await instance(channel);
    const c = await instance(channel);
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
    const channel = `test:changes:${randomUUID()}`;
    const a = await instance(channel);
    const b = await instance(channel);
    a.feed.publish({ kind: "usage.flushed", accountIds: ["acc_1"] });
    const raw = connect();
    await raw.publish(channel, "not json");
    await raw.publish(channel, JSON.stringify({ from: "elsewhere", change: { kind: "plan.changed" } }));
    await raw.publish(channel, JSON.stringify({ from: "elsewhere", change: { kind: "terms.changed", accountId: "acc_2" } }));
    expect(await until(() => b.seen.length === 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.seen).toEqual([{ kind: "terms.changed", accountId: "acc_2" }]);
    expect(a.seen).toEqual([{ kind: "usage.flushed", accountIds: ["acc_1"] }, { kind: "terms.changed", accountId: "acc_2" }]);
  });
});
