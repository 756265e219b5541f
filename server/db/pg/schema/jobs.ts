import { bigint, pgTable, text } from "drizzle-orm/pg-core";

/** PostgreSQL twin of `server/db/schema/jobs.ts`. */
export const jobLeases = pgTable("job_leases", {
  job: text("job").primaryKey(),
  holder: text("holder").notNull(),
  expiresAtMs: bigint("expires_at_ms", { mode: "number" }).notNull(),
});
