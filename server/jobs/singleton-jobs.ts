import { acquireLease, leaseOf, releaseLease, takeOverLease } from "../db/queries/jobs";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import { holderIsGone, newHolderId } from "./job-leases";

/** A job that runs in one process at a time: started when its lease is taken, stopped when it is lost. */
export interface SingletonJob {
  readonly name: string;
  /** The lease was taken: begin running (the first run may happen at once, and may be waited for). */
  start(): void | Promise<void>;
  /** The lease was lost or is being given up: stop running, and wait for a run in progress. */
  stop(): Promise<void>;
}

export interface SingletonJobsOptions {
  db: Store;
  clock: Clock;
  logger: Logger;
  /** How long a lease lasts without renewal (ms); it is renewed every third of that. */
  leaseMs: number;
  /** This process in the lease table (default: host, pid and a random part). */
  holder?: string;
}

/**
 * The jobs that must run in one process only (the billing calendar, the outbox, the Stripe worker,
 * pruning). Each runs only while this process holds its lease row: the leases are taken or renewed
 * every third of their length, a lease this process fails to renew stops its job, and a job whose
 * lease another process let expire (or released) is taken over at the next renewal.
 */
export class SingletonJobs {
  readonly holder: string;
  private readonly jobs: SingletonJob[] = [];
  /** Per job: until when this process knows it holds the lease (clock ms). */
  private readonly until = new Map<string, number>();
  private readonly running = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: SingletonJobsOptions) {
    this.holder = o.holder ?? newHolderId();
  }

  add(job: SingletonJob): this {
    this.jobs.push(job);
    return this;
  }

  /**
   * A job that runs `run` every `everyMs` (and once at once with `atStart`) while this process holds
   * its lease. A run still in progress is not started again; `stopWaitMs` bounds the wait for it at a stop.
   * With `awaitFirstRun`, taking the lease waits for the run at start to finish (errors are logged).
   */
  every(name: string, everyMs: number, run: () => unknown, opts: { atStart?: boolean; awaitFirstRun?: boolean; stopWaitMs?: number } = {}): this {
    let timer: NodeJS.Timeout | null = null;
    let inFlight: Promise<void> | null = null;
    const runOnce = () => {
      // Checked at every run, not only at renewals: after a stall longer than the lease, another process may have it.
      if (inFlight || !this.holds(name)) return;
      try {
        const result = run();
        if (result instanceof Promise) {
          inFlight = result.then(
            () => undefined,
            (err: unknown) => this.o.logger.error({ err, job: name }, "job failed"),
          );
          void inFlight.finally(() => (inFlight = null));
        }
      } catch (err) {
        this.o.logger.error({ err, job: name }, "job failed");
      }
    };
    return this.add({
      name,
      start: () => {
        if (timer) return;
        if (opts.atStart) runOnce();
        timer = setInterval(runOnce, everyMs);
        timer.unref();
        return opts.awaitFirstRun ? (inFlight ?? undefined) : undefined;
      },
      stop: async () => {
        if (timer) clearInterval(timer);
        timer = null;
        if (!inFlight) return;
        await (opts.stopWaitMs === undefined ? inFlight : Promise.race([inFlight, new Promise((r) => setTimeout(r, opts.stopWaitMs).unref())]));
      },
    });
  }

  /** Whether this process holds the job's lease now (as far as it renewed it). */
  holds(job: string): boolean {
    const until = this.until.get(job);
    return until !== undefined && this.o.clock.now() < until;
  }

  /** The jobs running here. */
  held(): string[] {
    return this.jobs.map((j) => j.name).filter((n) => this.running.has(n));
  }

  /** Takes what leases it can at once (their jobs start before this returns), then renews every third of the lease. */
  start(): Promise<void> {
    this.stopped = false;
    const first = this.renew();
    if (!this.timer) {
      this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.o.leaseMs / 3)));
      this.timer.unref();
    }
    return first;
  }

  /** One round of taking and renewing leases. Concurrent calls share the round in progress. */
  renew(): Promise<void> {
    this.ticking ??= this.round().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async round(): Promise<void> {
    const { db, clock, logger, leaseMs } = this.o;
    for (const job of this.jobs) {
      if (this.stopped) return;
      const now = clock.now();
      let taken: boolean;
      try {
        taken = (await acquireLease(db, job.name, this.holder, now, leaseMs)) || (await this.takeOverFromGone(job.name, now));
      } catch (err) {
        // A busy database: the lease still stands until it runs out; the next round tries again.
        logger.warn({ err, job: job.name }, "could not renew the job's lease");
        if (this.holds(job.name)) continue;
        taken = false;
      }
      if (taken) {
        this.until.set(job.name, now + leaseMs);
        if (this.running.has(job.name)) continue;
        this.running.add(job.name);
        logger.info({ job: job.name, holder: this.holder }, "took the job's lease; running it here");
        await job.start();
      } else {
        this.until.delete(job.name);
        if (!this.running.delete(job.name)) continue;
        logger.warn({ job: job.name, holder: this.holder }, "lost the job's lease; stopped running it here");
        await job.stop();
      }
    }
  }

  /** The lease is held by a process on this host that no longer exists (a crash): no need to wait for it to run out. */
  private async takeOverFromGone(job: string, now: number): Promise<boolean> {
    const lease = await leaseOf(this.o.db, job);
    // Taken over from that exact holder only: if the lease changed hands since it was read, nothing happens.
    return lease !== null && lease.holder !== this.holder && holderIsGone(lease.holder) && (await takeOverLease(this.o.db, job, lease.holder, this.holder, now, this.o.leaseMs));
  }

  /** Stops every job here (waiting for runs in progress), then releases their leases so another process takes them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    const mine = this.jobs.filter((j) => this.running.has(j.name));
    await Promise.all(mine.map((j) => j.stop()));
    for (const job of mine) {
      this.running.delete(job.name);
      this.until.delete(job.name);
      try {
        await releaseLease(this.o.db, job.name, this.holder);
      } catch (err) {
        this.o.logger.warn({ err, job: job.name }, "could not release the job's lease; it runs out on its own");
      }
    }
  }
}
