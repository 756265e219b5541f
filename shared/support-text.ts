/**
 * The words and bounds of a support request, one source for the server's validation and the
 * portal's hints, so the form never lets through what the server refuses, nor says it differently.
 * Lengths count the text as sent: trimmed of leading and trailing blanks, line breaks included.
 */
export const SUPPORT_MESSAGE_MIN_CHARS = 10;
export const SUPPORT_MESSAGE_MAX_CHARS = 4000;
export const SUPPORT_REPLY_MIN_CHARS = 2;
export const SUPPORT_REPLY_MAX_CHARS = 4000;

const count = new Intl.NumberFormat("en-US");
const chars = (n: number) => (n === 1 ? "1 character" : `${count.format(n)} characters`);

/** The length the server counts: what is left once leading and trailing blanks are trimmed. */
export function supportTextLength(text: string): number {
  return text.trim().length;
}

/** What to fix in a customer's question, in words, or null when it can be sent. */
export function supportMessageProblem(length: number): string | null {
  if (length === 0) return "Write your question first (at least 10 characters).";
  if (length < SUPPORT_MESSAGE_MIN_CHARS) return `Tell us a little more: at least ${chars(SUPPORT_MESSAGE_MIN_CHARS)}, ${SUPPORT_MESSAGE_MIN_CHARS - length} to go.`;
  if (length > SUPPORT_MESSAGE_MAX_CHARS) return `Your question is ${chars(length)} long; the limit is ${count.format(SUPPORT_MESSAGE_MAX_CHARS)}. Shorten it by ${chars(length - SUPPORT_MESSAGE_MAX_CHARS)}, or send the rest in a second request.`;
  return null;
}

/** What to fix in an operator's reply, in words, or null when it can be sent. */
export function supportReplyProblem(length: number): string | null {
  if (length < SUPPORT_REPLY_MIN_CHARS) return "Write a reply first.";
  if (length > SUPPORT_REPLY_MAX_CHARS) return `The reply is ${chars(length)} long; the limit is ${count.format(SUPPORT_REPLY_MAX_CHARS)}. Shorten it by ${chars(length - SUPPORT_REPLY_MAX_CHARS)}.`;
  return null;
}

/** "12 / 4,000": the counter under the question. */
export function supportMessageCounter(length: number): string {
  return `${count.format(length)} / ${count.format(SUPPORT_MESSAGE_MAX_CHARS)}`;
}
