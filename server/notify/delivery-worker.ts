import { claimOutboxMessage, dueOutboxMessages, recordOutboxFailure, recordOutboxSent, type OutboxRow } from "../db/queries/notify";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import type { Mailer } from "./mailer";
import { markDelivered } from "./notices";
import { postWebhook } from "./webhook";

export const MAX_ATTEMPTS = 8;
const BASE_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 3_600_000;
/** A row left in `sending` this long was interrupted by a crash; it is tried again (once more at most). */
const STALE_SENDING_MS = 60_000;

/** 30 s, 1 min, 2 min, … capped at an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
}

export interface DeliveryWorkerOptions {
  db: Store;
  clock: Clock;
  logger: Logger;
  mailer: Mailer | null;
  webhookSecret: string | null;
  /** A notice reached the customer: the meter re-reads the account's grace. */
  onDelivered?: (accountId: string) => void;
  intervalMs?: number;
}

/**
 * Sends due outbox rows with retries and exponential backoff. Each row is marked `sending` with its
 * attempt counted, in its own commit, before the send: a crash between the send and the record
 * sends it again at most once (e-mail: same Message-ID; webhook: same idempotency key).
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly o: DeliveryWorkerOptions) {}

  /** How often a pass runs (ms). */
  get intervalMs(): number {
    return this.o.intervalMs ?? 1_000;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    this.o.mailer?.close();
  }

  /** One pass over the due rows. Concurrent calls share the pass in progress. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const { db, clock } = this.o;
    const now = clock.now();
    const due = await dueOutboxMessages(db, now, now - STALE_SENDING_MS, 25);
    for (const row of due) {
      if (row.channel === "email" && !this.o.mailer) continue;
      if (row.channel === "webhook" && !this.o.webhookSecret) continue;
      const attempts = row.attempts + 1;
      if (!(await claimOutboxMessage(db, row.id, row.attempts, clock.now()))) continue;
      // The outcome is recorded only while this claim stands: a send so slow that the row was
      // claimed again as stale (here or in another process) leaves the record to that claim.
      try {
        await this.send(row);
        const sentAt = clock.now();
        await recordOutboxSent(db, row.id, attempts, sentAt);
        if (row.channel === "email" && row.noticeId && row.accountId && (await markDelivered(db, row.accountId, row.noticeId, sentAt))) this.o.onDelivered?.(row.accountId);
      } catch (err) {
        const failed = attempts >= MAX_ATTEMPTS;
        const message = err instanceof Error ? err.message : String(err);
        await recordOutboxFailure(db, row.id, attempts, { status: failed ? "failed" : "pending", nextAttemptAtMs: clock.now() + backoffMs(attempts), lastError: message.slice(0, 500) });
        this.o.logger[failed ? "error" : "warn"]({ outboxId: row.id, channel: row.channel, attempts, error: message }, failed ? "delivery failed for good" : "delivery failed; will retry");
      }
    }
  }

  private async send(row: OutboxRow): Promise<void> {
    if (row.channel === "email") {
      const payload = JSON.parse(row.payloadJson) as { text: string; html: string; headers: Record<string, string> };
      await this.o.mailer!.send({ to: row.recipient, subject: row.subject ?? "", text: payload.text, html: payload.html, headers: payload.headers, messageId: `<${row.id}@headroom>` });
    } else {
      await postWebhook(row.recipient, this.o.webhookSecret!, row.id, row.payloadJson, Math.floor(this.o.clock.now() / 1000));
    }
  }
}
