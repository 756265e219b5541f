import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus metrics of one server process (GET /metrics with the server token). Counters are
 * incremented where things happen; gauges that reflect stored state are read on scrape.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly decisions = new Counter({ name: "headroom_decisions_total", help: "Metering decisions by outcome and plan.", labelNames: ["decision", "plan"] as const, registers: [this.registry] });
  readonly decisionSeconds = new Histogram({
    name: "headroom_decision_seconds",
    help: "Time to decide one call in process (key lookup, counters, decision).",
    buckets: [0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.0001, 0.001, 0.01],
    registers: [this.registry],
  });
  readonly flushSeconds = new Histogram({ name: "headroom_meter_flush_seconds", help: "Duration of one meter flush transaction.", buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  readonly flushRows = new Histogram({ name: "headroom_meter_flush_rows", help: "Rollup rows and ids written per flush.", buckets: [1, 10, 100, 1_000, 10_000, 100_000], registers: [this.registry] });
  readonly flushFailures = new Counter({ name: "headroom_meter_flush_failures_total", help: "Flushes that failed (busy database) and were retried.", registers: [this.registry] });
  readonly bufferDepth = new Gauge({ name: "headroom_meter_buffer_rows", help: "Rows and ids waiting for the next flush.", registers: [this.registry] });
  readonly notices = new Gauge({ name: "headroom_outbox_messages", help: "Outbox messages by channel and status.", labelNames: ["channel", "status"] as const, registers: [this.registry] });
  readonly providerCalls = new Counter({ name: "headroom_billing_provider_calls_total", help: "Calls to the billing provider by provider and outcome.", labelNames: ["provider", "operation", "outcome"] as const, registers: [this.registry] });
  readonly webhookEvents = new Counter({ name: "headroom_webhook_events_total", help: "Incoming billing webhooks by type and result.", labelNames: ["type", "result"] as const, registers: [this.registry] });
  readonly httpRequests = new Counter({ name: "headroom_http_requests_total", help: "HTTP requests by route group and status class.", labelNames: ["route", "status"] as const, registers: [this.registry] });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: "headroom_process_" });
  }
}
