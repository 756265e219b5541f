import { bigint, index, integer, pgTable, text } from "drizzle-orm/pg-core";

/** PostgreSQL twin of `server/db/schema/experiments.ts`. */
export const experiments = pgTable("experiments", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  hypothesis: text("hypothesis").notNull(),
  startMs: bigint("start_ms", { mode: "number" }).notNull(),
  durationDays: integer("duration_days").notNull(),
  cohortKind: text("cohort_kind", { enum: ["all", "accounts"] }).notNull(),
  cohortAccountIdsJson: text("cohort_account_ids_json").notNull().default("[]"),
  cohortName: text("cohort_name").notNull().default(""),
  minSample: integer("min_sample").notNull(),
  targetSample: integer("target_sample").notNull(),
  confidencePct: integer("confidence_pct").notNull(),
  criteriaJson: text("criteria_json").notNull(),
  phasesJson: text("phases_json").notNull().default("[]"),
  active: integer("active").unique(),
  createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
  createdBy: text("created_by").notNull(),
  updatedAtMs: bigint("updated_at_ms", { mode: "number" }).notNull(),
  endedAtMs: bigint("ended_at_ms", { mode: "number" }),
});

export const experimentEvents = pgTable(
  "experiment_events",
  {
    id: text("id").primaryKey(),
    experimentId: text("experiment_id")
      .notNull()
      .references(() => experiments.id),
    atMs: bigint("at_ms", { mode: "number" }).notNull(),
    actor: text("actor").notNull(),
    kind: text("kind").notNull(),
    detailsJson: text("details_json").notNull().default("{}"),
  },
  (t) => [index("experiment_events_experiment_idx").on(t.experimentId, t.atMs)],
);
