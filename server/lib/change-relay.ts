import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Change, ChangeFeed } from "./change-feed";
import type { Logger } from "./logger";

/** The changes other instances must hear of: what their caches and counters keep. */
const RELAYED = ["keys.changed", "terms.changed", "plan.changed", "modes.changed"] as const satisfies ReadonlyArray<Change["kind"]>;
type Relayed = Extract<Change, { kind: (typeof RELAYED)[number] }>;

interface Envelope {
  from: string;
  change: Relayed;
}

function isRelayed(v: unknown): v is Relayed {
  if (typeof v !== "object" || v === null) return false;
  const c = v as { kind?: unknown; accountId?: unknown };
  if (c.kind === "keys.changed" || c.kind === "modes.changed") return true;
  return (c.kind === "terms.changed" || c.kind === "plan.changed") && typeof c.accountId === "string";
}

/**
 * How the relay's messages travel between instances: a channel every instance listens on, its own
 * messages included (the relay drops those). Delivery is at most once; `onReady` runs on every
 * (re)connection, so the relay can tell when something may have been missed.
 */
export interface RelayTransport {
  publish(text: string): Promise<void>;
  /** Listens from now on; true once listening (false: not yet, it keeps trying and calls onReady when it is). */
  listen(onMessage: (text: string) => void, onReady: () => void): Promise<boolean>;
  stopListening(): void;
  close(): Promise<void>;
}

/** Redis pub/sub: a normal connection publishes, a connection of its own subscribes (a subscribed connection can do nothing else). */
export class RedisRelayTransport implements RelayTransport {
  private onMessage: ((ch: string, text: string) => void) | null = null;

  constructor(private readonly o: { pub: Redis; sub: Redis; channel: string; logger: Logger }) {
    // Reconnection errors say nothing new (the counter store logs Redis going and coming): kept at debug.
    for (const conn of [o.pub, o.sub]) conn.on("error", (err: unknown) => o.logger.debug({ err }, "change relay: redis connection error"));
  }

  async publish(text: string): Promise<void> {
    await this.o.pub.publish(this.o.channel, text);
  }

  listen(onMessage: (text: string) => void, onReady: () => void): Promise<boolean> {
    const { sub, channel, logger } = this.o;
    this.onMessage = (ch, text) => {
      if (ch === channel) onMessage(text);
    };
    sub.on("message", this.onMessage);
    sub.on("ready", onReady);
    // Connected already: that was its first connection.
    if (sub.status === "ready") onReady();
    // Redis may be down: ioredis subscribes again after every reconnection by itself.
    return sub.subscribe(channel).then(
      () => true,
      (err: unknown) => {
        logger.warn({ err, channel }, "could not subscribe to the other instances' changes yet");
        return false;
      },
    );
  }

  stopListening(): void {
    if (this.onMessage) this.o.sub.off("message", this.onMessage);
    this.onMessage = null;
  }

  async close(): Promise<void> {
    this.stopListening();
    // A connection that never came (Redis down) is dropped; a live one is closed politely.
    await Promise.allSettled([this.o.pub, this.o.sub].map((c) => (c.status === "ready" ? c.quit() : Promise.resolve(c.disconnect()))));
  }
}

/**
 * Carries the change feed between instances (decision 0005), over Redis pub/sub or PostgreSQL's
 * LISTEN/NOTIFY: what a verb publishes here is sent to every other instance and published into its
 * feed, so a key revoked or a plan changed on one instance takes effect on all as soon as the message
 * arrives (well within a second). A message from this instance is not published twice; a malformed
 * one is logged and dropped.
 *
 * Both deliver at most once: an instance that was disconnected while a change went by misses it, so
 * on every reconnection the relay calls `onResubscribed`, and the caches read everything afresh.
 */
export class ChangeRelay {
  readonly instance = randomUUID();
  private relaying = false;
  private readonly unsubscribe: Array<() => void> = [];
  /** Publications under way: a process that stops sends them first. */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly o: {
      feed: ChangeFeed;
      transport: RelayTransport;
      /** False: only publish (a command that serves nothing needs to hear of no one's changes). Default true. */
      listen?: boolean;
      logger: Logger;
      /** Called on every (re)connection after the first: what was missed meanwhile must be re-read. */
      onResubscribed?: () => void;
    },
  ) {}

  async start(): Promise<void> {
    const { feed, transport, logger } = this.o;
    for (const kind of RELAYED) {
      this.unsubscribe.push(
        feed.subscribe(kind, (change) => {
          if (this.relaying) return;
          const message: Envelope = { from: this.instance, change };
          const sent = transport
            .publish(JSON.stringify(message))
            .catch((err: unknown) => logger.warn({ err, change: change.kind }, "could not relay a change to the other instances"))
            .finally(() => this.sending.delete(sent));
          this.sending.add(sent);
        }),
      );
    }
    if (this.o.listen === false) return;
    let connectedBefore = false;
    const listening = transport.listen(
      (text) => this.received(text),
      () => {
        if (connectedBefore) this.o.onResubscribed?.();
        connectedBefore = true;
      },
    );
    // The store of the messages may be down at start: the server starts all the same (waiting a second at most).
    await Promise.race([listening, new Promise((r) => setTimeout(r, 1_000).unref())]);
  }

  private received(text: string): void {
    const { feed, logger } = this.o;
    let message: Partial<Envelope>;
    try {
      message = JSON.parse(text) as Partial<Envelope>;
    } catch {
      logger.warn("dropped a change message that is not JSON");
      return;
    }
    if (message.from === this.instance) return;
    if (!isRelayed(message.change)) {
      logger.warn("dropped a change message of an unknown kind");
      return;
    }
    this.relaying = true;
    try {
      feed.publish(message.change);
    } finally {
      this.relaying = false;
    }
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.o.transport.stopListening();
  }

  /** Stops relaying and closes the transport's connections (a process that is stopping). */
  async close(): Promise<void> {
    this.stop();
    await Promise.allSettled([...this.sending]);
    await this.o.transport.close();
  }
}
