import { randomBytes } from "node:crypto";
import type { MeteringQueries, UsageBatch } from "../db/queries/metering";
import { systemClock, type Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import type { Metrics } from "../lib/metrics";
import type { TakenBatch, UsageBuffer } from "./usage-buffer";

/** Writes a batch in one synchronous transaction (SQLite): when it throws, nothing was written. */
export type SyncBatchWriter = MeteringQueries["writeBatch"];

/**
 * Writes a batch once per batch id (PostgreSQL, `pgMeteringQueries`): a batch re-sent under its id
 * after a commit whose answer was lost adds nothing, and answers the same touched accounts.
 */
export interface AsyncBatchWriter {
  writeBatch(batch: UsageBatch, batchId: string): Promise<string[]>;
}

/**
 * Rows and ids kept unwritten at most, buffered and held. A buffered id or minute row costs about 280
 * bytes of heap (measured with a million of each), so the bound holds the buffer near 300 MB, well
 * inside Node's default heap with room for the flush that writes it; and it is a few minutes of a
 * busy server's calls with ids (1,000,000 is 100 s at 10,000 calls/s, each with an id, far longer
 * without ids, whose calls add to a key's minute row), the outage of a restarted or failed-over PostgreSQL.
 */
export const DEFAULT_MAX_PENDING_ROWS = 1_000_000;

/**
 * Rows and ids per asynchronous batch: the backlog of an outage goes as several transactions of whole
 * accounts. On PostgreSQL a batch of a million ids took 11 s and one of a million minute rows 50 s,
 * so a batch of this size takes seconds, well inside a statement timeout, and does not hold every
 * account's day rows locked for a minute.
 */
export const DEFAULT_MAX_BATCH_ROWS = 100_000;

/** The wait before a failed batch is re-sent, doubling from the first to the longest (ms). */
export const DEFAULT_RETRY_DELAY_MS = { firstMs: 100, maxMs: 5_000 };

export interface FlusherOptions {
  logger: Logger;
  metrics?: Metrics;
  onFlushed?: (accountIds: string[]) => void;
  /** When a failed batch may be re-sent (default: the system clock). */
  clock?: Clock;
  /** Names this process's batches, e.g. its host (default "headroom"); a random part per flusher keeps two processes of one name apart. */
  instanceId?: string;
  /** See DEFAULT_MAX_PENDING_ROWS. */
  maxPendingRows?: number;
  /** See DEFAULT_MAX_BATCH_ROWS (an asynchronous writer's; a synchronous one writes the whole buffer). */
  maxBatchRows?: number;
  /** See DEFAULT_RETRY_DELAY_MS (an asynchronous writer's retries; a synchronous one is retried at each flush). */
  retryDelayMs?: { firstMs: number; maxMs: number };
}

/** The batch an asynchronous flush took: re-sent whole, under its id, until it is written. */
interface HeldBatch {
  batch: TakenBatch;
  id: string;
  failures: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Writes the usage buffer to the rollups, one transaction per flush.
 *
 * A synchronous writer (SQLite) gets the batch whole; on failure (a busy database) it is put back,
 * merged with what arrived meanwhile, for the next attempt, so an unflushed buffer is lost whole or
 * not at all.
 *
 * An asynchronous writer (PostgreSQL) may fail after its commit (the answer lost with the
 * connection), so a batch goes under an id the database remembers, and a failed batch is held and
 * re-sent unchanged under the same id: merged with newer counts it would lose them (the id says
 * "written"), under a new id it would count twice. One batch is in flight at a time; calls arriving
 * meanwhile gather in the buffer for the next one, taken only once the held one is written (a backlog
 * as several batches of whole accounts, see maxBatchRows).
 *
 * Either way the buffer is bounded (maxPendingRows, see UsageBuffer.bound): past it, calls are still
 * answered but their usage is not kept, counted in headroom_meter_buffer_dropped_total and logged
 * once per episode.
 */
export class Flusher {
  private flushing = false;
  private consecutiveFailures = 0;
  private readonly writer: AsyncBatchWriter | null;
  private readonly writeSync: SyncBatchWriter | null;
  private readonly clock: Clock;
  private readonly maxPendingRows: number;
  private readonly maxBatchRows: number;
  private readonly retryDelayMs: { firstMs: number; maxMs: number };
  /** A process's batch ids: `<instance>:<random>:<sequence>`, never reused by a restart. */
  private readonly batchIdPrefix: string;
  private sequence = 0;
  private held: HeldBatch | null = null;
  /** The attempt under way, resolving to whether it wrote its batch. */
  private writing: Promise<boolean> | null = null;
  /** No re-send of a failed batch before then (clock ms) but by drain(). */
  private retryAtMs = 0;
  /** Calls not kept since the buffer last had room (0: not full). */
  private droppedInEpisode = 0;

  constructor(
    private readonly buffer: UsageBuffer,
    write: SyncBatchWriter | AsyncBatchWriter,
    private readonly o: FlusherOptions,
  ) {
    this.writeSync = typeof write === "function" ? write : null;
    this.writer = typeof write === "function" ? null : write;
    this.clock = o.clock ?? systemClock;
    this.maxPendingRows = o.maxPendingRows ?? DEFAULT_MAX_PENDING_ROWS;
    this.maxBatchRows = o.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS;
    this.retryDelayMs = o.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.batchIdPrefix = `${o.instanceId ?? "headroom"}:${randomBytes(6).toString("hex")}:`;
    buffer.bound(this.maxPendingRows, () => this.dropped());
  }

  /** Rows and ids not written yet (buffered, and a batch in flight or waiting to be re-sent). */
  pending(): number {
    return this.buffer.size();
  }

  /**
   * Returns true when nothing is pending afterwards. With an asynchronous writer it starts a flush
   * (if none is under way and a failed batch's wait is over) and answers at once: true only if
   * nothing was pending to begin with.
   */
  flush(): boolean {
    if (this.writer) {
      void this.flushAsync();
      return this.buffer.size() === 0;
    }
    if (this.flushing) return false;
    if (this.buffer.size() === 0) return true;
    this.flushing = true;
    const batch = this.buffer.take();
    const started = performance.now();
    try {
      const touched = this.writeSync!(batch.forWrite());
      this.consecutiveFailures = 0;
      this.flushed(batch, touched, started);
      return this.buffer.size() === 0;
    } catch (err) {
      this.consecutiveFailures++;
      this.o.metrics?.flushFailures.inc();
      this.buffer.putBack(batch);
      const level = this.consecutiveFailures > 20 ? "error" : "warn";
      this.o.logger[level]({ err, attempt: this.consecutiveFailures, pending: this.buffer.size() }, "meter flush failed; will retry");
      return false;
    } finally {
      this.flushing = false;
      this.o.metrics?.bufferDepth.set(this.buffer.size());
    }
  }

  /**
   * Writes one batch: the held one if a write failed (once its wait is over), else what is buffered.
   * Concurrent callers share the attempt under way. True when nothing is pending afterwards; never rejects.
   */
  async flushAsync(): Promise<boolean> {
    if (!this.writer) return this.flush();
    if (!this.writing && this.held && this.clock.now() < this.retryAtMs) return false;
    await (this.writing ?? this.attempt());
    return this.buffer.size() === 0;
  }

  /**
   * For a graceful stop: writes until nothing is pending or `deadlineMs` has passed, re-sending a
   * failed batch after a short growing wait. True when nothing is pending. The deadline is wall time
   * (a stop must end however the injected clock moves); a write still under way then is left to finish.
   */
  async drain(deadlineMs: number): Promise<boolean> {
    const until = performance.now() + deadlineMs;
    let waitMs = this.retryDelayMs.firstMs;
    while (this.buffer.size() > 0) {
      const left = until - performance.now();
      if (left <= 0) break;
      if (!this.writer) {
        if (this.flush()) break;
        await sleep(Math.min(50, left));
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"deadline">((resolve) => (timer = setTimeout(() => resolve("deadline"), left)));
      const wrote = await Promise.race([this.writing ?? this.attempt(), deadline]);
      clearTimeout(timer);
      if (wrote === "deadline") break;
      if (wrote) waitMs = this.retryDelayMs.firstMs;
      else {
        await sleep(Math.min(waitMs, Math.max(0, until - performance.now())));
        waitMs = Math.min(waitMs * 2, this.retryDelayMs.maxMs);
      }
    }
    return this.buffer.size() === 0;
  }

  /** Starts writing the held batch, or takes the buffer as the next one; resolves to whether it was written. */
  private attempt(): Promise<boolean> {
    if (!this.held) {
      if (this.buffer.bufferedSize() === 0) return Promise.resolve(true);
      this.held = { batch: this.buffer.hold(this.maxBatchRows), id: `${this.batchIdPrefix}${++this.sequence}`, failures: 0 };
    }
    const writing = this.send(this.held).finally(() => {
      this.writing = null;
      this.o.metrics?.bufferDepth.set(this.buffer.size());
    });
    this.writing = writing;
    return writing;
  }

  private async send(held: HeldBatch): Promise<boolean> {
    const started = performance.now();
    let touched: string[];
    try {
      touched = await this.writer!.writeBatch(held.batch.forWrite(), held.id);
    } catch (err) {
      held.failures++;
      this.o.metrics?.flushFailures.inc();
      const delayMs = Math.min(this.retryDelayMs.firstMs * 2 ** (held.failures - 1), this.retryDelayMs.maxMs);
      this.retryAtMs = this.clock.now() + delayMs;
      const level = held.failures > 20 ? "error" : "warn";
      this.o.logger[level]({ err, batchId: held.id, attempt: held.failures, retryInMs: delayMs, pending: this.buffer.size() }, "meter flush failed; the batch is kept and re-sent under its id");
      return false;
    }
    this.held = null;
    this.buffer.release(held.batch);
    if (held.failures) this.o.logger.info({ batchId: held.id, attempts: held.failures + 1 }, "meter flush written after retries");
    this.flushed(held.batch, touched, started);
    return true;
  }

  /** A batch is written: metrics, the after-flush hook, and the end of a full buffer's episode. */
  private flushed(batch: TakenBatch, touched: string[], started: number): void {
    this.o.metrics?.flushSeconds.observe((performance.now() - started) / 1000);
    this.o.metrics?.flushRows.observe(batch.size);
    this.o.logger.debug({ rows: batch.minutes.size, ids: batch.ids.size, ms: performance.now() - started }, "meter flushed");
    if (this.droppedInEpisode && this.buffer.size() < this.maxPendingRows) {
      this.o.logger.warn({ dropped: this.droppedInEpisode, pending: this.buffer.size() }, "meter buffer has room again; the usage of the calls dropped meanwhile is not in the rollups");
      this.droppedInEpisode = 0;
    }
    if (touched.length && this.o.onFlushed) {
      try {
        this.o.onFlushed(touched);
      } catch (err) {
        this.o.logger.error({ err }, "after-flush hook failed");
      }
    }
  }

  /** The buffer is full and a call's usage was not kept: counted, and logged once per episode. */
  private dropped(): void {
    this.o.metrics?.bufferDropped.inc();
    if (this.droppedInEpisode++ === 0)
      this.o.logger.error(
        { pending: this.buffer.size(), maxPendingRows: this.maxPendingRows },
        "meter buffer full: calls are still answered, but their usage is not kept until a flush makes room",
      );
  }
}
