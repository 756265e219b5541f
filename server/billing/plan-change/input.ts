import { z } from "zod";
import { PLAN_CHANGE_REFUSALS as WORDS } from "../../../shared/messages";
import type { PlanChangeStatus } from "../../db/queries/plan-changes";

/** The customer's explicit agreement: a literal `true`, and which words it was given to (the digest of the text displayed). */
const agreement = (what: string) =>
  z.object(
    {
      agreed: z.literal(true, { error: WORDS.agreementMissing(what) }),
      textDigest: z.string().regex(/^[0-9a-f]{64}$/, WORDS.digestShape),
    },
    { error: WORDS.agreementShape(what) },
  );

export const confirmPlanChangeInput = z.object({
  quoteId: z.string().min(1).max(100),
  /** The amounts the customer saw and accepted; they must equal the quote's. */
  accepted: z.object({
    amountDueNow: z.number().int().nonnegative(),
    recurringAmount: z.number().int().nonnegative(),
    currency: z.string().length(3),
  }),
  /** The agreement to the quote's consent text, bound to the words displayed (consentDigest of them). */
  consent: agreement("the words shown"),
  /** The overage opt-in offered with the change, ticked too (its own words, its own digest). Absent = not ticked. */
  overage: agreement("overage billing").optional(),
});
export type ConfirmPlanChangeInput = z.infer<typeof confirmPlanChangeInput>;

export interface Consenter {
  /** The signed-in person: the account's e-mail for a customer session. */
  signedInAs: string;
  ip: string | null;
  userAgent: string | null;
}

export interface Replaced {
  planChangeId: string;
  toPlanId: string;
  status: PlanChangeStatus;
}

export interface PlanChangeResult {
  planChangeId: string;
  status: PlanChangeStatus;
  kind: "plan_change" | "overage_opt_in" | "overage_opt_out";
  fromPlanId: string;
  toPlanId: string;
  effectiveAtMs: number;
  amountDueNowMinor: number;
  recurringMinor: number;
  recurringFromMs: number;
  /** The interval the account was billed in, and the one it is billed in after the change (the recurring amount's). */
  fromInterval: "month" | "year";
  toInterval: "month" | "year";
  currency: string;
  invoiceId: string | null;
  consentId: string;
  /** The change started a new billing period today (from Free or grandfathered terms, or another billing interval). */
  periodMoved: boolean;
  /** The confirmation had already been recorded: this is its first result, nothing changed twice. */
  replayed: boolean;
  /** status "payment_required": Stripe Checkout, where the customer pays; the plan changes only once that payment completes. */
  checkoutUrl?: string | null;
  /** The waiting change this confirmation replaced (a scheduled switch, or one awaiting approval), if any. */
  replaced?: Replaced[];
}

/** The idempotency key of a consented change's provider calls: derived from the quote, stored before the first call. */
export const applyKeyOf = (quoteId: string) => `quote:${quoteId}:apply`;

/** How long an operator's approval carries over to a re-consent at a new price (the price moved while it waited). */
export const APPROVAL_CARRIES_OVER_MS = 7 * 86_400_000;

