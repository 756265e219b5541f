import type { AccountNoticeFacts } from "../../shared/messages";
import { newId } from "../lib/ids";
import { raiseNotice, type NotifyContext, type NoticeView } from "./notices";

/**
 * A notice about the account (a plan change, an approval, an anomaly): shown in the portal's
 * notices and e-mailed. `ref` makes it unique (the plan change or invoice it is about).
 */
export function raiseAccountNotice(
  ctx: NotifyContext,
  input: { accountId: string; planId: string; ref: string; facts: AccountNoticeFacts },
): Promise<NoticeView | null> {
  return raiseNotice(ctx, {
    accountId: input.accountId,
    kind: input.facts.kind,
    window: null,
    // Account notices are keyed by what they are about, not by a billing period.
    periodStartMs: 0,
    facts: { ...input.facts, planId: input.planId },
    dedupeRef: input.ref || newId("ref"),
  });
}
