CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`plan_id` text NOT NULL,
	`currency` text DEFAULT 'USD' NOT NULL,
	`billing_anchor_ms` integer NOT NULL,
	`enforcement_override` text,
	`cap_overrides_json` text,
	`grandfathered_until_ms` integer,
	`overage_opt_in` integer DEFAULT false NOT NULL,
	`stripe_customer_id` text,
	`stripe_subscription_id` text,
	`created_at_ms` integer NOT NULL,
	CONSTRAINT "accounts_email_lower" CHECK("accounts"."email" = lower("accounts"."email"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_email_unique` ON `accounts` (`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_stripe_customer_id_unique` ON `accounts` (`stripe_customer_id`);--> statement-breakpoint
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
CREATE TABLE `anomalies` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`invoice_id` text NOT NULL,
	`previous_total_minor` integer NOT NULL,
	`total_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`acknowledged_at_ms` integer,
	`acknowledged_by` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "anomalies_ratio" CHECK("anomalies"."total_minor" > 2 * "anomalies"."previous_total_minor")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `anomalies_invoice_id_unique` ON `anomalies` (`invoice_id`);--> statement-breakpoint
CREATE TABLE `approval_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`plan_change_id` text NOT NULL,
	`account_id` text NOT NULL,
	`projected_monthly_minor` integer NOT NULL,
	`billing_cap_minor` integer NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`decided_by` text,
	`decided_at_ms` integer,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`plan_change_id`) REFERENCES `plan_changes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `approval_requests_plan_change_id_unique` ON `approval_requests` (`plan_change_id`);--> statement-breakpoint
CREATE INDEX `approval_requests_status_idx` ON `approval_requests` (`status`,`created_at_ms`);--> statement-breakpoint
CREATE TABLE `consents` (
	`id` text PRIMARY KEY NOT NULL,
	`quote_id` text NOT NULL,
	`account_id` text NOT NULL,
	`signed_in_as` text NOT NULL,
	`ip` text,
	`user_agent` text,
	`text_shown` text NOT NULL,
	`amount_due_now_minor` integer NOT NULL,
	`recurring_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`quote_id`) REFERENCES `quotes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `consents_quote_id_unique` ON `consents` (`quote_id`);--> statement-breakpoint
CREATE INDEX `consents_account_idx` ON `consents` (`account_id`,`created_at_ms`);--> statement-breakpoint
CREATE TABLE `invoice_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_id` text NOT NULL,
	`kind` text NOT NULL,
	`description` text NOT NULL,
	`quantity` integer DEFAULT 1 NOT NULL,
	`amount_minor` integer NOT NULL,
	`period_start_ms` integer,
	`period_end_ms` integer,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invoice_lines_invoice_idx` ON `invoice_lines` (`invoice_id`);--> statement-breakpoint
CREATE TABLE `invoices` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`number` text NOT NULL,
	`kind` text NOT NULL,
	`period_start_ms` integer NOT NULL,
	`period_end_ms` integer NOT NULL,
	`total_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`stripe_invoice_id` text,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_number_unique` ON `invoices` (`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_dedupe_key_unique` ON `invoices` (`dedupe_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_stripe_invoice_id_unique` ON `invoices` (`stripe_invoice_id`);--> statement-breakpoint
CREATE INDEX `invoices_account_idx` ON `invoices` (`account_id`,`created_at_ms`);--> statement-breakpoint
CREATE TABLE `plan_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`quote_id` text NOT NULL,
	`consent_id` text NOT NULL,
	`kind` text NOT NULL,
	`from_plan_id` text NOT NULL,
	`to_plan_id` text NOT NULL,
	`status` text NOT NULL,
	`effective_at_ms` integer NOT NULL,
	`applied_at_ms` integer,
	`invoice_id` text,
	`idempotency_key` text,
	`provider_sent_at_ms` integer,
	`provider_ref` text,
	`checkout_url` text,
	`failure_message` text,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`quote_id`) REFERENCES `quotes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`consent_id`) REFERENCES `consents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `plan_changes_quote_id_unique` ON `plan_changes` (`quote_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `plan_changes_consent_id_unique` ON `plan_changes` (`consent_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `plan_changes_idempotency_key_unique` ON `plan_changes` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `plan_changes_account_idx` ON `plan_changes` (`account_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `plan_changes_due_idx` ON `plan_changes` (`status`,`effective_at_ms`);--> statement-breakpoint
CREATE TABLE `quotes` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`from_plan_id` text NOT NULL,
	`to_plan_id` text NOT NULL,
	`timing` text NOT NULL,
	`proration_at_ms` integer NOT NULL,
	`period_start_ms` integer NOT NULL,
	`period_end_ms` integer NOT NULL,
	`credit_minor` integer NOT NULL,
	`charge_minor` integer NOT NULL,
	`amount_due_now_minor` integer NOT NULL,
	`recurring_minor` integer NOT NULL,
	`recurring_from_ms` integer NOT NULL,
	`effective_at_ms` integer NOT NULL,
	`projected_monthly_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`consent_text` text NOT NULL,
	`lines_json` text NOT NULL,
	`account_fingerprint` text NOT NULL,
	`catalog_fingerprint` text NOT NULL,
	`ends_grandfathering` integer DEFAULT false NOT NULL,
	`priced_by` text DEFAULT 'local' NOT NULL,
	`stripe_subscription_id` text,
	`stripe_items_json` text,
	`stripe_proration_behavior` text,
	`created_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `quotes_account_idx` ON `quotes` (`account_id`,`created_at_ms`);--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`created_ms` integer NOT NULL,
	`processed_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stripe_usage_reports` (
	`identifier` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`event_name` text NOT NULL,
	`minute_ms` integer NOT NULL,
	`seq` integer NOT NULL,
	`value` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at_ms` integer NOT NULL,
	`last_error` text,
	`sent_at_ms` integer,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `stripe_usage_reports_due_idx` ON `stripe_usage_reports` (`status`,`next_attempt_at_ms`);--> statement-breakpoint
CREATE INDEX `stripe_usage_reports_minute_idx` ON `stripe_usage_reports` (`account_id`,`event_name`,`minute_ms`);--> statement-breakpoint
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
CREATE TABLE `limit_events` (
	`minute_ms` integer NOT NULL,
	`account_id` text NOT NULL,
	`window` text NOT NULL,
	`decision` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`minute_ms`, `account_id`, `window`, `decision`)
);
--> statement-breakpoint
CREATE INDEX `limit_events_account_idx` ON `limit_events` (`account_id`,`minute_ms`);--> statement-breakpoint
CREATE TABLE `metered_ids` (
	`account_id` text NOT NULL,
	`id` text NOT NULL,
	`decision` text NOT NULL,
	`seen_at_ms` integer NOT NULL,
	PRIMARY KEY(`account_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `metered_ids_seen_idx` ON `metered_ids` (`seen_at_ms`);--> statement-breakpoint
CREATE TABLE `notices` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`window` text,
	`period_start_ms` integer NOT NULL,
	`dedupe_key` text NOT NULL,
	`facts_json` text DEFAULT '{}' NOT NULL,
	`created_at_ms` integer NOT NULL,
	`delivered_at_ms` integer,
	`dismissed_at_ms` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notices_dedupe_key_unique` ON `notices` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notices_account_idx` ON `notices` (`account_id`,`created_at_ms`);--> statement-breakpoint
CREATE TABLE `notification_preferences` (
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`email` integer NOT NULL,
	PRIMARY KEY(`account_id`, `kind`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`notice_id` text,
	`account_id` text,
	`channel` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`recipient` text NOT NULL,
	`subject` text,
	`payload_json` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at_ms` integer NOT NULL,
	`last_error` text,
	`created_at_ms` integer NOT NULL,
	`sent_at_ms` integer,
	FOREIGN KEY (`notice_id`) REFERENCES `notices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_dedupe_key_unique` ON `outbox` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `outbox_due_idx` ON `outbox` (`status`,`next_attempt_at_ms`);--> statement-breakpoint
CREATE INDEX `outbox_account_idx` ON `outbox` (`account_id`,`created_at_ms`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`at_ms` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`account_id` text,
	`details_json` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at_ms`);--> statement-breakpoint
CREATE INDEX `audit_log_account_idx` ON `audit_log` (`account_id`,`at_ms`);--> statement-breakpoint
CREATE INDEX `audit_log_action_idx` ON `audit_log` (`action`,`at_ms`);--> statement-breakpoint
CREATE TABLE `plan_settings` (
	`plan_id` text PRIMARY KEY NOT NULL,
	`enforcement` text NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `satisfaction` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`plan_change_id` text NOT NULL,
	`score` integer NOT NULL,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `satisfaction_plan_change_id_unique` ON `satisfaction` (`plan_change_id`);--> statement-breakpoint
CREATE INDEX `satisfaction_at_idx` ON `satisfaction` (`created_at_ms`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `support_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`topic` text NOT NULL,
	`message` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`reply` text,
	`replied_by` text,
	`replied_at_ms` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `support_requests_open_idx` ON `support_requests` (`replied_at_ms`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `support_requests_account_idx` ON `support_requests` (`account_id`,`created_at_ms`);--> statement-breakpoint
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