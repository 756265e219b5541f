import { bigint, index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** PostgreSQL twin of `server/db/schema/metering.ts`. */
export const meteredIds = pgTable(
  "metered_ids",
  {
    accountId: text("account_id").notNull(),
    meter: text("meter").notNull().default(""),
    id: text("id").notNull(),
    decision: text("decision").notNull(),
    seenAtMs: bigint("seen_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.meter, t.id] }), index("metered_ids_seen_idx").on(t.seenAtMs)],
);

export const limitEvents = pgTable(
  "limit_events",
  {
    minuteMs: bigint("minute_ms", { mode: "number" }).notNull(),
    accountId: text("account_id").notNull(),
    meter: text("meter").notNull().default(""),
    window: text("window").notNull(),
    decision: text("decision", { enum: ["would_throttle", "throttle", "ceiling"] }).notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.minuteMs, t.accountId, t.meter, t.window, t.decision] }), index("limit_events_account_idx").on(t.accountId, t.minuteMs)],
);

export const usageFlushes = pgTable("usage_flushes", {
  batchId: text("batch_id").primaryKey(),
  flushedAtMs: bigint("flushed_at_ms", { mode: "number" }).notNull(),
});
