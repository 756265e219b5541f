import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Increments for a prom-client counter, kept as plain numbers and folded in when the registry is
 * scraped (the counter's collect()). The hot paths count every call; a Map lookup and an addition
 * cost far less than prom-client's per-call label hashing.
 */
export class Tally<L extends string> {
  private readonly pending = new Map<string, { labels: Record<L, string>; n: number }>();

  /** `key` must identify `labels` (e.g. their values joined). */
  add(key: string, labels: Record<L, string>, n = 1): void {
    const p = this.pending.get(key);
    if (p) p.n += n;
    else this.pending.set(key, { labels, n });
  }

  /** Moves what was counted into the counter. */
  drainInto(counter: Counter<L>): void {
    for (const p of this.pending.values()) if (p.n) counter.inc(p.labels, p.n);
    for (const p of this.pending.values()) p.n = 0;
  }
}

/** One in this many decisions is timed for headroom_decision_seconds (a sample: timing every call costs more than the decision). */
export const DECISION_TIMING_SAMPLE = 16;

/** One in this many requests to /v1/check and /v1/events is timed for headroom_metering_request_seconds. */
export const METERING_REQUEST_TIMING_SAMPLE = 16;

/**
 * Prometheus metrics of one server process (GET /metrics with the server token). Counters are
 * incremented where things happen; gauges that reflect stored state are read on scrape.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Counted per call in `decisionTally`; folded in on scrape. */
  readonly decisionTally = new Tally<"decision" | "plan">();
  readonly decisions: Counter<"decision" | "plan">;
  readonly decisionSeconds = new Histogram({
    name: "headroom_decision_seconds",
    help: `Time to decide one call in process (key lookup, counters, decision); one call in ${DECISION_TIMING_SAMPLE} is timed.`,
    buckets: [0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.0001, 0.001, 0.01],
    registers: [this.registry],
  });
  readonly flushSeconds = new Histogram({ name: "headroom_meter_flush_seconds", help: "Duration of one meter flush transaction.", buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  readonly flushRows = new Histogram({ name: "headroom_meter_flush_rows", help: "Rollup rows and ids written per flush.", buckets: [1, 10, 100, 1_000, 10_000, 100_000], registers: [this.registry] });
  readonly flushFailures = new Counter({ name: "headroom_meter_flush_failures_total", help: "Flushes that failed (a busy or unreachable database) and were retried.", registers: [this.registry] });
  readonly counterStoreDegraded = new Gauge({
    name: "headroom_counter_store_degraded",
    help: "1 while the shared counter store (Redis) is unreachable and calls are counted in this process, else 0.",
    registers: [this.registry],
  });
  readonly counterStoreFallbackCalls = new Counter({
    name: "headroom_counter_store_fallback_calls_total",
    help: "Calls and event batches counted in this process because the shared counter store (Redis) was unreachable.",
    registers: [this.registry],
  });
  readonly bufferDepth = new Gauge({ name: "headroom_meter_buffer_rows", help: "Rows and ids not written yet: buffered, and the batch a flush is writing or will re-send.", registers: [this.registry] });
  readonly bufferDropped = new Counter({
    name: "headroom_meter_buffer_dropped_total",
    help: "Calls and events answered whose usage (counts, limit events, id) was not kept because the meter's buffer was full (the database unreachable for long).",
    registers: [this.registry],
  });
  readonly notices = new Gauge({ name: "headroom_outbox_messages", help: "Outbox messages by channel and status.", labelNames: ["channel", "status"] as const, registers: [this.registry] });
  readonly providerCalls = new Counter({ name: "headroom_billing_provider_calls_total", help: "Calls to the billing provider by provider and outcome.", labelNames: ["provider", "operation", "outcome"] as const, registers: [this.registry] });
  readonly webhookEvents = new Counter({ name: "headroom_webhook_events_total", help: "Incoming billing webhooks by type and result.", labelNames: ["type", "result"] as const, registers: [this.registry] });
  /** Counted per request in `httpTally`; folded in on scrape. */
  readonly httpTally = new Tally<"route" | "status">();
  readonly httpRequests: Counter<"route" | "status">;
  /** Requests to /v1/check and /v1/events, counted per request in `meteringTally` and folded in on scrape: allowed, fast ones are counted here rather than logged. */
  readonly meteringTally = new Tally<"path" | "status">();
  readonly meteringRequests: Counter<"path" | "status">;
  readonly meteringRequestSeconds = new Histogram({
    name: "headroom_metering_request_seconds",
    help: `Time to answer POST /v1/check and /v1/events, from the request's headers to its answer; one request in ${METERING_REQUEST_TIMING_SAMPLE} is timed.`,
    labelNames: ["path"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor(defaults = true) {
    const decisionTally = this.decisionTally;
    const httpTally = this.httpTally;
    const meteringTally = this.meteringTally;
    this.decisions = new Counter({
      name: "headroom_decisions_total",
      help: "Metering decisions by outcome and plan.",
      labelNames: ["decision", "plan"] as const,
      registers: [this.registry],
      collect() {
        decisionTally.drainInto(this);
      },
    });
    this.httpRequests = new Counter({
      name: "headroom_http_requests_total",
      help: "HTTP requests by route group and status class.",
      labelNames: ["route", "status"] as const,
      registers: [this.registry],
      collect() {
        httpTally.drainInto(this);
      },
    });
    this.meteringRequests = new Counter({
      name: "headroom_metering_requests_total",
      help: "Requests to POST /v1/check and /v1/events by path and status class (whether or not they were logged).",
      labelNames: ["path", "status"] as const,
      registers: [this.registry],
      collect() {
        meteringTally.drainInto(this);
      },
    });
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: "headroom_process_" });
  }
}
