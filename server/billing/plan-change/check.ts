import { consentDigest } from "../../../shared/consent";
import { PLAN_CHANGE_REFUSALS as WORDS } from "../../../shared/messages";
import { accountRowById } from "../../db/queries/accounts";
import { changeIdOfQuote, quoteById, type QuoteRow } from "../../db/queries/plan-changes";
import { DomainError } from "../../lib/domain-error";
import type { BillingContext } from "../billing-context";
import { accountFingerprint, catalogFingerprint } from "../terms";
import type { ConfirmPlanChangeInput } from "./input";

/**
 * Step 1 of a confirmation: the quote is the account's own, and the customer agreed to exactly it.
 * Answers the quote and, when it was confirmed before, the plan change it became (a replay). Refuses
 * (changing nothing) an expired quote, one priced on terms that changed since, other amounts, or
 * other words than the ones shown.
 */
export async function checkConfirmation(ctx: Pick<BillingContext, "db" | "catalog" | "clock">, accountId: string, input: ConfirmPlanChangeInput): Promise<{ quote: QuoteRow; done: string | null }> {
  const quote = await quoteById(ctx.db, input.quoteId);
  // Another account's quote is "not found": nothing about it is revealed.
  if (!quote || quote.accountId !== accountId) throw new DomainError("NOT_FOUND", WORDS.noQuote);
  const done = await changeIdOfQuote(ctx.db, quote.id);
  if (!done) {
    if (ctx.clock.now() >= quote.expiresAtMs) throw new DomainError("EXPIRED", WORDS.expired);
    const account = await accountRowById(ctx.db, accountId);
    if (!account || accountFingerprint(account) !== quote.accountFingerprint || catalogFingerprint(ctx.catalog) !== quote.catalogFingerprint) {
      throw new DomainError("PRECONDITION_FAILED", WORDS.termsChanged);
    }
    const a = input.accepted;
    if (a.amountDueNow !== quote.amountDueNowMinor || a.recurringAmount !== quote.recurringMinor || a.currency.toUpperCase() !== quote.currency) {
      throw new DomainError("CONFLICT", WORDS.amountsDiffer);
    }
  }
  // A replay too must carry the words of this quote.
  checkWords(quote, input);
  return { quote, done };
}

/** The words agreed to must be this quote's, and the overage tick only where it was offered. */
function checkWords(quote: QuoteRow, input: ConfirmPlanChangeInput): void {
  if (input.consent.textDigest !== consentDigest(quote.consentText)) throw new DomainError("CONFLICT", WORDS.wordsDiffer);
  if (!input.overage) return;
  if (!quote.overageConsentText) throw new DomainError("BAD_INPUT", WORDS.noOverageOffered);
  if (input.overage.textDigest !== consentDigest(quote.overageConsentText)) throw new DomainError("CONFLICT", WORDS.overageWordsDiffer);
}
