ALTER TABLE `accounts` ADD `billing_interval` text DEFAULT 'month' NOT NULL;--> statement-breakpoint
ALTER TABLE `quotes` ADD `from_interval` text DEFAULT 'month' NOT NULL;--> statement-breakpoint
ALTER TABLE `quotes` ADD `to_interval` text DEFAULT 'month' NOT NULL;