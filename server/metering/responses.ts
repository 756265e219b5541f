import type { LimitStatus } from "../../shared/limits";
import { CAP_REFUSAL_TITLE, CEILING_REFUSAL_TITLE, describeCapRefusal, describeCeilingRefusal } from "../../shared/messages";
import type { WindowName } from "../../shared/plans";
import { PROBLEM_BASE, type Problem } from "../http/problem";
import type { CheckResult } from "./meter";
import type { UnknownMeter } from "./meters";

export type CheckOk = Extract<CheckResult, { ok: true }>;

const WINDOW_SECONDS: Record<Exclude<WindowName, "month">, number> = { minute: 60, day: 86_400 };

function windowSeconds(l: LimitStatus, periodSeconds: number): number {
  return l.window === "month" ? periodSeconds : WINDOW_SECONDS[l.window];
}

/**
 * ISO 8601 of an instant, remembered: the reset times of an account's windows repeat from call to
 * call (the next minute, the end of the day and of the period), and formatting a Date is not free.
 */
const isoCache = new Map<number, string>();
export function isoAt(ms: number): string {
  let s = isoCache.get(ms);
  if (s === undefined) {
    if (isoCache.size >= 1024) isoCache.clear();
    isoCache.set(ms, (s = new Date(ms).toISOString()));
  }
  return s;
}

const secondsUntil = (ms: number, nowMs: number) => Math.max(0, Math.ceil((ms - nowMs) / 1000));

/** The limit that binds first: the least remaining; on a tie, the one that takes longer to come back. */
export function bindingLimit(limits: LimitStatus[]): LimitStatus | null {
  let best: LimitStatus | null = null;
  for (const l of limits) {
    if (l.limit === null) continue;
    if (!best || l.remaining! < best.remaining! || (l.remaining === best.remaining && l.resetAtMs > best.resetAtMs)) best = l;
  }
  return best;
}

/**
 * How long a refused call waits, computed once: the RateLimit `t`, Retry-After and the words of the
 * 429 all come from it, so they cannot disagree.
 */
export interface RefusalWait {
  /** The window that admits this call last ("ceiling": the per-key safety limit). */
  window: WindowName | "ceiling";
  limit: number;
  /** Calls counted in the window before this call (a refused call consumes nothing). */
  used: number;
  /** When the window admits a call of this cost again, without jitter (unix ms); its own reset when the cost never fits. */
  resetAtMs: number;
  /** Seconds until resetAtMs, rounded up: RateLimit's `t`. */
  resetSeconds: number;
  /** Retry-After (≥ resetSeconds: long windows add jitter); null when this call's cost never fits the window. */
  retryAfterSeconds: number | null;
  /** A retry of a request id that was refused: the first answer stands, whatever the window holds now. */
  replayed?: boolean;
}

/** The window that refused the call and admits it last: one its cost can never fit, else the latest reset. */
function refusingLimit(r: CheckOk): LimitStatus & { limit: number } {
  const refusedBy = r.limits.filter((l): l is LimitStatus & { limit: number } => l.limit !== null && r.refusing.includes(l.window));
  const never = (l: LimitStatus & { limit: number }) => r.cost > l.limit;
  return refusedBy.reduce((a, b) => (never(a) !== never(b) ? (never(a) ? a : b) : b.resetAtMs > a.resetAtMs ? b : a));
}

/**
 * The wait of a refused call (null when it was served). Long windows get a little jitter on
 * Retry-After so that refused clients do not all come back in the same second.
 */
export function refusalWait(r: CheckOk, nowMs: number, jitter: () => number = Math.random): RefusalWait | null {
  if (r.allowed) return null;
  if (r.decision === "ceiling") {
    const c = r.ceiling;
    const t = secondsUntil(c.resetAtMs, nowMs);
    return { window: "ceiling", limit: c.limit, used: c.used, resetAtMs: c.resetAtMs, resetSeconds: t, retryAfterSeconds: r.cost > c.limit ? null : Math.max(1, t) };
  }
  if (r.duplicate || r.refusing.length === 0) {
    // The same idempotency id again: its first decision (a refusal) is replayed, and no wait would change it.
    const l = bindingLimit(r.limits) ?? r.limits[0]!;
    return { window: l.window, limit: l.limit ?? 0, used: l.used, resetAtMs: l.resetAtMs, resetSeconds: secondsUntil(l.resetAtMs, nowMs), retryAfterSeconds: null, replayed: true };
  }
  const l = refusingLimit(r);
  const t = secondsUntil(l.resetAtMs, nowMs);
  let retryAfterSeconds: number | null = null;
  if (r.cost <= l.limit) {
    const extra = l.window === "minute" ? 0 : Math.floor(jitter() * Math.min(60, t * 0.05));
    retryAfterSeconds = Math.max(1, t + extra);
  }
  return { window: l.window, limit: l.limit, used: l.used, resetAtMs: l.resetAtMs, resetSeconds: t, retryAfterSeconds };
}

/**
 * RateLimit-Policy / RateLimit (IETF httpapi draft, structured fields) for one answer, plus
 * Retry-After when the call was refused (`wait`, from refusalWait) and its cost can fit at all.
 * One policy per capped window of the call's meter, named by the window (`"minute"`) with a single
 * meter and `"<meter>-<window>"` (`"mcp-minute"`) when the catalog has several; the per-key ceiling is
 * `"ceiling"`, or `"<meter>-ceiling"` when each meter has its own.
 */
export function rateLimitHeaders(r: CheckOk, nowMs: number, periodSeconds: number, wait: RefusalWait | null): Record<string, string> {
  const headers: Record<string, string> = {};
  const name = r.meter.policy;
  const capped = r.limits.filter((l) => l.limit !== null);
  const policies = capped.map((l) => `"${name[l.window]}";q=${l.limit};w=${windowSeconds(l, periodSeconds)}`);
  if (wait) {
    if (wait.window === "ceiling") policies.push(`"${name.ceiling}";q=${wait.limit};w=60`);
    // r is what the window really has left: a refused call costing more than one may leave some.
    headers["ratelimit"] = `"${name[wait.window]}";r=${Math.max(0, wait.limit - wait.used)};t=${wait.resetSeconds}`;
    if (wait.retryAfterSeconds !== null) headers["retry-after"] = String(wait.retryAfterSeconds);
  } else {
    const binding = bindingLimit(capped);
    if (binding) headers["ratelimit"] = `"${name[binding.window]}";r=${binding.remaining};t=${secondsUntil(binding.resetAtMs, nowMs)}`;
  }
  if (policies.length) headers["ratelimit-policy"] = policies.join(", ");
  return headers;
}

/**
 * The RFC 9457 body of a refusal, with the numbers in plain words and where to go next; `wait` from
 * refusalWait. It names the meter and the window that refused (`meter`, `window`, and the policy
 * names of the RateLimit headers in `violated-policies`).
 */
export function refusalProblem(r: CheckOk, wait: RefusalWait, nowMs: number, upgradeUrl: string | null, instance?: string): Problem & { type: string } {
  const meter = r.meter;
  const facts = { limit: wait.limit, used: wait.used, cost: r.cost, waitSeconds: wait.retryAfterSeconds, unit: meter.noun };
  if (wait.replayed) {
    return {
      type: `${PROBLEM_BASE}${r.decision === "ceiling" ? "safety-limit" : "quota-exceeded"}`,
      title: r.decision === "ceiling" ? CEILING_REFUSAL_TITLE : CAP_REFUSAL_TITLE,
      status: 429,
      detail: "This request id was already answered: the call was refused, and nothing was counted. A retry with the same id gets the same answer; send the call with a new id to try again.",
      instance,
      duplicate: true,
      meter: meter.id,
      plan: r.plan.id,
      upgradeUrl: r.decision === "ceiling" ? null : upgradeUrl,
    };
  }
  if (wait.window === "ceiling") {
    const perMeter = meter.policy.ceiling !== "ceiling";
    return {
      type: `${PROBLEM_BASE}safety-limit`,
      title: CEILING_REFUSAL_TITLE,
      status: 429,
      // A ceiling shared by every meter counts all the key's calls; one per meter counts the meter's units.
      detail: describeCeilingRefusal(perMeter ? facts : { ...facts, unit: undefined }, nowMs),
      instance,
      meter: meter.id,
      window: "minute",
      limit: wait.limit,
      used: wait.used,
      resetAt: new Date(wait.resetAtMs).toISOString(),
      "violated-policies": [meter.policy.ceiling],
    };
  }
  return {
    type: `${PROBLEM_BASE}quota-exceeded`,
    title: CAP_REFUSAL_TITLE,
    status: 429,
    // A month window that spans the billing year (a yearly quota) says "per billing year".
    detail: describeCapRefusal({ window: wait.window, ...facts, span: r.limits.find((l) => l.window === wait.window)?.span }, r.plan.name, nowMs),
    instance,
    meter: meter.id,
    unit: meter.unit,
    window: wait.window,
    limit: wait.limit,
    used: wait.used,
    resetAt: new Date(wait.resetAtMs).toISOString(),
    plan: r.plan.id,
    upgradeUrl,
    "violated-policies": r.refusing.map((w) => meter.policy[w]),
  };
}

export function upgradeUrlFor(r: CheckOk, baseUrl: string): string | null {
  if (r.decision === "ceiling") return null;
  if (r.recommendedPlanId) return `${baseUrl}/plans/change?to=${encodeURIComponent(r.recommendedPlanId)}`;
  return r.violated.length ? `${baseUrl}/plans` : null;
}

/** The limits as the wire shows them. */
export function wireLimits(limits: LimitStatus[]) {
  return limits.map((l) => ({ window: l.window, limit: l.limit, used: l.used, remaining: l.remaining, resetAt: isoAt(l.resetAtMs) }));
}

/** 400 for a meter the catalog does not declare, naming it and the meters there are: nothing was counted. */
export function unknownMeterProblem(u: UnknownMeter, instance?: string, where?: string): Problem {
  const known = u.meters.map((m) => `"${m.id}" (${m.unit})`);
  const list = known.length === 1 ? known[0] : `${known.slice(0, -1).join(", ")} and ${known.at(-1)}`;
  return {
    type: `${PROBLEM_BASE}unknown-meter`,
    title: "Unknown meter",
    status: 400,
    detail: `${where ? `${where}: ` : ""}there is no meter "${u.meter}"; the meters are ${list}. Nothing was counted.`,
    instance,
    meter: u.meter,
    meters: u.meters.map((m) => m.id),
  };
}

/** 401 for an unknown or revoked customer key: the same words wherever a key is checked. */
export function invalidKeyProblem(reason: "unknown_key" | "revoked_key", instance?: string): Problem {
  return {
    type: `${PROBLEM_BASE}invalid-api-key`,
    title: reason === "revoked_key" ? "API key revoked" : "Invalid API key",
    status: 401,
    detail: reason === "revoked_key" ? "This API key has been revoked. Create a new one in your portal." : "The API key is not valid.",
    instance,
  };
}
