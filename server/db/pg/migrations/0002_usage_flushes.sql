CREATE TABLE "usage_flushes" (
	"batch_id" text PRIMARY KEY NOT NULL,
	"flushed_at_ms" bigint NOT NULL
);
