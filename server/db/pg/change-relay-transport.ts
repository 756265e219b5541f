import type pg from "pg";
import type { RelayTransport } from "../../lib/change-relay";
import type { Logger } from "../../lib/logger";

/**
 * PostgreSQL's LISTEN/NOTIFY, for deployments without Redis: `pg_notify` through the pool publishes
 * (in its own transaction, so it is sent at once), and one connection of its own listens. That
 * connection is opened again after it drops (a restart, a failover), with a growing pause; each
 * time it listens again is a (re)connection for the relay.
 */
export class PgNotifyRelayTransport implements RelayTransport {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 100;
  private retrying: NodeJS.Timeout | null = null;
  private handlers: { onMessage: (text: string) => void; onReady: () => void } | null = null;

  constructor(private readonly o: { pool: pg.Pool; connect: () => pg.Client; channel: string; logger: Logger }) {}

  async publish(text: string): Promise<void> {
    await this.o.pool.query("select pg_notify($1, $2)", [this.o.channel, text]);
  }

  listen(onMessage: (text: string) => void, onReady: () => void): Promise<boolean> {
    this.handlers = { onMessage, onReady };
    return this.attempt();
  }

  private async attempt(): Promise<boolean> {
    if (this.closed || !this.handlers) return false;
    const client = this.o.connect();
    const { channel, logger } = this.o;
    client.on("notification", (n) => {
      if (n.channel === channel && n.payload !== undefined) this.handlers?.onMessage(n.payload);
    });
    // An error is followed by "end", which decides what to do: unhandled, it would end the process.
    client.on("error", (err) => logger.debug({ err }, "change relay: postgresql listener error"));
    client.on("end", () => {
      if (this.client !== client) return;
      this.client = null;
      logger.warn({ channel }, "change relay: the postgresql listener dropped; listening again");
      this.retry();
    });
    try {
      await client.connect();
      await client.query(`listen "${channel.replaceAll('"', '""')}"`);
    } catch (err) {
      logger.warn({ err, channel }, "could not listen to the other instances' changes yet");
      client.end().catch(() => undefined);
      this.retry();
      return false;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return false;
    }
    this.client = client;
    this.retryMs = 100;
    this.handlers?.onReady();
    return true;
  }

  private retry(): void {
    if (this.closed || this.retrying) return;
    this.retrying = setTimeout(() => {
      this.retrying = null;
      void this.attempt();
    }, this.retryMs);
    this.retrying.unref();
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }

  stopListening(): void {
    this.handlers = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening();
    if (this.retrying) clearTimeout(this.retrying);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
