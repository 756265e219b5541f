import { formatMoney } from "../../../../shared/money";
import { formatCount } from "../../../lib/format";
import { changeStatusLabel, formatDateTimeUtc } from "../lib/format";

export { actorInWords } from "../lib/actor-words";

/** What wording needs to know: plan names, and account names where the page has them. */
export interface AuditWordsContext {
  planName: (planId: string) => string;
  accountName?: (accountId: string) => string | undefined;
}

export interface AuditEntryLike {
  actor: string;
  action: string;
  accountId: string | null;
  details: Record<string, unknown>;
}

/** An audit entry in words: one sentence, then the facts behind it ("Amount due now: $16.30"). */
export interface AuditWords {
  sentence: string;
  facts: string[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** An enforcement mode in words; `the plan's (enforce)` and `per account` are already words. */
function modeWords(v: unknown): string {
  const mode = str(v) ?? "unknown";
  const named: Record<string, string> = { off: "off", shadow: "shadow", enforce: "enforce" };
  return named[mode] ?? mode;
}

/**
 * One audit entry in words. Every action the server records has a sentence; an action this client
 * does not know yet still reads as its code with its details listed, so nothing is hidden.
 */
export function describeAuditEntry(entry: AuditEntryLike, ctx: AuditWordsContext): AuditWords {
  const d = entry.details;
  const account = entry.accountId ? (ctx.accountName?.(entry.accountId) ?? entry.accountId) : undefined;
  const currency = str(d.currency) ?? "USD";
  const money = (minor: unknown) => (num(minor) !== undefined && Number.isInteger(minor) ? formatMoney(minor as number, currency) : undefined);
  const plan = (id: unknown) => (str(id) ? ctx.planName(id as string) : "an unknown plan");
  const facts: string[] = [];
  const fact = (label: string, value: string | undefined) => {
    if (value !== undefined) facts.push(`${label}: ${value}`);
  };
  const on = account ? ` for ${account}` : "";

  switch (entry.action) {
    case "sign_in": {
      const via = d.via === "admin-token" ? "with the admin token" : "with a one-time link";
      return { sentence: account ? `${account} signed in to the portal ${via}` : `Signed in to the console ${via}`, facts };
    }
    case "key.created":
      fact("Key", [str(d.name) && `“${d.name as string}”`, str(d.prefix) && `${d.prefix as string}…`].filter(Boolean).join(" ") || undefined);
      return { sentence: `Created an API key${on}`, facts };
    case "key.revoked":
      fact("Key", str(d.prefix) && `${d.prefix as string}…`);
      return { sentence: `Revoked an API key${on}`, facts };
    case "plan_change.confirmed": {
      fact("Amount due now", money(d.amountDueNowMinor));
      fact("Status", str(d.status) && changeStatusLabel(d.status as string));
      if (d.kind === "overage_opt_in") return { sentence: `Turned on paid overage${on}`, facts };
      if (d.kind === "overage_opt_out") return { sentence: `Turned off paid overage${on}`, facts };
      return { sentence: `Changed ${account ?? "an account"} from ${plan(d.from)} to ${plan(d.to)}`, facts };
    }
    case "plan_change.cancelled":
      return { sentence: `Cancelled a waiting plan change${on}`, facts };
    case "approval.decided": {
      const verdict = d.approve === true ? "Approved" : "Denied";
      fact("Outcome", str(d.status) && changeStatusLabel(d.status as string));
      fact("Reason", str(d.reason));
      return { sentence: `${verdict} a plan change over the billing cap${on}`, facts };
    }
    case "enforcement.changed": {
      const cohort = Array.isArray(d.cohort) ? d.cohort.length : 0;
      const target = cohort > 0 ? `${plural(cohort, "account")} on ${plan(d.planId)}` : plan(d.planId);
      fact("Accounts affected", num(d.accounts) !== undefined ? formatCount(d.accounts as number) : undefined);
      return { sentence: `Changed enforcement of ${target} from ${modeWords(d.from)} to ${modeWords(d.to)}`, facts };
    }
    case "grandfathering.set": {
      const until = num(d.untilMs);
      return { sentence: until === undefined ? `Ended grandfathering${on}` : `Grandfathered ${account ?? "an account"} until ${formatDateTimeUtc(until)}`, facts };
    }
    case "plan_terms.offered":
      fact("Accounts told", num(d.told) !== undefined ? `${formatCount(d.told as number)} of ${formatCount(num(d.accounts) ?? 0)}` : undefined);
      return { sentence: `Offered ${plan(d.planId)}'s current terms (v${String(d.toVersion ?? "?")}) to accounts on v${String(d.fromVersion ?? "?")}`, facts };
    case "billing.paused":
    case "billing.resumed": {
      const subs = d.subscriptions as { done?: unknown; failed?: unknown } | undefined;
      fact("Invoices collected", num(d.collected) !== undefined ? formatCount(d.collected as number) : undefined);
      fact("Subscriptions updated", num(subs?.done) !== undefined ? formatCount(subs?.done as number) : undefined);
      if (Array.isArray(subs?.failed) && subs.failed.length > 0) fact("Subscriptions that failed", subs.failed.map(String).join(", "));
      return { sentence: entry.action === "billing.paused" ? "Paused billing for every account" : "Resumed billing", facts };
    }
    case "refund.issued":
      fact("Reason", str(d.reason));
      fact("Stripe refund", str(d.stripeRefund));
      return { sentence: `Refunded ${money(d.amountMinor) ?? "an amount"} on invoice ${str(d.invoice) ?? "?"}${on}`, facts };
    case "anomaly.acknowledged":
      return { sentence: "Acknowledged a bill anomaly", facts };
    case "support.replied":
      fact("Answered after", num(d.responseMinutes) !== undefined ? plural(d.responseMinutes as number, "minute") : undefined);
      return { sentence: `Replied to a support request${on}`, facts };
    case "experiment.created":
      return { sentence: `Created the pricing experiment${str(d.name) ? ` “${d.name as string}”` : ""}`, facts };
    case "experiment.edited":
      fact("Changed", Array.isArray(d.changed) ? d.changed.map(String).join(", ") : undefined);
      return { sentence: "Edited the pricing experiment before it started", facts };
    case "experiment.ended":
      return { sentence: "Ended the pricing experiment", facts };
    case "experiment.opt_out_offered":
      fact("Accounts told", num(d.told) !== undefined ? formatCount(d.told as number) : undefined);
      return { sentence: `Offered ${plural(num(d.accounts) ?? 0, "account")} in the experiment a way out`, facts };
    case "experiment.rollback":
      return { sentence: `Rolled back the pricing experiment (${str(d.action)?.replace(/_/g, " ") ?? "?"}) for ${plural(num(d.accounts) ?? 0, "account")}`, facts };
    case "stripe.plan_changed":
      return { sentence: `Stripe moved ${account ?? "an account"} from ${plan(d.from)} to ${plan(d.to)}`, facts };
    case "stripe.linked":
      fact("Stripe customer", str(d.customer));
      return { sentence: `Linked ${account ?? "an account"} to a Stripe customer`, facts };
    case "stripe.pending_update_expired":
      return { sentence: `A Stripe payment for the switch to ${plan(d.toPlanId)} expired${on}`, facts };
    default:
      for (const [k, v] of Object.entries(d)) if (k !== "currency") fact(k, typeof v === "string" ? v : JSON.stringify(v));
      return { sentence: entry.action, facts };
  }
}
