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
 * Carries the change feed between instances over Redis pub/sub (decision 0005): what a verb
 * publishes here is sent to every other instance and published into its feed, so a key revoked or a
 * plan changed on one instance takes effect on all as soon as the message arrives (well within a
 * second), not at the next `PRAGMA data_version` look. A message from this instance is not published
 * twice; a malformed one is logged and dropped.
 *
 * Pub/sub delivers at most once: an instance that was disconnected while a change went by misses
 * it, so on every (re)connection the relay publishes `changed.elsewhere`-style invalidation locally
 * (`onResubscribed`), and the caches read everything afresh.
 */
export class ChangeRelay {
  readonly instance = randomUUID();
  private relaying = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly o: {
      feed: ChangeFeed;
      /** Publishes (a normal connection). */
      pub: Redis;
      /** Subscribes (a connection of its own: a subscribed connection can do nothing else). */
      sub: Redis;
      channel: string;
      logger: Logger;
      /** Called on every (re)subscription after the first: what was missed meanwhile must be re-read. */
      onResubscribed?: () => void;
    },
  ) {}

  async start(): Promise<void> {
    const { feed, pub, sub, channel, logger } = this.o;
    for (const kind of RELAYED) {
      this.unsubscribe.push(
        feed.subscribe(kind, (change) => {
          if (this.relaying) return;
          const message: Envelope = { from: this.instance, change };
          pub.publish(channel, JSON.stringify(message)).catch((err: unknown) => logger.warn({ err, change: change.kind }, "could not relay a change to the other instances"));
        }),
      );
    }
    sub.on("message", (ch: string, text: string) => {
      if (ch !== channel) return;
      let message: Partial<Envelope>;
      try {
        message = JSON.parse(text) as Partial<Envelope>;
      } catch {
        logger.warn({ channel }, "dropped a change message that is not JSON");
        return;
      }
      if (message.from === this.instance) return;
      if (!isRelayed(message.change)) {
        logger.warn({ channel }, "dropped a change message of an unknown kind");
        return;
      }
      this.relaying = true;
      try {
        feed.publish(message.change);
      } finally {
        this.relaying = false;
      }
    });
    // Reconnection errors say nothing new (the counter store logs Redis going and coming): kept at debug.
    for (const conn of [pub, sub]) conn.on("error", (err: unknown) => logger.debug({ err }, "change relay: redis connection error"));
    let connectedBefore = false;
    sub.on("ready", () => {
      if (connectedBefore) this.o.onResubscribed?.();
      connectedBefore = true;
    });
    // Redis may be down at start: the server starts all the same (waiting a second at most), and the
    // subscription is made when the connection comes (ioredis subscribes again after every reconnection).
    const subscribed = sub.subscribe(channel).then(
      () => true,
      (err: unknown) => {
        logger.warn({ err, channel }, "could not subscribe to the other instances' changes yet");
        return false;
      },
    );
    await Promise.race([subscribed, new Promise((r) => setTimeout(r, 1_000).unref())]);
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.o.sub.removeAllListeners("message");
  }

  /** Stops relaying and closes both connections (a process that is stopping). */
  async close(): Promise<void> {
    this.stop();
    // A connection that never came (Redis down) is dropped; a live one is closed politely.
    await Promise.allSettled([this.o.pub, this.o.sub].map((c) => (c.status === "ready" ? c.quit() : Promise.resolve(c.disconnect()))));
  }
}
