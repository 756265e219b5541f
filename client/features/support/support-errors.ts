import { supportMessageProblem } from "../../../shared/support-text";

/** The part of a tRPC client error the words depend on (a TRPCClientError, or a fetch failure). */
interface SendError {
  message: string;
  data?: { code?: string; httpStatus?: number } | null;
}

// zod's own wording ("Too big: expected string to have <=4000 characters") is not for customers.
const LIBRARY_WORDING = /^(too (big|small)|invalid (input|option|type))\b|expected [a-z]+ to|[<>]=?\s?\d/i;

/**
 * Why a question could not be sent, in words a customer can act on. `length`: the question's length
 * as counted (trimmed), for when the server's words cannot be shown as they are.
 */
export function sendErrorText(error: SendError, length: number): string {
  const status = error.data?.httpStatus;
  if (!error.data) return "We could not reach the server, so your question was not sent. Check your connection and try again; your text is still here.";
  if (status === 400) return LIBRARY_WORDING.test(error.message) ? (supportMessageProblem(length) ?? "Check your question and try again.") : error.message;
  if (status === 401) return "Your session has ended. Sign in again to send your question; copy your text first.";
  if (status === 429) return "Too many requests in a short time. Wait a minute and send it again; your text is still here.";
  if (status !== undefined && status >= 500) return "Something went wrong on our side, so your question was not sent. Try again in a minute; your text is still here.";
  return error.message;
}
