import type { LimitStatus } from "../../shared/limits";
import { CAP_REFUSAL_TITLE, CEILING_REFUSAL_TITLE, describeCapRefusal, describeCeilingRefusal } from "../../shared/messages";
import type { WindowName } from "../../shared/plans";
import { PROBLEM_BASE, type Problem } from "../http/problem";
import type { CheckResult } from "./meter";

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
 * RateLimit-Policy / RateLimit (IETF httpapi draft, structured fields) for one answer, plus
 * Retry-After when the call was refused. Long windows get a little jitter on Retry-After so that
 * refused clients do not all come back in the same second.
 */
export function rateLimitHeaders(r: CheckOk, nowMs: number, periodSeconds: number, jitter: () => number = Math.random): Record<string, string> {
  const headers: Record<string, string> = {};
  const capped = r.limits.filter((l) => l.limit !== null);
  const policies = capped.map((l) => `"${l.window}";q=${l.limit};w=${windowSeconds(l, periodSeconds)}`);
  if (r.decision === "ceiling") {
    policies.push(`"ceiling";q=${r.ceiling.limit};w=60`);
    const t = secondsUntil(r.ceiling.resetAtMs, nowMs);
    headers["ratelimit"] = `"ceiling";r=0;t=${t}`;
    headers["retry-after"] = String(Math.max(1, t));
  } else {
    const refusedBy = r.decision === "throttle" ? capped.filter((l) => r.refusing.includes(l.window)) : [];
    const binding = refusedBy.length ? refusedBy.reduce((a, b) => (b.resetAtMs > a.resetAtMs ? b : a)) : bindingLimit(capped);
    if (binding) {
      const t = secondsUntil(binding.resetAtMs, nowMs);
      headers["ratelimit"] = `"${binding.window}";r=${refusedBy.length ? 0 : binding.remaining};t=${t}`;
      if (refusedBy.length) {
        const extra = binding.window === "minute" ? 0 : Math.floor(jitter() * Math.min(60, t * 0.05));
        headers["retry-after"] = String(Math.max(1, t + extra));
      }
    }
  }
  if (policies.length) headers["ratelimit-policy"] = policies.join(", ");
  return headers;
}

/** The RFC 9457 body of a refusal, with the numbers in plain words and where to go next. */
export function refusalProblem(r: CheckOk, nowMs: number, upgradeUrl: string | null, instance?: string): Problem & { type: string } {
  if (r.decision === "ceiling") {
    return {
      type: `${PROBLEM_BASE}safety-limit`,
      title: CEILING_REFUSAL_TITLE,
      status: 429,
      detail: describeCeilingRefusal({ used: r.ceiling.used, ceiling: r.ceiling.limit, resetAtMs: r.ceiling.resetAtMs }, nowMs),
      instance,
      window: "minute",
      limit: r.ceiling.limit,
      used: r.ceiling.used,
      resetAt: new Date(r.ceiling.resetAtMs).toISOString(),
      "violated-policies": ["ceiling"],
    };
  }
  const refused = r.limits.filter((l) => r.refusing.includes(l.window));
  const l = refused.reduce((a, b) => (b.resetAtMs > a.resetAtMs ? b : a));
  return {
    type: `${PROBLEM_BASE}quota-exceeded`,
    title: CAP_REFUSAL_TITLE,
    status: 429,
    detail: describeCapRefusal(l, r.plan.name, nowMs),
    instance,
    window: l.window,
    limit: l.limit,
    used: l.used,
    resetAt: new Date(l.resetAtMs).toISOString(),
    plan: r.plan.id,
    upgradeUrl,
    "violated-policies": refused.map((x) => x.window),
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
