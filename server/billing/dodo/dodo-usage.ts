import { dueUsageReports, markUsageReport, stripeCustomersOf, type UsageReportPatch, type UsageReportRow } from "../../db/queries/stripe";
import type { BillingContext } from "../billing-context";
import { StripeUsageReporter, type UsageReporterOptions } from "../stripe/stripe-usage";
import type { StripeBillingProvider } from "../stripe/stripe-provider";
import { dodoMessage, isDodoUnavailable } from "./dodo-client";
import type { DodoBillingProvider } from "./dodo-provider";

/** The event property each Dodo meter sums: an event's units, `metadata.value`. */
export const USAGE_VALUE_KEY = "value";

/** Dodo takes at most 1,000 events per ingest request. https://docs.dodopayments.com/api-reference/usage-events/ingest-events */
export const DODO_MAX_EVENTS_PER_REQUEST = 1_000;
/** Dodo takes an event's timestamp within the hour; an older minute (late events) is sent stamped inside that window. */
export const DODO_EVENT_WINDOW_MS = 55 * 60_000;

export interface DodoUsageOptions extends UsageReporterOptions {
  /** Events per ingest request (at most 1,000). */
  eventsPerRequest?: number;
}

/**
 * Metered usage to Dodo as usage events, from the same outbox the Stripe reporter fills (one row per
 * account, meter and minute, with a stable identifier; corrections for minutes that grew later):
 * the identifier is the event's `event_id`, Dodo's dedupe key, so a retry, a crash or a second run
 * sends the same id and Dodo counts it once. Each event carries its units in `metadata.value` (the
 * Dodo meter sums that property) and the meter's event name (`headroom_api_calls`, …). Sent in
 * batches of at most 1,000; failures back off and are retried.
 * https://docs.dodopayments.com/features/usage-based-billing/event-ingestion
 */
export class DodoUsageReporter extends StripeUsageReporter {
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly perRequest: number;

  constructor(
    private readonly billingCtx: BillingContext,
    private readonly dodoProvider: DodoBillingProvider,
    opts: DodoUsageOptions = {},
  ) {
    // The outbox (what is billable per minute, what was queued) is the Stripe reporter's, which reads
    // its provider only when sending; sending is this class's own.
    super(billingCtx, null as unknown as StripeBillingProvider, opts);
    this.backoffMs = opts.backoffMs ?? 30_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 3_600_000;
    this.perRequest = Math.min(DODO_MAX_EVENTS_PER_REQUEST, opts.eventsPerRequest ?? DODO_MAX_EVENTS_PER_REQUEST);
  }

  /** Sends the due reports in batches; an outage stops the run and backs off. */
  override async send(): Promise<{ sent: number; retrying: number; failed: number }> {
    const ctx = this.billingCtx;
    const now = ctx.clock.now();
    const due = await dueUsageReports(ctx.db, now, this.perRequest * 5);
    const customers = await stripeCustomersOf(ctx.db, [...new Set(due.map((d) => d.accountId))]);
    const counts = { sent: 0, retrying: 0, failed: 0 };
    const ready: Array<{ row: UsageReportRow; customer: string }> = [];
    for (const row of due) {
      const customer = customers.get(row.accountId);
      if (customer) ready.push({ row, customer });
      else {
        await this.markReport(row.identifier, { status: "failed", attempts: row.attempts + 1, lastError: "The account is no longer linked to a Dodo customer." });
        counts.failed++;
      }
    }
    for (let i = 0; i < ready.length; i += this.perRequest) {
      const batch = ready.slice(i, i + this.perRequest);
      const at = ctx.clock.now();
      const events = batch.map(({ row, customer }) => ({
        event_id: row.identifier,
        customer_id: customer,
        event_name: row.eventName,
        timestamp: new Date(Math.max(row.minuteMs, at - DODO_EVENT_WINDOW_MS)).toISOString(),
        metadata: { [USAGE_VALUE_KEY]: row.value },
      }));
      try {
        // Safe to retry (by the SDK too): Dodo counts an event_id once.
        await this.dodoProvider.dodo.usageEvents.ingest({ events });
        for (const { row } of batch) await this.markReport(row.identifier, { status: "sent", sentAtMs: at, attempts: row.attempts + 1, lastError: null });
        counts.sent += batch.length;
      } catch (err) {
        if (isDodoUnavailable(err)) {
          for (const { row } of batch) {
            await this.markReport(row.identifier, { attempts: row.attempts + 1, nextAttemptAtMs: at + Math.min(this.maxBackoffMs, this.backoffMs * 2 ** row.attempts), lastError: dodoMessage(err) });
          }
          counts.retrying += batch.length;
          break;
        }
        // Refused: the batch is kept for an operator with Dodo's reason.
        for (const { row } of batch) await this.markReport(row.identifier, { status: "failed", attempts: row.attempts + 1, lastError: `Dodo refused these usage events: ${dodoMessage(err)}` });
        counts.failed += batch.length;
      }
    }
    return counts;
  }

  /** Only a report still pending moves: one another process already settled stays as it is. */
  private async markReport(identifier: string, set: UsageReportPatch): Promise<void> {
    await markUsageReport(this.billingCtx.db, identifier, set);
  }
}
