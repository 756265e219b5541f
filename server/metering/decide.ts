import type { EnforcementMode, WindowName } from "../../shared/plans";

/**
 * - allow: within every cap (or metering only).
 * - would_throttle: over a cap but served (shadow mode, or enforce mode before the grace period ends).
 * - throttle: refused for a plan cap (enforce mode, the account was notified ≥ grace ago).
 * - ceiling: refused by the per-key safety ceiling, whatever the mode.
 */
export type Decision = "allow" | "would_throttle" | "throttle" | "ceiling";

export interface WindowUsage {
  window: WindowName;
  /** undefined = no cap in this window. */
  limit: number | undefined;
  /** Calls already counted in the window. */
  used: number;
}

export interface DecideInput {
  mode: EnforcementMode;
  /** Positive integer. */
  cost: number;
  nowMs: number;
  ceiling: { limit: number; used: number };
  windows: WindowUsage[];
  /** When the account was told about each cap (a delivered notice), for the grace rule. */
  noticeDeliveredAtMs: Partial<Record<WindowName, number>>;
  graceMs: number;
}

export interface DecideResult {
  decision: Decision;
  /** Windows whose cap this call would exceed. */
  violated: WindowName[];
  /** Windows that refuse the call (enforce mode, after grace). */
  refusing: WindowName[];
}

const NONE: WindowName[] = [];

/** The one decision, pure: the meter, the REST route and the middleware all come through here. */
export function decide(input: DecideInput): DecideResult {
  const { cost } = input;
  if (input.ceiling.used + cost > input.ceiling.limit) return { decision: "ceiling", violated: NONE, refusing: NONE };

  let violated: WindowName[] | null = null;
  for (const w of input.windows) {
    if (w.limit !== undefined && w.used + cost > w.limit) (violated ??= []).push(w.window);
  }
  if (!violated || input.mode === "off") return { decision: "allow", violated: violated ?? NONE, refusing: NONE };
  if (input.mode === "shadow") return { decision: "would_throttle", violated, refusing: NONE };

  // Enforce: a cap refuses only once the account was told about it and the grace period has passed.
  const refusing = violated.filter((w) => {
    const at = input.noticeDeliveredAtMs[w];
    return at !== undefined && input.nowMs >= at + input.graceMs;
  });
  return refusing.length ? { decision: "throttle", violated, refusing } : { decision: "would_throttle", violated, refusing: NONE };
}
