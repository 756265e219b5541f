CREATE TABLE "accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"plan_id" text NOT NULL,
	"plan_version" integer DEFAULT 1 NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"billing_anchor_ms" bigint NOT NULL,
	"billing_interval" text DEFAULT 'month' NOT NULL,
	"plan_started_at_ms" bigint,
	"enforcement_override" text,
	"cap_overrides_json" text,
	"grandfathered_until_ms" bigint,
	"overage_opt_in" boolean DEFAULT false NOT NULL,
	"stripe_customer_id" text,
	"stripe_subscription_id" text,
	"created_at_ms" bigint NOT NULL,
	CONSTRAINT "accounts_email_unique" UNIQUE("email"),
	CONSTRAINT "accounts_stripe_customer_id_unique" UNIQUE("stripe_customer_id"),
	CONSTRAINT "accounts_email_lower" CHECK ("accounts"."email" = lower("accounts"."email"))
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"account_id" text,
	"return_url" text,
	"created_at_ms" bigint NOT NULL,
	"last_seen_at_ms" bigint NOT NULL,
	"expires_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sign_in_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"role" text NOT NULL,
	"account_id" text,
	"return_url" text,
	"created_at_ms" bigint NOT NULL,
	"expires_at_ms" bigint NOT NULL,
	"used_at_ms" bigint,
	CONSTRAINT "sign_in_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "anomalies" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"invoice_id" text NOT NULL,
	"previous_total_minor" bigint NOT NULL,
	"total_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"created_at_ms" bigint NOT NULL,
	"acknowledged_at_ms" bigint,
	"acknowledged_by" text,
	CONSTRAINT "anomalies_invoice_id_unique" UNIQUE("invoice_id"),
	CONSTRAINT "anomalies_ratio" CHECK ("anomalies"."total_minor" > 2 * "anomalies"."previous_total_minor")
);
--> statement-breakpoint
CREATE TABLE "approval_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"plan_change_id" text NOT NULL,
	"account_id" text NOT NULL,
	"projected_monthly_minor" bigint NOT NULL,
	"billing_cap_minor" bigint NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"decided_by" text,
	"decided_at_ms" bigint,
	"created_at_ms" bigint NOT NULL,
	CONSTRAINT "approval_requests_plan_change_id_unique" UNIQUE("plan_change_id")
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" text PRIMARY KEY NOT NULL,
	"quote_id" text NOT NULL,
	"account_id" text NOT NULL,
	"signed_in_as" text NOT NULL,
	"ip" text,
	"user_agent" text,
	"text_shown" text NOT NULL,
	"overage_opt_in" boolean DEFAULT false NOT NULL,
	"amount_due_now_minor" bigint NOT NULL,
	"recurring_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"created_at_ms" bigint NOT NULL,
	CONSTRAINT "consents_quote_id_unique" UNIQUE("quote_id")
);
--> statement-breakpoint
CREATE TABLE "invoice_lines" (
	"id" text PRIMARY KEY NOT NULL,
	"invoice_id" text NOT NULL,
	"kind" text NOT NULL,
	"description" text NOT NULL,
	"quantity" bigint DEFAULT 1 NOT NULL,
	"amount_minor" bigint NOT NULL,
	"period_start_ms" bigint,
	"period_end_ms" bigint
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"number" text NOT NULL,
	"kind" text NOT NULL,
	"period_start_ms" bigint NOT NULL,
	"period_end_ms" bigint NOT NULL,
	"total_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"stripe_invoice_id" text,
	"created_at_ms" bigint NOT NULL,
	CONSTRAINT "invoices_number_unique" UNIQUE("number"),
	CONSTRAINT "invoices_dedupe_key_unique" UNIQUE("dedupe_key"),
	CONSTRAINT "invoices_stripe_invoice_id_unique" UNIQUE("stripe_invoice_id")
);
--> statement-breakpoint
CREATE TABLE "plan_changes" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"quote_id" text NOT NULL,
	"consent_id" text NOT NULL,
	"kind" text NOT NULL,
	"from_plan_id" text NOT NULL,
	"to_plan_id" text NOT NULL,
	"status" text NOT NULL,
	"effective_at_ms" bigint NOT NULL,
	"applied_at_ms" bigint,
	"invoice_id" text,
	"idempotency_key" text,
	"provider_sent_at_ms" bigint,
	"provider_ref" text,
	"checkout_url" text,
	"failure_message" text,
	"created_at_ms" bigint NOT NULL,
	"updated_at_ms" bigint NOT NULL,
	CONSTRAINT "plan_changes_quote_id_unique" UNIQUE("quote_id"),
	CONSTRAINT "plan_changes_consent_id_unique" UNIQUE("consent_id"),
	CONSTRAINT "plan_changes_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "quotes" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"kind" text NOT NULL,
	"from_plan_id" text NOT NULL,
	"to_plan_id" text NOT NULL,
	"to_plan_version" integer DEFAULT 1 NOT NULL,
	"from_interval" text DEFAULT 'month' NOT NULL,
	"to_interval" text DEFAULT 'month' NOT NULL,
	"timing" text NOT NULL,
	"proration_at_ms" bigint NOT NULL,
	"period_start_ms" bigint NOT NULL,
	"period_end_ms" bigint NOT NULL,
	"credit_minor" bigint NOT NULL,
	"charge_minor" bigint NOT NULL,
	"amount_due_now_minor" bigint NOT NULL,
	"recurring_minor" bigint NOT NULL,
	"recurring_from_ms" bigint NOT NULL,
	"effective_at_ms" bigint NOT NULL,
	"projected_monthly_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"consent_text" text NOT NULL,
	"overage_consent_text" text,
	"expected_overage_minor" bigint DEFAULT 0 NOT NULL,
	"estimated_monthly_minor" bigint DEFAULT 0 NOT NULL,
	"lines_json" text NOT NULL,
	"account_fingerprint" text NOT NULL,
	"catalog_fingerprint" text NOT NULL,
	"ends_grandfathering" boolean DEFAULT false NOT NULL,
	"priced_by" text DEFAULT 'local' NOT NULL,
	"stripe_subscription_id" text,
	"stripe_items_json" text,
	"stripe_proration_behavior" text,
	"created_at_ms" bigint NOT NULL,
	"expires_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sequences" (
	"name" text PRIMARY KEY NOT NULL,
	"value" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stripe_events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"created_ms" bigint NOT NULL,
	"processed_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stripe_usage_reports" (
	"identifier" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"event_name" text NOT NULL,
	"minute_ms" bigint NOT NULL,
	"seq" integer NOT NULL,
	"value" bigint NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at_ms" bigint NOT NULL,
	"last_error" text,
	"sent_at_ms" bigint,
	"created_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_leases" (
	"job" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at_ms" bigint NOT NULL,
	"last_used_at_ms" bigint,
	"revoked_at_ms" bigint,
	CONSTRAINT "api_keys_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "limit_events" (
	"minute_ms" bigint NOT NULL,
	"account_id" text NOT NULL,
	"meter" text DEFAULT '' NOT NULL,
	"window" text NOT NULL,
	"decision" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "limit_events_minute_ms_account_id_meter_window_decision_pk" PRIMARY KEY("minute_ms","account_id","meter","window","decision")
);
--> statement-breakpoint
CREATE TABLE "metered_ids" (
	"account_id" text NOT NULL,
	"meter" text DEFAULT '' NOT NULL,
	"id" text NOT NULL,
	"decision" text NOT NULL,
	"seen_at_ms" bigint NOT NULL,
	CONSTRAINT "metered_ids_account_id_meter_id_pk" PRIMARY KEY("account_id","meter","id")
);
--> statement-breakpoint
CREATE TABLE "notices" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"kind" text NOT NULL,
	"window" text,
	"meter" text DEFAULT '' NOT NULL,
	"period_start_ms" bigint NOT NULL,
	"dedupe_key" text NOT NULL,
	"facts_json" text DEFAULT '{}' NOT NULL,
	"created_at_ms" bigint NOT NULL,
	"delivered_at_ms" bigint,
	"dismissed_at_ms" bigint,
	CONSTRAINT "notices_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "notification_preferences" (
	"account_id" text NOT NULL,
	"kind" text NOT NULL,
	"email" boolean NOT NULL,
	CONSTRAINT "notification_preferences_account_id_kind_pk" PRIMARY KEY("account_id","kind")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"notice_id" text,
	"account_id" text,
	"channel" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"recipient" text NOT NULL,
	"subject" text,
	"payload_json" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at_ms" bigint NOT NULL,
	"last_error" text,
	"created_at_ms" bigint NOT NULL,
	"sent_at_ms" bigint,
	CONSTRAINT "outbox_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"at_ms" bigint NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"account_id" text,
	"details_json" text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plan_settings" (
	"plan_id" text PRIMARY KEY NOT NULL,
	"enforcement" text NOT NULL,
	"updated_at_ms" bigint NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "satisfaction" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"plan_change_id" text NOT NULL,
	"score" integer NOT NULL,
	"created_at_ms" bigint NOT NULL,
	CONSTRAINT "satisfaction_plan_change_id_unique" UNIQUE("plan_change_id")
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"topic" text NOT NULL,
	"message" text NOT NULL,
	"created_at_ms" bigint NOT NULL,
	"reply" text,
	"replied_by" text,
	"replied_at_ms" bigint
);
--> statement-breakpoint
CREATE TABLE "usage_day" (
	"day_ms" bigint NOT NULL,
	"account_id" text NOT NULL,
	"meter" text DEFAULT '' NOT NULL,
	"allowed" bigint DEFAULT 0 NOT NULL,
	"would_throttle" bigint DEFAULT 0 NOT NULL,
	"throttled" bigint DEFAULT 0 NOT NULL,
	"ceiling" bigint DEFAULT 0 NOT NULL,
	"peak_minute" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_day_account_id_meter_day_ms_pk" PRIMARY KEY("account_id","meter","day_ms")
);
--> statement-breakpoint
CREATE TABLE "usage_minute" (
	"minute_ms" bigint NOT NULL,
	"key_id" text NOT NULL,
	"account_id" text NOT NULL,
	"meter" text DEFAULT '' NOT NULL,
	"allowed" bigint DEFAULT 0 NOT NULL,
	"would_throttle" bigint DEFAULT 0 NOT NULL,
	"throttled" bigint DEFAULT 0 NOT NULL,
	"ceiling" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_minute_minute_ms_key_id_meter_pk" PRIMARY KEY("minute_ms","key_id","meter")
);
--> statement-breakpoint
CREATE TABLE "catalog_loads" (
	"id" integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY (sequence name "catalog_loads_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"loaded_at_ms" bigint NOT NULL,
	"data_json" text NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plan_versions" (
	"plan_id" text NOT NULL,
	"version" integer NOT NULL,
	"terms_json" text NOT NULL,
	"currency" text NOT NULL,
	"created_at_ms" bigint NOT NULL,
	CONSTRAINT "plan_versions_plan_id_version_pk" PRIMARY KEY("plan_id","version")
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sign_in_tokens" ADD CONSTRAINT "sign_in_tokens_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approval_requests" ADD CONSTRAINT "approval_requests_plan_change_id_plan_changes_id_fk" FOREIGN KEY ("plan_change_id") REFERENCES "plan_changes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approval_requests" ADD CONSTRAINT "approval_requests_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_quote_id_quotes_id_fk" FOREIGN KEY ("quote_id") REFERENCES "quotes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_changes" ADD CONSTRAINT "plan_changes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_changes" ADD CONSTRAINT "plan_changes_quote_id_quotes_id_fk" FOREIGN KEY ("quote_id") REFERENCES "quotes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_changes" ADD CONSTRAINT "plan_changes_consent_id_consents_id_fk" FOREIGN KEY ("consent_id") REFERENCES "consents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quotes" ADD CONSTRAINT "quotes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stripe_usage_reports" ADD CONSTRAINT "stripe_usage_reports_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_preferences" ADD CONSTRAINT "notification_preferences_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_notice_id_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction" ADD CONSTRAINT "satisfaction_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_requests" ADD CONSTRAINT "support_requests_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accounts_plan_idx" ON "accounts" USING btree ("plan_id");--> statement-breakpoint
CREATE INDEX "sessions_account_idx" ON "sessions" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "sign_in_tokens_expires_idx" ON "sign_in_tokens" USING btree ("expires_at_ms");--> statement-breakpoint
CREATE INDEX "approval_requests_status_idx" ON "approval_requests" USING btree ("status","created_at_ms");--> statement-breakpoint
CREATE INDEX "consents_account_idx" ON "consents" USING btree ("account_id","created_at_ms");--> statement-breakpoint
CREATE INDEX "invoice_lines_invoice_idx" ON "invoice_lines" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "invoices_account_idx" ON "invoices" USING btree ("account_id","created_at_ms");--> statement-breakpoint
CREATE INDEX "plan_changes_account_idx" ON "plan_changes" USING btree ("account_id","created_at_ms");--> statement-breakpoint
CREATE INDEX "plan_changes_due_idx" ON "plan_changes" USING btree ("status","effective_at_ms");--> statement-breakpoint
CREATE UNIQUE INDEX "plan_changes_one_open_idx" ON "plan_changes" USING btree ("account_id") WHERE "plan_changes"."kind" = 'plan_change' and "plan_changes"."status" in ('scheduled', 'pending_approval', 'applying', 'payment_required', 'payment_pending');--> statement-breakpoint
CREATE INDEX "quotes_account_idx" ON "quotes" USING btree ("account_id","created_at_ms");--> statement-breakpoint
CREATE INDEX "stripe_usage_reports_due_idx" ON "stripe_usage_reports" USING btree ("status","next_attempt_at_ms");--> statement-breakpoint
CREATE INDEX "stripe_usage_reports_minute_idx" ON "stripe_usage_reports" USING btree ("account_id","event_name","minute_ms");--> statement-breakpoint
CREATE INDEX "api_keys_account_idx" ON "api_keys" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "limit_events_account_idx" ON "limit_events" USING btree ("account_id","minute_ms");--> statement-breakpoint
CREATE INDEX "metered_ids_seen_idx" ON "metered_ids" USING btree ("seen_at_ms");--> statement-breakpoint
CREATE INDEX "notices_account_idx" ON "notices" USING btree ("account_id","created_at_ms");--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "outbox" USING btree ("status","next_attempt_at_ms");--> statement-breakpoint
CREATE INDEX "outbox_account_idx" ON "outbox" USING btree ("account_id","created_at_ms");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at_ms");--> statement-breakpoint
CREATE INDEX "audit_log_account_idx" ON "audit_log" USING btree ("account_id","at_ms");--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "audit_log" USING btree ("action","at_ms");--> statement-breakpoint
CREATE INDEX "satisfaction_at_idx" ON "satisfaction" USING btree ("created_at_ms");--> statement-breakpoint
CREATE INDEX "support_requests_open_idx" ON "support_requests" USING btree ("replied_at_ms","created_at_ms");--> statement-breakpoint
CREATE INDEX "support_requests_account_idx" ON "support_requests" USING btree ("account_id","created_at_ms");--> statement-breakpoint
CREATE INDEX "usage_minute_account_idx" ON "usage_minute" USING btree ("account_id","meter","minute_ms");--> statement-breakpoint
-- As SQLite's 0002_side_by_side: a new database holds the invoice-number sequence at 0, so both dialects start with the same rows.
INSERT INTO "sequences" ("name", "value") VALUES ('invoice_number', 0);
