CREATE TABLE `sequences` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `job_leases` (
	`job` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at_ms` integer NOT NULL
);
--> statement-breakpoint
-- Invoice numbers continue after the highest one already issued (they were count(*) + 1 before).
INSERT INTO `sequences` (`name`, `value`) SELECT 'invoice_number', COALESCE(MAX(CAST(SUBSTR(`number`, 4) AS INTEGER)), 0) FROM `invoices` WHERE `number` LIKE 'HR-%';
