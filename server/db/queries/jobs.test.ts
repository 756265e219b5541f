import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock";
import { type Database_ } from "../client";
import { acquireLease, leaseOf, releaseLease, takeOverLease } from "./jobs";
import { memoryDatabase } from "../../testing/memory-database";

const T0 = Date.parse("2026-11-25T14:00:00Z");
const TTL = 30_000;

let database: Database_;
let clock: ManualClock;

beforeEach(() => {
  database = memoryDatabase();
  clock = new ManualClock(T0);
});
afterEach(() => database.close());

describe("job leases", () => {
  it("acquire, renew, expire, steal after expiry, release", async () => {
    const { db } = database;
    expect(await acquireLease(db, "billing-cycle", "a", clock.now(), TTL)).toBe(true);
    expect(await leaseOf(db, "billing-cycle")).toEqual({ job: "billing-cycle", holder: "a", expiresAtMs: T0 + TTL });
    // Held: another holder cannot take it, the holder renews it.
    expect(await acquireLease(db, "billing-cycle", "b", clock.now(), TTL)).toBe(false);
    clock.advance(10_000);
    expect(await acquireLease(db, "billing-cycle", "a", clock.now(), TTL)).toBe(true);
    expect((await leaseOf(db, "billing-cycle"))!.expiresAtMs).toBe(T0 + 10_000 + TTL);
    // One millisecond before it runs out it is still a's; at its expiry anyone may take it.
    clock.set(T0 + 10_000 + TTL - 1);
    expect(await acquireLease(db, "billing-cycle", "b", clock.now(), TTL)).toBe(false);
    clock.set(T0 + 10_000 + TTL);
    expect(await acquireLease(db, "billing-cycle", "b", clock.now(), TTL)).toBe(true);
    expect(await leaseOf(db, "billing-cycle")).toMatchObject({ holder: "b", expiresAtMs: clock.now() + TTL });
    // a, late, cannot renew what it lost; nor release it.
    expect(await acquireLease(db, "billing-cycle", "a", clock.now(), TTL)).toBe(false);
    expect(await releaseLease(db, "billing-cycle", "a")).toBe(false);
    // Released, it is free at once, long before it would have run out.
    expect(await releaseLease(db, "billing-cycle", "b")).toBe(true);
    expect(await leaseOf(db, "billing-cycle")).toBeNull();
    expect(await acquireLease(db, "billing-cycle", "a", clock.now(), TTL)).toBe(true);
    // Leases are per job.
    expect(await acquireLease(db, "notice-delivery", "b", clock.now(), TTL)).toBe(true);
  });

  it("takes a lease over from the holder it names only, however long the lease has to run", async () => {
    const { db } = database;
    await acquireLease(db, "billing-cycle", "gone", clock.now(), TTL);
    // Someone else took it meanwhile: the takeover of "stale" changes nothing.
    expect(await takeOverLease(db, "billing-cycle", "stale", "me", clock.now(), TTL)).toBe(false);
    expect(await leaseOf(db, "billing-cycle")).toMatchObject({ holder: "gone" });
    expect(await takeOverLease(db, "billing-cycle", "gone", "me", clock.now(), TTL)).toBe(true);
    expect(await leaseOf(db, "billing-cycle")).toEqual({ job: "billing-cycle", holder: "me", expiresAtMs: T0 + TTL });
  });
});
