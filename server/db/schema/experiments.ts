import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Pricing experiments: a hypothesis with its criteria, cohort, sample and phases. Editable until
 * its start, then only appended to (experiment_events). At most one is active: `active` is 1 for
 * it and null for ended ones, under a unique index.
 */
export const experiments = sqliteTable("experiments", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  hypothesis: text("hypothesis").notNull(),
  /** Unix ms. */
  startMs: integer("start_ms").notNull(),
  durationDays: integer("duration_days").notNull(),
  /** "all", or "accounts" with cohort_account_ids_json. */
  cohortKind: text("cohort_kind", { enum: ["all", "accounts"] }).notNull(),
  cohortAccountIdsJson: text("cohort_account_ids_json").notNull().default("[]"),
  cohortName: text("cohort_name").notNull().default(""),
  minSample: integer("min_sample").notNull(),
  targetSample: integer("target_sample").notNull(),
  /** Percent: 95 for 95%. */
  confidencePct: integer("confidence_pct").notNull(),
  /** [{ kind, metric, comparison, threshold, afterDays }]; money thresholds in minor units a month, ratios as fractions (0.15), NPS in points. */
  criteriaJson: text("criteria_json").notNull(),
  /** [{ name, startMs, endMs }] */
  phasesJson: text("phases_json").notNull().default("[]"),
  active: integer("active").unique(),
  createdAtMs: integer("created_at_ms").notNull(),
  createdBy: text("created_by").notNull(),
  updatedAtMs: integer("updated_at_ms").notNull(),
  endedAtMs: integer("ended_at_ms"),
});

/** The experiment's trail, append-only: created, edited (before the start), notes, rollback actions, ended. */
export const experimentEvents = sqliteTable(
  "experiment_events",
  {
    id: text("id").primaryKey(),
    experimentId: text("experiment_id")
      .notNull()
      .references(() => experiments.id),
    atMs: integer("at_ms").notNull(),
    actor: text("actor").notNull(),
    kind: text("kind").notNull(),
    detailsJson: text("details_json").notNull().default("{}"),
  },
  (t) => [index("experiment_events_experiment_idx").on(t.experimentId, t.atMs)],
);
