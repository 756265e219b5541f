import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgJobs from "../pg/queries/jobs";
import * as liteJobs from "../sqlite/queries/jobs";

const T0 = Date.parse("2026-11-25T14:00:00Z");
const TTL = 30_000;

describe.each(DIALECTS)("job leases ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteJobs>>;
  let clock: ManualClock;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteJobs, pgJobs);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    clock = new ManualClock(T0);
  });

  it("acquire, renew, expire, steal after expiry, release", async () => {
    expect(await q.acquireLease("billing-cycle", "a", clock.now(), TTL)).toBe(true);
    expect(await q.leaseOf("billing-cycle")).toEqual({ job: "billing-cycle", holder: "a", expiresAtMs: T0 + TTL });
    // Held: another holder cannot take it, the holder renews it.
    expect(await q.acquireLease("billing-cycle", "b", clock.now(), TTL)).toBe(false);
    clock.advance(10_000);
    expect(await q.acquireLease("billing-cycle", "a", clock.now(), TTL)).toBe(true);
    expect((await q.leaseOf("billing-cycle"))!.expiresAtMs).toBe(T0 + 10_000 + TTL);
    // One millisecond before it runs out it is still a's; at its expiry anyone may take it.
    clock.set(T0 + 10_000 + TTL - 1);
    expect(await q.acquireLease("billing-cycle", "b", clock.now(), TTL)).toBe(false);
    clock.set(T0 + 10_000 + TTL);
    expect(await q.acquireLease("billing-cycle", "b", clock.now(), TTL)).toBe(true);
    expect(await q.leaseOf("billing-cycle")).toMatchObject({ holder: "b", expiresAtMs: clock.now() + TTL });
    // a, late, cannot renew what it lost; nor release it.
    expect(await q.acquireLease("billing-cycle", "a", clock.now(), TTL)).toBe(false);
    expect(await q.releaseLease("billing-cycle", "a")).toBe(false);
    // Released, it is free at once, long before it would have run out.
    expect(await q.releaseLease("billing-cycle", "b")).toBe(true);
    expect(await q.leaseOf("billing-cycle")).toBeNull();
    expect(await q.acquireLease("billing-cycle", "a", clock.now(), TTL)).toBe(true);
    // Leases are per job.
    expect(await q.acquireLease("notice-delivery", "b", clock.now(), TTL)).toBe(true);
  });

  it("takes a lease over from the holder it names only, however long the lease has to run", async () => {
    await q.acquireLease("billing-cycle", "gone", clock.now(), TTL);
    // Someone else took it meanwhile: the takeover of "stale" changes nothing.
    expect(await q.takeOverLease("billing-cycle", "stale", "me", clock.now(), TTL)).toBe(false);
    expect(await q.leaseOf("billing-cycle")).toMatchObject({ holder: "gone" });
    expect(await q.takeOverLease("billing-cycle", "gone", "me", clock.now(), TTL)).toBe(true);
    expect(await q.leaseOf("billing-cycle")).toEqual({ job: "billing-cycle", holder: "me", expiresAtMs: T0 + TTL });
  });

  it("of many processes racing for a free or an expired lease, exactly one gets it", async () => {
    const holders = Array.from({ length: 8 }, (_, i) => `p${i}`);
    const free = await Promise.all(holders.map((h) => q.acquireLease("outbox", h, clock.now(), TTL)));
    expect(free.filter(Boolean)).toHaveLength(1);
    const winner = holders[free.indexOf(true)];
    expect(await q.leaseOf("outbox")).toMatchObject({ holder: winner });
    clock.advance(TTL);
    const expired = await Promise.all(holders.map((h) => q.acquireLease("outbox", `${h}'`, clock.now(), TTL)));
    expect(expired.filter(Boolean)).toHaveLength(1);
    expect(await q.leaseOf("outbox")).toMatchObject({ holder: `${holders[expired.indexOf(true)]}'`, expiresAtMs: clock.now() + TTL });
    // Racing takeovers of the one holder they all saw: one wins, the others find it changed hands.
    const seen = (await q.leaseOf("outbox"))!.holder;
    const takeovers = await Promise.all(holders.map((h) => q.takeOverLease("outbox", seen, `${h}''`, clock.now(), TTL)));
    expect(takeovers.filter(Boolean)).toHaveLength(1);
  });
});
