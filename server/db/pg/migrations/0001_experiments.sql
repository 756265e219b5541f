CREATE TABLE "experiment_events" (
	"id" text PRIMARY KEY NOT NULL,
	"experiment_id" text NOT NULL,
	"at_ms" bigint NOT NULL,
	"actor" text NOT NULL,
	"kind" text NOT NULL,
	"details_json" text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "experiments" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"hypothesis" text NOT NULL,
	"start_ms" bigint NOT NULL,
	"duration_days" integer NOT NULL,
	"cohort_kind" text NOT NULL,
	"cohort_account_ids_json" text DEFAULT '[]' NOT NULL,
	"cohort_name" text DEFAULT '' NOT NULL,
	"min_sample" integer NOT NULL,
	"target_sample" integer NOT NULL,
	"confidence_pct" integer NOT NULL,
	"criteria_json" text NOT NULL,
	"phases_json" text DEFAULT '[]' NOT NULL,
	"active" integer,
	"created_at_ms" bigint NOT NULL,
	"created_by" text NOT NULL,
	"updated_at_ms" bigint NOT NULL,
	"ended_at_ms" bigint,
	CONSTRAINT "experiments_active_unique" UNIQUE("active")
);
--> statement-breakpoint
ALTER TABLE "experiment_events" ADD CONSTRAINT "experiment_events_experiment_id_experiments_id_fk" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "experiment_events_experiment_idx" ON "experiment_events" USING btree ("experiment_id","at_ms");