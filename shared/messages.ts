import type { LimitStatus } from "./limits";
import type { BillingInterval, WindowName } from "./plans";
import { formatMoney } from "./money";
import { describeSwitch, type SwitchAdvice } from "./recommend";

/**
 * The words Headroom says about limits, in one place: the 429 body, the portal, banners and e-mails
 * all use these, so the numbers and the phrasing never disagree.
 */

const fmt = new Intl.NumberFormat("en-US");

const MINUTE_MS = 60_000;
const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * "14:03 UTC" for resets within a day, "26 Nov 2026, 00:00 UTC" beyond. Rounded up to the minute:
 * a reset is never shown earlier than it happens.
 */
export function formatResetUtc(resetAtMs: number, nowMs: number): string {
  const atMs = Math.ceil(resetAtMs / MINUTE_MS) * MINUTE_MS;
  const d = new Date(atMs);
  const hhmm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  if (atMs - nowMs < 20 * 3_600_000 && d.getUTCDate() === new Date(nowMs).getUTCDate()) return `${hhmm} UTC`;
  const date = d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  return `${date}, ${hhmm} UTC`;
}

/** Waits up to this long are said in seconds, with the time to the second. */
const SHORT_WAIT_SECONDS = 120;

/**
 * When a refused call may come back, `waitSeconds` (its Retry-After) after `nowMs`: "in 24 seconds
 * (19:53:24 UTC)" for short waits, "at 14:05 UTC" or "at 26 Nov 2026, 00:01 UTC" beyond. The time
 * is rounded up, so it is never earlier than now + Retry-After.
 */
export function formatRetryUtc(waitSeconds: number, nowMs: number): string {
  const atMs = nowMs + waitSeconds * 1000;
  if (waitSeconds >= SHORT_WAIT_SECONDS) return `at ${formatResetUtc(atMs, nowMs)}`;
  const d = new Date(Math.ceil(atMs / 1000) * 1000);
  const seconds = waitSeconds === 1 ? "1 second" : `${fmt.format(waitSeconds)} seconds`;
  return `in ${seconds} (${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC)`;
}

const WINDOW_PHRASE: Record<WindowName, { made: string; allows: string }> = {
  minute: { made: "in the last minute", allows: "per minute" },
  day: { made: "today (UTC)", allows: "per day" },
  month: { made: "in this billing month", allows: "per billing month" },
};

/** The month window counted over the whole billing year (a yearly quota on a yearly price). */
const YEAR_WINDOW_PHRASE = { made: "in this billing year", allows: "per billing year" };

/** The phrases of a window; the month window says "year" when it spans the billing year. */
function phraseOf(window: WindowName, span?: BillingInterval): { made: string; allows: string } {
  return window === "month" && span === "year" ? YEAR_WINDOW_PHRASE : WINDOW_PHRASE[window];
}

/** "monthly cap", or "yearly cap" for a month window that spans the billing year. */
function capNoun(window: WindowName, span?: BillingInterval): string {
  return window === "month" && span === "year" ? "yearly" : WINDOW_NOUN[window];
}

/**
 * What a meter counts, in words: "calls" with a single meter (as Headroom always said), its unit
 * ("API calls", "MCP tool calls") when the catalog has several and the words must say which.
 */
const unitOf = (unit: string | undefined) => unit ?? "calls";
/** The unit at the start of a sentence: "MCP tool calls are accepted again …". */
const UnitOf = (unit: string | undefined) => {
  const u = unitOf(unit);
  return u.charAt(0).toUpperCase() + u.slice(1);
};

/** "1,000 calls per day": a rate that fits a cap, for "keep under …" ("1,000 MCP tool calls per day" with a meter's unit; "per billing year" for a yearly quota). */
export function describeRate(limit: number, window: WindowName, unit?: string, span?: BillingInterval): string {
  return `${fmt.format(limit)} ${unitOf(unit)} ${phraseOf(window, span).allows}`;
}

/** "You made 268 calls in the last minute; the Starter plan allows 60." ("268 MCP tool calls" with a meter's unit). */
export function describeUsageAgainstCap(status: Pick<LimitStatus, "window" | "used" | "limit" | "span">, planName: string, unit?: string): string {
  const p = phraseOf(status.window, status.span);
  if (status.limit === null) return `You made ${fmt.format(status.used)} ${unitOf(unit)} ${p.made}; the ${planName} plan has no cap ${p.allows}.`;
  return `You made ${fmt.format(status.used)} ${unitOf(unit)} ${p.made}; the ${planName} plan allows ${fmt.format(status.limit)} ${p.allows}.`;
}

/** A refused call against one window: the window's count before the call (a refused call consumes nothing). */
export interface RefusalFacts {
  /** The unit of the meter that refused it, when the catalog has several meters (absent: "calls"). */
  unit?: string;
  window: WindowName;
  limit: number;
  /** Calls counted in the window before this call. */
  used: number;
  /** What this call counts as (≥ 1). */
  cost: number;
  /** Its Retry-After: seconds until a call of this cost fits; null when it never fits (cost above the limit). */
  waitSeconds: number | null;
  /** The month window spans the billing year (a yearly quota); absent = a month. */
  span?: BillingInterval;
}

/** "Calls are accepted again in 24 seconds (19:53:24 UTC)." — "a call of this cost" when it costs more than one. */
function whenAcceptedAgain(f: Pick<RefusalFacts, "cost" | "waitSeconds" | "unit">, nowMs: number): string {
  if (f.waitSeconds === null) return "";
  return ` ${f.cost === 1 ? `${UnitOf(f.unit)} are` : "A call of this cost is"} accepted again ${formatRetryUtc(f.waitSeconds, nowMs)}.`;
}

/**
 * The detail of a 429 for a plan cap, in plain words with the numbers: the window's count before
 * this call, the call's cost when it is above one, and when a call of this cost fits again — or
 * that it never fits this plan's cap.
 */
export function describeCapRefusal(f: RefusalFacts, planName: string, nowMs: number): string {
  if (f.cost === 1) return `${describeUsageAgainstCap(f, planName, f.unit)}${whenAcceptedAgain(f, nowMs)}`;
  const p = phraseOf(f.window, f.span);
  const u = unitOf(f.unit);
  const usage = `This call costs ${fmt.format(f.cost)} ${u}; you have made ${fmt.format(f.used)} ${u} ${p.made} and the ${planName} plan allows ${fmt.format(f.limit)} ${p.allows}.`;
  const cap = f.unit ? `${capNoun(f.window, f.span)} cap for ${f.unit}` : `${capNoun(f.window, f.span)} cap`;
  if (f.cost > f.limit) {
    return `${usage} A call that costs more than ${fmt.format(f.limit)} never fits the ${planName} plan's ${cap}: send it as smaller calls, or choose a plan with a higher cap.`;
  }
  return `${usage} With this call, ${fmt.format(f.used + f.cost)} ${u} would exceed the cap.${whenAcceptedAgain(f, nowMs)}`;
}

/** The detail of a 429 for the per-key safety ceiling: not the plan, and says so. */
export function describeCeilingRefusal(f: Omit<RefusalFacts, "window">, nowMs: number): string {
  const ceiling = `the safety limit of ${fmt.format(f.limit)} calls per minute per key`;
  const notThePlan = "This is a safety limit that protects the service, not your plan's cap, and upgrading does not change it.";
  if (f.cost > f.limit) {
    return `This call costs ${fmt.format(f.cost)} calls, more than ${ceiling}: a call of this cost is never accepted; send it as smaller calls. ${notThePlan}`;
  }
  const made =
    f.cost === 1
      ? `This key made ${fmt.format(f.used)} calls in the last minute; one more would exceed ${ceiling}.`
      : `This call costs ${fmt.format(f.cost)} calls and this key made ${fmt.format(f.used)} calls in the last minute: ${fmt.format(f.used + f.cost)} calls would exceed ${ceiling}.`;
  return `${made} ${notThePlan}${whenAcceptedAgain(f, nowMs)}`;
}

export const CAP_REFUSAL_TITLE = "Plan cap reached";
export const CEILING_REFUSAL_TITLE = "Safety limit reached";

// ---- notices ------------------------------------------------------------------------------

export type CapNoticeKind = "approaching" | "reached" | "sustained" | "enforcement_scheduled";
/** Notices about the account rather than a cap: their words are written when they are raised. */
export type AccountNoticeKind = "plan_changed" | "change_scheduled" | "approval_requested" | "approval_decided" | "anomaly" | "refund" | "terms" | "support_reply" | "payment_failed";
export type NoticeKind = CapNoticeKind | AccountNoticeKind;

export interface AccountNoticeFacts {
  kind: AccountNoticeKind;
  planName: string;
  severity: "info" | "warning";
  title: string;
  text: string;
}

/** The figures a notice is about, frozen when the notice is created. */
export interface NoticeFacts {
  kind: CapNoticeKind;
  planName: string;
  /** The meter whose cap it is about (absent on notices written before meters were counted apart: the default meter). */
  meter?: string;
  /** That meter's unit, when the catalog has several meters: the words name it ("MCP tool calls"); absent, they say "calls". */
  unit?: string;
  window: WindowName | null;
  limit: number | null;
  used: number;
  /** When the window starts over (unix ms). */
  resetAtMs: number | null;
  mode: "off" | "shadow" | "enforce";
  /** Enforce mode: the earliest moment calls over the cap can be refused (notice + grace). */
  refusalsFromMs: number | null;
  /** Sustained: days over a cap among the last 7. */
  daysOver?: number;
  /** The switch offered: the one recommendation (shared/recommend.ts), with its estimated monthly cost. */
  recommended: SwitchAdvice | null;
  /** Calls per window that fit the current plan, for "reduce your traffic". */
  fitsRate: string | null;
  /** The month window spans the billing year (a yearly quota on a yearly price); absent = a month. */
  span?: BillingInterval;
}

export interface NoticeChoice {
  kind: "upgrade" | "reduce" | "contact";
  label: string;
  detail: string;
}

export interface NoticeMessage {
  severity: "info" | "warning" | "critical";
  title: string;
  /** What happened, with the numbers. */
  happened: string;
  /** What happens next, in this mode. */
  next: string;
  choices: NoticeChoice[];
}

const WINDOW_NOUN: Record<WindowName, string> = { minute: "per-minute", day: "daily", month: "monthly" };

/** "28 Nov 2026, 14:00 UTC", to the minute (a past moment: rounded down, as a clock shows it). */
export function formatDateTimeUtc(ms: number): string {
  const d = new Date(ms);
  return `${formatDateUtc(ms)}, ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} UTC`;
}

/** "28 Nov 2026, 14:01 UTC" for a moment still to come: rounded up, never shown earlier than it happens. */
export function formatComingDateTimeUtc(ms: number): string {
  return formatDateTimeUtc(Math.ceil(ms / MINUTE_MS) * MINUTE_MS);
}

/** "1 Dec 2026" in UTC. */
export function formatDateUtc(ms: number): string {
  return new Date(ms).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

/**
 * The words of a notice, one source for the e-mail, the banner, the webhook payload and the portal.
 * Plain and specific: the numbers, what happens next in this mode, and three honest choices.
 */
export function composeNotice(f: NoticeFacts | AccountNoticeFacts): NoticeMessage {
  if (!("window" in f)) return { severity: f.severity, title: f.title, happened: f.text, next: "", choices: [] };
  const forUnit = f.unit ? ` for ${f.unit}` : "";
  const capName = `${f.window ? `${capNoun(f.window, f.span)} cap` : "caps"}${forUnit}`;
  const usage = f.window && f.limit !== null ? describeUsageAgainstCap({ window: f.window, used: f.used, limit: f.limit, span: f.span }, f.planName, f.unit) : "";
  const pct = f.limit ? Math.round((f.used / f.limit) * 100) : 0;

  let severity: NoticeMessage["severity"];
  let title: string;
  let happened: string;
  switch (f.kind) {
    case "approaching":
      severity = "info";
      title = `You have used ${pct}% of your ${f.planName} ${capName}`;
      happened = usage;
      break;
    case "reached":
      severity = "warning";
      title = `You reached your ${f.planName} ${capName}`;
      happened = usage;
      break;
    case "sustained":
      severity = "warning";
      title = `Your traffic has outgrown the ${f.planName} plan`;
      // The figure is the week's peak, not the last minute or today: say so.
      happened =
        f.window && f.limit !== null
          ? `You went over your ${capName} on ${f.daysOver ?? 3} of the last 7 days, with up to ${fmt.format(f.used)} ${unitOf(f.unit)} in a ${f.window === "minute" ? "minute" : f.window === "day" ? "day" : f.span === "year" ? "billing year" : "billing month"}; the ${f.planName} plan allows ${fmt.format(f.limit)} ${phraseOf(f.window, f.span).allows}.`
          : `You went over your ${capName} on ${f.daysOver ?? 3} of the last 7 days.`;
      break;
    case "enforcement_scheduled":
      severity = "critical";
      title = `Your ${f.planName} caps${forUnit} will be enforced from ${f.refusalsFromMs ? formatDateUtc(f.refusalsFromMs) : "soon"}`;
      happened = `Until now, ${unitOf(f.unit)} over your plan's caps were still served. ${usage}`.trim();
      break;
  }

  let next: string;
  if (f.mode === "enforce" && f.refusalsFromMs !== null) {
    const over = f.limit !== null && f.window ? `${fmt.format(f.limit)} ${unitOf(f.unit)} ${phraseOf(f.window, f.span).allows}` : "your plan's caps";
    next = `From ${formatComingDateTimeUtc(f.refusalsFromMs)}, ${unitOf(f.unit)} over ${over} are refused with an error (HTTP 429) until the window resets.`;
  } else if (f.mode === "shadow") {
    next = `Nothing changes yet: ${unitOf(f.unit)} over the cap are still served. You will be told before that changes.`;
  } else if (f.mode === "enforce") {
    next = `${UnitOf(f.unit)} over the cap are refused with an error (HTTP 429) until the window resets.`;
  } else {
    next = `Nothing changes: your ${unitOf(f.unit)} are only counted.`;
  }
  if (f.kind === "approaching" && f.window && f.resetAtMs !== null) next = `This window resets ${formatComingDateTimeUtc(f.resetAtMs)}. ${next}`;

  const choices: NoticeChoice[] = [];
  if (f.recommended) {
    choices.push({
      kind: "upgrade",
      label: `Switch to ${f.recommended.name}`,
      detail: describeSwitch(f.recommended),
    });
  }
  if (f.fitsRate) choices.push({ kind: "reduce", label: "Reduce your traffic", detail: `Stay on ${f.planName} by keeping under ${f.fitsRate}.` });
  choices.push({ kind: "contact", label: "Contact us", detail: "Questions about your plan or your bill? Send us a message from the portal." });
  return { severity, title, happened, next, choices };
}

// ---- plan changes ---------------------------------------------------------------------------

/** What a confirmed change came to, for the notice that tells the customer. */
export interface PlanChangeOutcome {
  kind: "plan_change" | "overage_opt_in" | "overage_opt_out";
  status: string;
  toPlanName: string;
  amountDueNowMinor: number;
  recurringMinor: number;
  recurringFromMs: number;
  effectiveAtMs: number;
  currency: string;
  /** The interval the recurring amount is charged in after the change (absent: monthly). */
  toInterval?: BillingInterval;
  /** The interval before the change: when it differs, the billing date moved to the change. */
  fromInterval?: BillingInterval;
}

/** The notice after a confirmation: applied, scheduled, or waiting for approval. */
export function planChangeNotice(r: PlanChangeOutcome): { kind: "plan_changed" | "change_scheduled" | "approval_requested"; title: string; text: string } {
  const money = (m: number) => formatMoney(m, r.currency);
  if (r.kind !== "plan_change" && r.status === "applied") {
    return r.kind === "overage_opt_in"
      ? { kind: "plan_changed", title: "Overage billing is on", text: "Calls beyond your monthly quota are now served and billed per 1,000 with your monthly invoice, instead of being limited. You can turn this off on the Billing page." }
      : { kind: "plan_changed", title: "Overage billing is off", text: "Calls beyond your monthly quota are limited again; nothing beyond the quota is billed from now on." };
  }
  if (r.status === "applied") {
    const moved = r.toInterval !== undefined && r.fromInterval !== undefined && r.toInterval !== r.fromInterval;
    const billed = moved ? ` You are now billed ${r.toInterval === "year" ? "yearly" : "monthly"}, from today.` : "";
    const next = r.toInterval === "year" ? ` (then every year)` : moved ? " (then every month)" : "";
    return { kind: "plan_changed", title: `You are now on the ${r.toPlanName} plan`, text: `Your new caps apply now. Charged today: ${money(r.amountDueNowMinor)}. Next: ${money(r.recurringMinor)} on ${formatDateUtc(r.recurringFromMs)}${next}.${billed}` };
  }
  if (r.status === "scheduled") {
    return { kind: "change_scheduled", title: `Your switch to ${r.toPlanName} is scheduled`, text: `It takes effect on ${formatDateUtc(r.effectiveAtMs)}. Nothing is charged now; you can cancel it until then on the Billing page.` };
  }
  return {
    kind: "approval_requested",
    title: `Your switch to ${r.toPlanName} is waiting for approval`,
    text: "The new monthly total is above the account's billing cap, so our team approves it first. Nothing is charged until then; you will hear from us.",
  };
}

/** The notice for a waiting change that a new choice replaced. */
export function replacedChangeNotice(waiting: "pending_approval" | "scheduled", planName: string, chosenPlanName: string): { title: string; text: string } {
  const approval = waiting === "pending_approval";
  return {
    title: approval ? `Your request to switch to ${planName} was withdrawn` : `Your scheduled switch to ${planName} was cancelled`,
    text: `You chose the ${chosenPlanName} plan instead, so the ${approval ? "request waiting for approval" : "scheduled switch"} to ${planName} no longer applies. Nothing was charged for it.`,
  };
}

export const switchFailedTitle = (planName: string) => `Your switch to ${planName} did not go through`;

/** Why a confirmation was refused or stopped, in the customer's words. Each says what was (not) charged. */
export const PLAN_CHANGE_REFUSALS = {
  agreementMissing: (what: string) => `Nothing changes without your explicit agreement: tick the box to agree to ${what}.`,
  agreementShape: (what: string) => `The confirmation must carry your agreement to ${what}: { agreed: true, textDigest }.`,
  digestShape: "textDigest must be the SHA-256 (hex) of the words shown.",
  noQuote: "No such quote.",
  expired: "This price preview has expired. Preview the change again to see the current price.",
  termsChanged: "Your plan or the prices changed since this preview. Preview the change again to see the current price.",
  amountsDiffer: "The amounts you accepted are not the ones quoted. Nothing was charged; please review the preview again.",
  wordsDiffer: "The words you agreed to are not this price preview's. Nothing was charged; please review the preview again and agree to what it says.",
  noOverageOffered: "This change offers no overage opt-in to agree to.",
  overageWordsDiffer: "The overage terms you agreed to are not this preview's. Nothing was charged; please review the preview again.",
  stillProcessing: (planName: string) => `Your switch to ${planName} is still being processed. Nothing was charged for this one; wait until that switch is settled (see Billing), then choose again.`,
  cancelScheduledFirst: (planName: string) => `Your scheduled switch to ${planName} must be cancelled first. Nothing was charged.`,
  settledJustNow: (planName: string) => `Your waiting switch to ${planName} was settled just now. Nothing was charged for this one; please preview the change again.`,
  priceChanged: (nowMinor: number, agreedMinor: number, currency: string) =>
    `The price changed since you agreed to it: Stripe now asks ${formatMoney(nowMinor, currency)} now instead of ${formatMoney(agreedMinor, currency)}. Nothing was charged and your plan is unchanged; please preview the change again and confirm the new price.`,
  paused: "Charges are paused by the provider at the moment. Nothing was charged and your plan is unchanged; please try again later.",
  declined: (reason: string) => `The payment was declined: ${reason}. Your plan is unchanged.`,
  paymentMethodNeeded: "A payment method is needed first.",
  alreadySettled: "This change has already been settled.",
  notMade: "The change could not be made. Your plan is unchanged.",
} as const;

/**
 * The notice an account on an older version of its plan gets when the operator offers it the
 * plan's current terms: both versions in the same words, and that nothing changes without consent.
 */
export function newTermsNotice(planName: string, kept: string, current: string): { title: string; text: string } {
  return {
    title: `New terms for the ${planName} plan`,
    text: `The ${planName} plan is now sold at: ${current}. You keep your terms (${kept}) for as long as you stay on the plan; nothing changes unless you choose to take the new terms on your Plans page.`,
  };
}
