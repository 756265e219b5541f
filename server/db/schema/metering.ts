import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Idempotency ids of metered calls and events, written in the same transaction as the counts they
 * produced: a retried call or a replayed batch finds its id and is not counted again. Kept 48 h+.
 */
export const meteredIds = sqliteTable(
  "metered_ids",
  {
    accountId: text("account_id").notNull(),
    /** The meter the call counted against: an id is unique per account and meter ('' = the default meter, see usage.ts). */
    meter: text("meter").notNull().default(""),
    id: text("id").notNull(),
    /** The decision given the first time, replayed to a retry. */
    decision: text("decision").notNull(),
    seenAtMs: integer("seen_at_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.meter, t.id] }), index("metered_ids_seen_idx").on(t.seenAtMs)],
);

/** Per-minute audit of limit decisions other than a plain allow: which window, what happened, how often. */
export const limitEvents = sqliteTable(
  "limit_events",
  {
    minuteMs: integer("minute_ms").notNull(),
    accountId: text("account_id").notNull(),
    /** The meter whose window it was ('' = the default meter, see usage.ts). */
    meter: text("meter").notNull().default(""),
    window: text("window").notNull(),
    decision: text("decision", { enum: ["would_throttle", "throttle", "ceiling"] }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.minuteMs, t.accountId, t.meter, t.window, t.decision] }), index("limit_events_account_idx").on(t.accountId, t.minuteMs)],
);

/**
 * Flushes already written, by batch id (the instance's id and its flush sequence), inserted in the
 * flush's own transaction: a flush re-sent after a timeout whose commit did succeed finds its id and
 * adds nothing. Pruned with the idempotency ids, after the same retention.
 */
export const usageFlushes = sqliteTable("usage_flushes", {
  batchId: text("batch_id").primaryKey(),
  flushedAtMs: integer("flushed_at_ms").notNull(),
});
