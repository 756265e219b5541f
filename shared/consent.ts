import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/**
 * The identifier of a consent text: the SHA-256 of its UTF-8 bytes, in hex. The portal computes it
 * from the words it displayed and sends it with the customer's agreement; the server refuses a
 * confirmation whose digest is not the quote's own text, so the recorded words are the words shown.
 * (A library rather than Web Crypto: `crypto.subtle` exists only on https pages and localhost, and a
 * self-hosted portal may be served over plain http on a private network.)
 */
export function consentDigest(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** What a quote shows the customer, as far as the confirmation is concerned. */
export interface ShownQuote {
  id: string;
  amountDueNowMinor: number;
  recurringMinor: number;
  currency: string;
  /** The consent words displayed. */
  consentText: string;
  /** The overage opt-in displayed with it, if the quote offers one. */
  overageConsentText?: string | null;
}

/**
 * The confirmation of a quote as the customer gave it: exactly the amounts shown, an explicit
 * agreement bound to the words displayed, and the overage opt-in only if its own box was ticked.
 */
export function confirmationFor(quote: ShownQuote, opts: { overage?: boolean } = {}) {
  if (opts.overage && !quote.overageConsentText) throw new RangeError("this quote offers no overage opt-in");
  return {
    quoteId: quote.id,
    accepted: { amountDueNow: quote.amountDueNowMinor, recurringAmount: quote.recurringMinor, currency: quote.currency },
    consent: { agreed: true as const, textDigest: consentDigest(quote.consentText) },
    ...(opts.overage && quote.overageConsentText ? { overage: { agreed: true as const, textDigest: consentDigest(quote.overageConsentText) } } : {}),
  };
}
