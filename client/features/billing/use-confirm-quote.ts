import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { useTRPC } from "../../lib/trpc";
import { useInvalidateAccount } from "./use-invalidate-account";

/**
 * Confirms a quote with the customer's consent. The accepted amounts are the quote's own: the
 * server refuses the confirmation if they differ from what it quoted.
 */
export function useConfirmQuote() {
  const trpc = useTRPC();
  const invalidate = useInvalidateAccount();
  return useMutation(trpc.billing.confirm.mutationOptions({ onSuccess: () => invalidate() }));
}

export type ConfirmResult = inferRouterOutputs<AppRouter>["billing"]["confirm"];

/**
 * The confirm input for a quote: exactly the amounts shown (never recomputed on the client), the
 * customer's explicit agreement bound to the digest of the words displayed, and the overage opt-in
 * only when its own box was ticked.
 */
export { confirmationFor as acceptedOf } from "../../../shared/consent";
