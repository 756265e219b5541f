CREATE TABLE `catalog_loads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`loaded_at_ms` integer NOT NULL,
	`data_json` text NOT NULL,
	`source` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `plan_versions` (
	`plan_id` text NOT NULL,
	`version` integer NOT NULL,
	`terms_json` text NOT NULL,
	`currency` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	PRIMARY KEY(`plan_id`, `version`)
);
--> statement-breakpoint
ALTER TABLE `accounts` ADD `plan_version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `quotes` ADD `to_plan_version` integer DEFAULT 1 NOT NULL;