import { bigint, index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** The same value in both dialects: see `server/db/schema/usage.ts`. */
export { UNNAMED_METER } from "../../schema/usage";

/**
 * PostgreSQL twin of `server/db/schema/usage.ts`. Counters are bigint: SQLite's integer is 64-bit,
 * and a day's calls of one busy account can pass int4's 2^31.
 */
export const usageMinute = pgTable(
  "usage_minute",
  {
    minuteMs: bigint("minute_ms", { mode: "number" }).notNull(),
    keyId: text("key_id").notNull(),
    accountId: text("account_id").notNull(),
    meter: text("meter").notNull().default(""),
    allowed: bigint("allowed", { mode: "number" }).notNull().default(0),
    wouldThrottle: bigint("would_throttle", { mode: "number" }).notNull().default(0),
    throttled: bigint("throttled", { mode: "number" }).notNull().default(0),
    ceiling: bigint("ceiling", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.minuteMs, t.keyId, t.meter] }), index("usage_minute_account_idx").on(t.accountId, t.meter, t.minuteMs)],
);

export const usageDay = pgTable(
  "usage_day",
  {
    dayMs: bigint("day_ms", { mode: "number" }).notNull(),
    accountId: text("account_id").notNull(),
    meter: text("meter").notNull().default(""),
    allowed: bigint("allowed", { mode: "number" }).notNull().default(0),
    wouldThrottle: bigint("would_throttle", { mode: "number" }).notNull().default(0),
    throttled: bigint("throttled", { mode: "number" }).notNull().default(0),
    ceiling: bigint("ceiling", { mode: "number" }).notNull().default(0),
    peakMinute: bigint("peak_minute", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.meter, t.dayMs] })],
);
