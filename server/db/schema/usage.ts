import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The `meter` column of the rollups, the limit events, the idempotency ids and the notices: the id of
 * the catalog meter a row counts for. Rows written before meters were counted apart carry '' (the
 * migration's default), and '' is read as the catalog's default meter (its first): the queries of a
 * meter select `meter in (<id>, '')` for the default meter and `meter = <id>` for the others
 * (`meterColumnValues` in `server/db/queries/usage.ts`). We chose this over rewriting '' to the
 * default meter's id at start-up because that id is data (the catalog file), not known to the
 * migration, and because an UPDATE of every rollup row's primary key on a large database would hold
 * the write lock for the whole rewrite at every first start; reading '' costs one more index seek.
 */
export const UNNAMED_METER = "";

/**
 * Per-key per-meter per-minute rollup. The primary key starts with the time bucket: batched upserts of the
 * current minute then append to the end of the B-tree (several times faster than key-first).
 */
export const usageMinute = sqliteTable(
  "usage_minute",
  {
    /** Unix ms of the minute's start. */
    minuteMs: integer("minute_ms").notNull(),
    keyId: text("key_id").notNull(),
    accountId: text("account_id").notNull(),
    /** The catalog meter counted ('' = the default meter, written before meters were counted apart). */
    meter: text("meter").notNull().default(""),
    allowed: integer("allowed").notNull().default(0),
    wouldThrottle: integer("would_throttle").notNull().default(0),
    throttled: integer("throttled").notNull().default(0),
    ceiling: integer("ceiling").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.minuteMs, t.keyId, t.meter] }), index("usage_minute_account_idx").on(t.accountId, t.meter, t.minuteMs)],
);

/** Per-account per-meter per-UTC-day rollup; billing-month usage is the sum over the period's days. */
export const usageDay = sqliteTable(
  "usage_day",
  {
    /** Unix ms of the UTC day's start. */
    dayMs: integer("day_ms").notNull(),
    accountId: text("account_id").notNull(),
    /** The catalog meter counted ('' = the default meter, written before meters were counted apart). */
    meter: text("meter").notNull().default(""),
    allowed: integer("allowed").notNull().default(0),
    wouldThrottle: integer("would_throttle").notNull().default(0),
    throttled: integer("throttled").notNull().default(0),
    ceiling: integer("ceiling").notNull().default(0),
    /** The busiest minute of the day (allowed + would_throttle), for peaks without scanning minutes. */
    peakMinute: integer("peak_minute").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.meter, t.dayMs] })],
);
