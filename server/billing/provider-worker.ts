import type { Logger } from "../lib/logger";

/**
 * A remote billing provider's background work, every interval: its steps in order (unfinished plan
 * changes, overdue schedules, usage), a failing step logged and the next one run all the same. A
 * pass still running is joined, never doubled.
 */
export class ProviderWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly logger: Pick<Logger, "warn">,
    /** Names the worker in its log lines ("stripe worker: send usage failed"). */
    private readonly provider: string,
    private readonly steps: ReadonlyArray<readonly [name: string, run: () => unknown]>,
    /** How often a pass runs (ms). */
    readonly intervalMs = 30_000,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One pass; a pass still running is joined, never doubled. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      for (const [name, run] of this.steps) {
        try {
          await run();
        } catch (err) {
          this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, `${this.provider} worker: ${name} failed`);
        }
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops the timer and waits briefly for a pass in flight (a provider's call can take a while; what it leaves is resumed at the next start). */
  async stop(waitMs = 1_500): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running !== null) await Promise.race([this.running, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
  }
}
