import type { Logger } from "./logger";

/**
 * What changed, for the parts that keep something about it: the meter's caches and counters, the
 * plan advisor, detection. A verb publishes what it changed; nobody has to remember whom to tell.
 * In-process here; another process learns of commits through the meter's `PRAGMA data_version`
 * check, published as `changed.elsewhere` (a shared feed for several hosts is decision 0005's).
 */
export type Change =
  /** A key was created or revoked. */
  | { kind: "keys.changed" }
  /** An account's terms changed (a notice reached it, its overrides or grandfathering): re-read them. */
  | { kind: "terms.changed"; accountId: string }
  /** An account's plan, billing period or overage changed: new caps, and its counts rebuilt. */
  | { kind: "plan.changed"; accountId: string }
  /** A plan's enforcement mode was flipped: every account's terms re-read. */
  | { kind: "modes.changed" }
  /** The meter wrote these accounts' usage to the rollups. */
  | { kind: "usage.flushed"; accountIds: string[] }
  /** Another process (or the CLI) committed to the database. */
  | { kind: "changed.elsewhere" };

type Kind = Change["kind"];
type Handler<K extends Kind> = (change: Extract<Change, { kind: K }>) => void;

export class ChangeFeed {
  private readonly handlers = new Map<Kind, Array<(change: Change) => void>>();

  constructor(private readonly logger?: Logger) {}

  /** Handlers run synchronously, in the order they subscribed; one that throws does not stop the others. */
  subscribe<K extends Kind>(kind: K, handler: Handler<K>): () => void {
    const list = this.handlers.get(kind) ?? [];
    const h = handler as (change: Change) => void;
    list.push(h);
    this.handlers.set(kind, list);
    return () => {
      const i = list.indexOf(h);
      if (i >= 0) list.splice(i, 1);
    };
  }

  publish(change: Change): void {
    for (const h of this.handlers.get(change.kind) ?? []) {
      try {
        h(change);
      } catch (err) {
        this.logger?.error({ err, change: change.kind }, "a change handler failed");
      }
    }
  }
}
