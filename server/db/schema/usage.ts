import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Per-key per-minute rollup. The primary key starts with the time bucket: batched upserts of the
 * current minute then append to the end of the B-tree (several times faster than key-first).
 */
export const usageMinute = sqliteTable(
  "usage_minute",
  {
    /** Unix ms of the minute's start. */
    minuteMs: integer("minute_ms").notNull(),
    keyId: text("key_id").notNull(),
    accountId: text("account_id").notNull(),
    allowed: integer("allowed").notNull().default(0),
    wouldThrottle: integer("would_throttle").notNull().default(0),
    throttled: integer("throttled").notNull().default(0),
    ceiling: integer("ceiling").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.minuteMs, t.keyId] }), index("usage_minute_account_idx").on(t.accountId, t.minuteMs)],
);

/** Per-account per-UTC-day rollup; billing-month usage is the sum over the period's days. */
export const usageDay = sqliteTable(
  "usage_day",
  {
    /** Unix ms of the UTC day's start. */
    dayMs: integer("day_ms").notNull(),
    accountId: text("account_id").notNull(),
    allowed: integer("allowed").notNull().default(0),
    wouldThrottle: integer("would_throttle").notNull().default(0),
    throttled: integer("throttled").notNull().default(0),
    ceiling: integer("ceiling").notNull().default(0),
    /** The busiest minute of the day (allowed + would_throttle), for peaks without scanning minutes. */
    peakMinute: integer("peak_minute").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.dayMs] })],
);
