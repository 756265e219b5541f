import type { EnforcementMode } from "../../../../shared/plans";
import { Badge } from "../../../ui/badge";

const MODE = {
  off: { tone: "neutral", label: "Off" },
  shadow: { tone: "warn", label: "Shadow" },
  enforce: { tone: "bad", label: "Enforce" },
} as const;

export const MODE_MEANING: Record<EnforcementMode, string> = {
  off: "Metering only: calls are counted, caps are not applied and nothing is recorded as over a cap.",
  shadow: "Calls over a cap are served and counted as “would throttle”; nobody is refused for a cap.",
  enforce: "Calls over a cap are refused (429), but only after the account was notified and its grace period has passed.",
};

export function ModeBadge({ mode }: { mode: string }) {
  const m = MODE[mode as EnforcementMode] ?? { tone: "neutral" as const, label: mode };
  return <Badge tone={m.tone}>{m.label}</Badge>;
}
