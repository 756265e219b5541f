import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Database_ } from "../db/client";
import { acquireLease, leaseOf } from "../db/queries/jobs";
import { ManualClock } from "../lib/clock";
import { createLogger } from "../lib/logger";
import { SingletonJobs } from "./singleton-jobs";
import { memoryDatabase } from "../testing/memory-database";

const T0 = Date.parse("2026-11-25T14:00:00Z");
const TTL = 30_000;

let database: Database_;
let clock: ManualClock;

beforeEach(() => {
  database = memoryDatabase();
  clock = new ManualClock(T0);
});
afterEach(() => database.close());

describe("singleton jobs", () => {
  const logger = createLogger("silent");
  /** A process's jobs, with a run counter per job; the tests renew by hand (no timers). */
  function processWith(holder: string) {
    const runs = { cycle: 0 };
    const jobs = new SingletonJobs({ db: database.db, clock, logger, leaseMs: TTL, holder }).every("billing-cycle", 3_600_000, () => runs.cycle++, { atStart: true });
    return { jobs, runs };
  }

  it("runs a job in the process holding its lease only, and moves it when the holder stops renewing or stops", async () => {
    const a = processWith("host/1/a");
    const b = processWith("host/2/b");
    await a.jobs.renew();
    await b.jobs.renew();
    expect(a.runs.cycle).toBe(1);
    expect(b.runs.cycle).toBe(0);
    expect(a.jobs.held()).toEqual(["billing-cycle"]);
    expect(b.jobs.held()).toEqual([]);

    // a renews in time: b still cannot take it.
    clock.advance(TTL - 1);
    await a.jobs.renew();
    await b.jobs.renew();
    expect(b.jobs.held()).toEqual([]);

    // a stalls past its lease: a does not run the job any more, and b takes it at its next renewal.
    clock.advance(TTL);
    expect(a.jobs.holds("billing-cycle")).toBe(false);
    await b.jobs.renew();
    expect(b.jobs.held()).toEqual(["billing-cycle"]);
    expect(b.runs.cycle).toBe(1);
    // a learns it lost the lease and stops the job.
    await a.jobs.renew();
    expect(a.jobs.held()).toEqual([]);
    expect((await leaseOf(database.db, "billing-cycle"))!.holder).toBe("host/2/b");

    // b stops gracefully: its lease is released, and a takes the job at once, without waiting for expiry.
    await b.jobs.stop();
    expect(await leaseOf(database.db, "billing-cycle")).toBeNull();
    await a.jobs.renew();
    expect(a.jobs.held()).toEqual(["billing-cycle"]);
    expect(a.runs.cycle).toBe(2);
    await a.jobs.stop();
  });

  it("takes a lease over at once from a crashed process on this host; a live or remote holder keeps it", async () => {
    // The pid of a process that has exited.
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    for (const [holder, takenOver] of [
      [`${hostname()}/${gone}/dead`, true],
      [`${hostname()}/${process.ppid}/alive`, false],
      [`another-host/${gone}/remote`, false],
    ] as const) {
      await acquireLease(database.db, "billing-cycle", holder, clock.now(), TTL);
      const p = processWith(`${hostname()}/${process.pid}/me`);
      await p.jobs.renew();
      expect(p.jobs.held().length === 1, holder).toBe(takenOver);
      await p.jobs.stop();
      database.sqlite.prepare("delete from job_leases").run();
    }
  });

  it("waits for a first run it was asked to wait for when taking the lease, and no other", async () => {
    const done: string[] = [];
    const later = (name: string) => async () => {
      await new Promise((r) => setTimeout(r, 20));
      done.push(name);
    };
    const jobs = new SingletonJobs({ db: database.db, clock, logger, leaseMs: TTL, holder: "host/1/a" })
      .every("billing-cycle", 3_600_000, later("billing-cycle"), { atStart: true, awaitFirstRun: true })
      .every("stripe-worker", 3_600_000, later("stripe-worker"), { atStart: true });
    await jobs.renew();
    expect(done).toEqual(["billing-cycle"]);
    await jobs.stop();
    expect(done).toEqual(["billing-cycle", "stripe-worker"]);
  });

  it("keeps running a job while a renewal fails, until its lease runs out", async () => {
    const a = processWith("host/1/a");
    await a.jobs.renew();
    database.sqlite.prepare("drop table job_leases").run();
    clock.advance(TTL - 1);
    await a.jobs.renew();
    expect(a.jobs.held()).toEqual(["billing-cycle"]);
    clock.advance(1);
    await a.jobs.renew();
    expect(a.jobs.held()).toEqual([]);
  });
});
