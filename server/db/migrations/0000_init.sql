CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`plan_id` text NOT NULL,
	`currency` text DEFAULT 'USD' NOT NULL,
	`billing_anchor_ms` integer NOT NULL,
	`enforcement_override` text,
	`cap_overrides_json` text,
	`created_at_ms` integer NOT NULL,
	CONSTRAINT "accounts_email_lower" CHECK("accounts"."email" = lower("accounts"."email"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_email_unique` ON `accounts` (`email`);--> statement-breakpoint
CREATE INDEX `accounts_plan_idx` ON `accounts` (`plan_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`account_id` text,
	`return_url` text,
	`created_at_ms` integer NOT NULL,
	`last_seen_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sessions_account_idx` ON `sessions` (`account_id`);--> statement-breakpoint
CREATE TABLE `sign_in_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`role` text NOT NULL,
	`account_id` text,
	`return_url` text,
	`created_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL,
	`used_at_ms` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sign_in_tokens_token_hash_unique` ON `sign_in_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `sign_in_tokens_expires_idx` ON `sign_in_tokens` (`expires_at_ms`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`last_used_at_ms` integer,
	`revoked_at_ms` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_account_idx` ON `api_keys` (`account_id`);--> statement-breakpoint
CREATE TABLE `usage_day` (
	`day_ms` integer NOT NULL,
	`account_id` text NOT NULL,
	`allowed` integer DEFAULT 0 NOT NULL,
	`would_throttle` integer DEFAULT 0 NOT NULL,
	`throttled` integer DEFAULT 0 NOT NULL,
	`ceiling` integer DEFAULT 0 NOT NULL,
	`peak_minute` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`account_id`, `day_ms`)
);
--> statement-breakpoint
CREATE TABLE `usage_minute` (
	`minute_ms` integer NOT NULL,
	`key_id` text NOT NULL,
	`account_id` text NOT NULL,
	`allowed` integer DEFAULT 0 NOT NULL,
	`would_throttle` integer DEFAULT 0 NOT NULL,
	`throttled` integer DEFAULT 0 NOT NULL,
	`ceiling` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`minute_ms`, `key_id`)
);
--> statement-breakpoint
CREATE INDEX `usage_minute_account_idx` ON `usage_minute` (`account_id`,`minute_ms`);