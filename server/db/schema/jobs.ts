import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Which process runs each singleton job (the billing calendar, the outbox, …), and until when. A
 * process takes or renews a lease in one statement; once it has expired, any process may take it.
 */
export const jobLeases = sqliteTable("job_leases", {
  job: text("job").primaryKey(),
  /** The process holding it: "<host>/<pid>/<random>". */
  holder: text("holder").notNull(),
  /** Unix ms; from then on another process may take the job over. */
  expiresAtMs: integer("expires_at_ms").notNull(),
});
