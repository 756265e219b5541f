import type { EnforcementMode } from "../../../../shared/plans";
import { formatCount, formatDateTime } from "../../../lib/format";
import type { Readiness } from "../console-data";

/** "about 4,800": a daily average rounded the way a person would say it. */
export function about(n: number): string {
  if (n < 100) return formatCount(n);
  if (n < 1_000) return formatCount(Math.round(n / 10) * 10);
  return formatCount(Math.round(n / 100) * 100);
}

const accounts = (n: number) => (n === 1 ? "1 account" : `${formatCount(n)} accounts`);

/** The target of a flip in words: "Starter", or "2 Starter accounts" for a cohort. */
export function targetName(planName: string, cohortSize: number | null): string {
  return cohortSize === null ? planName : `${cohortSize === 1 ? "1" : formatCount(cohortSize)} ${planName} ${cohortSize === 1 ? "account" : "accounts"}`;
}

/**
 * The one sentence that says what a flip to enforce does now, from the readiness figures:
 * "Enforce Starter: 3 accounts would be refused, about 4,800 calls a day; 1 has been notified,
 * 2 will be notified now and refused no earlier than 28 Nov 2026, 14:05 UTC."
 */
export function enforceSummary(r: Readiness, name: string, nowMs: number): string {
  const refused = r.wouldRefuse.length;
  if (refused === 0) {
    return `Enforce ${name}: no account would be refused now (${r.accounts === 1 ? "its 1 account is" : `its ${accounts(r.accounts)} are`} within every cap this week), about ${about(r.refusedCallsPerDay)} refused calls a day. Accounts that go over a cap later are notified first and refused no earlier than ${r.graceHours} hours after.`;
  }
  const toNotify = refused - r.notified;
  const told = r.notified === 0 ? "none has been notified yet" : r.notified === refused ? `${r.notified === 1 ? "it has" : "all have"} been notified` : `${formatCount(r.notified)} ${r.notified === 1 ? "has" : "have"} been notified`;
  const next = toNotify > 0 ? `, ${formatCount(toNotify)} will be notified now and refused no earlier than ${formatDateTime(nowMs + r.graceHours * 3_600_000, { upcoming: true })}` : "";
  return `Enforce ${name}: ${accounts(refused)} would be refused, about ${about(r.refusedCallsPerDay)} calls a day; ${told}${next}.`;
}

/** What a flip to shadow or off does, in one sentence. */
export function relaxSummary(mode: Exclude<EnforcementMode, "enforce">, name: string, current: EnforcementMode): string {
  if (mode === "shadow") {
    return current === "enforce"
      ? `Switch ${name} to shadow: calls over a cap are served again and counted as “would throttle”; nobody is refused for a cap.`
      : `Switch ${name} to shadow: calls over a cap are still served, and counted as “would throttle” so the audit shows who would be refused.`;
  }
  return `Turn enforcement off for ${name}: calls are only metered; caps are not applied and nothing is counted as over a cap.`;
}
