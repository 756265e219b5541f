import type { MeteringQueries } from "../db/queries/metering";
import type { Logger } from "../lib/logger";
import type { Metrics } from "../lib/metrics";
import type { UsageBuffer } from "./usage-buffer";

/**
 * Writes the usage buffer to the rollups, one IMMEDIATE transaction per flush. The batch is taken
 * whole; on failure (a busy database) it is put back, merged with what arrived meanwhile, for the
 * next attempt, so an unflushed buffer is lost whole or not at all.
 */
export class Flusher {
  private flushing = false;
  private consecutiveFailures = 0;

  constructor(
    private readonly buffer: UsageBuffer,
    private readonly write: MeteringQueries["writeBatch"],
    private readonly o: { logger: Logger; metrics?: Metrics; onFlushed?: (accountIds: string[]) => void },
  ) {}

  /** Returns true when nothing is pending afterwards. */
  flush(): boolean {
    if (this.flushing) return false;
    if (this.buffer.size() === 0) return true;
    this.flushing = true;
    const batch = this.buffer.take();
    const started = performance.now();
    try {
      const touched = this.write(batch.forWrite());
      this.consecutiveFailures = 0;
      this.o.metrics?.flushSeconds.observe((performance.now() - started) / 1000);
      this.o.metrics?.flushRows.observe(batch.size);
      this.o.logger.debug({ rows: batch.minutes.size, ids: batch.ids.size, ms: performance.now() - started }, "meter flushed");
      if (touched.length && this.o.onFlushed) {
        try {
          this.o.onFlushed(touched);
        } catch (err) {
          this.o.logger.error({ err }, "after-flush hook failed");
        }
      }
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
    }
  }
}
