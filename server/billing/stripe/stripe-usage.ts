import { quotaWindow, termsOnInterval } from "../../../shared/billing-interval";
import { billingPeriodAt } from "../../../shared/limits";
import { billedMeters, type BilledMeter } from "../../../shared/meter-billing";
import { inTransaction } from "../../db/queries/plan-changes";
import { meterColumnOf } from "../../db/queries/usage";
import {
  callsByMinute,
  dueUsageReports,
  lastAppliedAtMs,
  markUsageReport,
  queueUsageReportInTx,
  reportedByMinuteInTx,
  stripeCustomersOf,
  stripeLinkedAccounts,
  usageReportBacklog,
  type AccountRow,
  type UsageReportPatch,
} from "../../db/queries/stripe";
import { ProviderUnavailableError } from "../billing-provider";
import type { BillingContext } from "../billing-context";
import { meterEventName } from "./stripe-catalog";
import { stripeMutation } from "./stripe-client";
import type { StripeBillingProvider } from "./stripe-provider";

const MINUTE_MS = 60_000;

export interface UsageReporterOptions {
  /** How far back usage is compared with what was reported (late events arrive up to 24 h late). */
  lookbackMs?: number;
  /** A minute is reported once it is this old (the meter flushes every 250 ms; events may lag a little). */
  settleMs?: number;
  /** Reports sent per run. */
  batchSize?: number;
  concurrency?: number;
  /** First retry delay after a failed send; doubles per attempt up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface UsageBacklog {
  /** Reports waiting to be sent (new, or retrying after a failure). */
  pending: number;
  /** Reports Stripe refused (4xx); they need an operator. */
  failed: number;
  /** The oldest minute still waiting (unix ms), or null. */
  oldestPendingMinuteMs: number | null;
  lastError: string | null;
}

/** One meter an account's usage is billed on through Stripe: the Stripe meter its events go to, and since when. */
interface BilledStream {
  account: AccountRow;
  /** The meter as the account has it (a yearly quota's cap is the year's allowance). */
  meter: BilledMeter;
  eventName: string;
  sinceMs: number;
}

/** The units of one meter an account is billed for per minute: every unit served (metered) or, for overage, those beyond the quota. */
async function billableByMinute(ctx: BillingContext, { account, meter }: BilledStream, fromMs: number, toMs: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const column = meterColumnOf(ctx.catalog, meter.id);
  if (meter.billing === "metered") {
    for (const r of await callsByMinute(ctx.db, account.id, fromMs, toMs, column)) if (r.n > 0) out.set(r.minuteMs, r.n);
    return out;
  }
  // Overage: the units of each minute that fall beyond the quota, counted from the start of each quota
  // window (the month, or the billing year for a yearly quota, whose cap is then the year's allowance).
  const window = quotaWindow(ctx.catalog.planOf(account), account.billingInterval);
  const cap = meter.terms.caps.month ?? Infinity;
  let period = billingPeriodAt(account.billingAnchorMs, fromMs, window);
  while (period.startMs < toMs) {
    let used = 0;
    for (const r of await callsByMinute(ctx.db, account.id, period.startMs, toMs, column)) {
      if (r.minuteMs >= period.endMs) break;
      const over = Math.max(0, used + r.n - cap) - Math.max(0, used - cap);
      used += r.n;
      if (over > 0 && r.minuteMs >= fromMs) out.set(r.minuteMs, over);
    }
    period = billingPeriodAt(account.billingAnchorMs, period.endMs, window);
  }
  return out;
}

/** The stable identifier of a minute's report: `hr:<calls|overage>:…` for the default meter (as before meters), `hr:<meter>:<calls|overage>:…` for the others. */
function reportIdOf(meter: BilledMeter, accountId: string, minuteMs: number): string {
  const kind = meter.billing === "metered" ? "calls" : "overage";
  return meter.isDefault ? `hr:${kind}:${accountId}:${minuteMs}` : `hr:${meter.id}:${kind}:${accountId}:${minuteMs}`;
}

/**
 * Metered usage to Stripe as billing meter events, from the per-minute rollups, for every meter a
 * plan bills on (each to its own Stripe meter). Each (account, meter, minute) is one event with a
 * stable identifier (`hr:<calls|overage>:<account>:<minute>`, `hr:<meter>:<calls|overage>:…` for a
 * meter other than the default, also the
 * Idempotency-Key), queued in stripe_usage_reports before it is sent: a retry, a crash or a second
 * run sends the same identifier and Stripe counts it once. A minute whose count grew later (late
 * events) gets a correction event with the difference. Failed sends are retried with backoff.
 */
export class StripeUsageReporter {
  private readonly o: Required<UsageReporterOptions>;

  constructor(
    private readonly ctx: BillingContext,
    private readonly provider: StripeBillingProvider,
    opts: UsageReporterOptions = {},
  ) {
    this.o = { lookbackMs: 48 * 3_600_000, settleMs: 2 * MINUTE_MS, batchSize: 200, concurrency: 4, backoffMs: 30_000, maxBackoffMs: 3_600_000, ...opts };
  }

  /** Each meter of each account billed by usage through Stripe now, with the Stripe meter its usage goes to and since when. */
  private async billedStreams(): Promise<BilledStream[]> {
    const out: BilledStream[] = [];
    for (const account of await stripeLinkedAccounts(this.ctx.db)) {
      const plan = this.ctx.catalog.has(account.planId) ? this.ctx.catalog.planOf(account) : undefined;
      if (!account.stripeCustomerId || !account.stripeSubscriptionId || !plan) continue;
      // Overage is billed with the account's opt-in only (one for every meter that has it).
      const meters = billedMeters(this.ctx.catalog, termsOnInterval(plan, account.billingInterval)).filter((m) => m.billing === "metered" || account.overageOptIn);
      if (meters.length === 0) continue;
      // Usage from before the current terms (another plan, overage off) is not billed on these meters.
      const since = Math.floor(((await lastAppliedAtMs(this.ctx.db, account.id)) ?? 0) / MINUTE_MS) * MINUTE_MS;
      for (const meter of meters) out.push({ account, meter, eventName: meterEventName(meter, meter.billing), sinceMs: since });
    }
    return out;
  }

  /** Queues what has not been reported yet; returns the number of reports queued. */
  async enqueue(): Promise<number> {
    const now = this.ctx.clock.now();
    const toMs = Math.floor((now - this.o.settleMs) / MINUTE_MS) * MINUTE_MS;
    let queued = 0;
    for (const stream of await this.billedStreams()) {
      const { account, meter, eventName, sinceMs } = stream;
      const fromMs = Math.max(sinceMs, Math.floor((now - this.o.lookbackMs) / MINUTE_MS) * MINUTE_MS);
      if (fromMs >= toMs) continue;
      const billable = await billableByMinute(this.ctx, stream, fromMs, toMs);
      if (billable.size === 0) continue;
      // What was reported and the corrections queued from it, in one transaction: two runs cannot both queue the same difference.
      queued += await inTransaction(this.ctx.db, function* () {
        const reported = yield* reportedByMinuteInTx(account.id, eventName, fromMs, toMs);
        let n = 0;
        for (const [minuteMs, calls] of billable) {
          const done = reported.get(minuteMs) ?? { sum: 0, n: 0 };
          if (calls <= done.sum) continue;
          const base = reportIdOf(meter, account.id, minuteMs);
          yield* queueUsageReportInTx({ identifier: done.n === 0 ? base : `${base}:${done.n}`, accountId: account.id, eventName, minuteMs, seq: done.n, value: calls - done.sum, nextAttemptAtMs: now, createdAtMs: now });
          n++;
        }
        return n;
      });
    }
    return queued;
  }

  /** Sends the reports that are due; a 429 or an outage stops the run and backs off. */
  async send(): Promise<{ sent: number; retrying: number; failed: number }> {
    const now = this.ctx.clock.now();
    const due = await dueUsageReports(this.ctx.db, now, this.o.batchSize);
    const customers = await stripeCustomersOf(this.ctx.db, [...new Set(due.map((d) => d.accountId))]);
    const counts = { sent: 0, retrying: 0, failed: 0 };
    let stop = false;
    const queue = [...due];
    const worker = async () => {
      while (!stop) {
        const r = queue.shift();
        if (!r) return;
        const customer = customers.get(r.accountId);
        const at = this.ctx.clock.now();
        if (!customer) {
          await this.mark(r.identifier, { status: "failed", lastError: "The account is no longer linked to a Stripe customer." });
          counts.failed++;
          continue;
        }
        try {
          const params = { event_name: r.eventName, payload: { stripe_customer_id: customer, value: String(r.value) }, identifier: r.identifier, timestamp: Math.floor(r.minuteMs / 1000) };
          // Meter events cannot be read back; after a 5xx Stripe saved for the key, the event is sent again
          // under a new key with the same identifier, which Stripe counts once (unique over at least 24 hours).
          await stripeMutation(
            { ...this.provider.retry, attempts: Math.min(2, this.provider.retry.attempts) },
            r.identifier,
            (key) => this.provider.stripe.billing.meterEvents.create(params, { idempotencyKey: key }),
            async () => ({ state: `attempt:${r.attempts}` }),
          );
          await this.mark(r.identifier, { status: "sent", sentAtMs: at, attempts: r.attempts + 1, lastError: null });
          counts.sent++;
        } catch (err) {
          if (err instanceof ProviderUnavailableError) {
            const delay = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** r.attempts);
            await this.mark(r.identifier, { attempts: r.attempts + 1, nextAttemptAtMs: at + delay, lastError: err.cause instanceof Error ? err.cause.message : err.message });
            counts.retrying++;
            // Stripe is down or asks us to slow down (429): the rest waits for the next run.
            stop = true;
          } else {
            await this.mark(r.identifier, { status: "failed", attempts: r.attempts + 1, lastError: err instanceof Error ? err.message : String(err) });
            counts.failed++;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: this.o.concurrency }, worker));
    return counts;
  }

  private async mark(identifier: string, set: UsageReportPatch): Promise<void> {
    // Only a report still pending moves: one another process already settled stays as it is.
    await markUsageReport(this.ctx.db, identifier, set);
  }

  backlog(): Promise<UsageBacklog> {
    return usageBacklog(this.ctx);
  }
}

/** What is still to be sent to Stripe's meters, for operators. */
export function usageBacklog(ctx: Pick<BillingContext, "db">): Promise<UsageBacklog> {
  return usageReportBacklog(ctx.db);
}
