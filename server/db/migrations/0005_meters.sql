PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_usage_minute` (
	`minute_ms` integer NOT NULL,
	`key_id` text NOT NULL,
	`account_id` text NOT NULL,
	`meter` text DEFAULT '' NOT NULL,
	`allowed` integer DEFAULT 0 NOT NULL,
	`would_throttle` integer DEFAULT 0 NOT NULL,
	`throttled` integer DEFAULT 0 NOT NULL,
	`ceiling` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`minute_ms`, `key_id`, `meter`)
);
--> statement-breakpoint
-- Rows written before meters were counted apart keep meter = '', read as the catalog's default meter (see server/db/schema/usage.ts).
INSERT INTO `__new_usage_minute`("minute_ms", "key_id", "account_id", "meter", "allowed", "would_throttle", "throttled", "ceiling") SELECT "minute_ms", "key_id", "account_id", '', "allowed", "would_throttle", "throttled", "ceiling" FROM `usage_minute`;--> statement-breakpoint
DROP TABLE `usage_minute`;--> statement-breakpoint
ALTER TABLE `__new_usage_minute` RENAME TO `usage_minute`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `usage_minute_account_idx` ON `usage_minute` (`account_id`,`meter`,`minute_ms`);--> statement-breakpoint
CREATE TABLE `__new_limit_events` (
	`minute_ms` integer NOT NULL,
	`account_id` text NOT NULL,
	`meter` text DEFAULT '' NOT NULL,
	`window` text NOT NULL,
	`decision` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`minute_ms`, `account_id`, `meter`, `window`, `decision`)
);
--> statement-breakpoint
-- Rows written before meters were counted apart keep meter = '', read as the catalog's default meter (see server/db/schema/usage.ts).
INSERT INTO `__new_limit_events`("minute_ms", "account_id", "meter", "window", "decision", "count") SELECT "minute_ms", "account_id", '', "window", "decision", "count" FROM `limit_events`;--> statement-breakpoint
DROP TABLE `limit_events`;--> statement-breakpoint
ALTER TABLE `__new_limit_events` RENAME TO `limit_events`;--> statement-breakpoint
CREATE INDEX `limit_events_account_idx` ON `limit_events` (`account_id`,`minute_ms`);--> statement-breakpoint
CREATE TABLE `__new_metered_ids` (
	`account_id` text NOT NULL,
	`meter` text DEFAULT '' NOT NULL,
	`id` text NOT NULL,
	`decision` text NOT NULL,
	`seen_at_ms` integer NOT NULL,
	PRIMARY KEY(`account_id`, `meter`, `id`)
);
--> statement-breakpoint
-- Rows written before meters were counted apart keep meter = '', read as the catalog's default meter (see server/db/schema/usage.ts).
INSERT INTO `__new_metered_ids`("account_id", "meter", "id", "decision", "seen_at_ms") SELECT "account_id", '', "id", "decision", "seen_at_ms" FROM `metered_ids`;--> statement-breakpoint
DROP TABLE `metered_ids`;--> statement-breakpoint
ALTER TABLE `__new_metered_ids` RENAME TO `metered_ids`;--> statement-breakpoint
CREATE INDEX `metered_ids_seen_idx` ON `metered_ids` (`seen_at_ms`);--> statement-breakpoint
CREATE TABLE `__new_usage_day` (
	`day_ms` integer NOT NULL,
	`account_id` text NOT NULL,
	`meter` text DEFAULT '' NOT NULL,
	`allowed` integer DEFAULT 0 NOT NULL,
	`would_throttle` integer DEFAULT 0 NOT NULL,
	`throttled` integer DEFAULT 0 NOT NULL,
	`ceiling` integer DEFAULT 0 NOT NULL,
	`peak_minute` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`account_id`, `meter`, `day_ms`)
);
--> statement-breakpoint
-- Rows written before meters were counted apart keep meter = '', read as the catalog's default meter (see server/db/schema/usage.ts).
INSERT INTO `__new_usage_day`("day_ms", "account_id", "meter", "allowed", "would_throttle", "throttled", "ceiling", "peak_minute") SELECT "day_ms", "account_id", '', "allowed", "would_throttle", "throttled", "ceiling", "peak_minute" FROM `usage_day`;--> statement-breakpoint
DROP TABLE `usage_day`;--> statement-breakpoint
ALTER TABLE `__new_usage_day` RENAME TO `usage_day`;--> statement-breakpoint
ALTER TABLE `notices` ADD `meter` text DEFAULT '' NOT NULL;