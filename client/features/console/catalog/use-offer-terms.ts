import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";
import { useInvalidateOperator } from "../use-invalidate-operator";

/** Tells the accounts on an older version of a plan about its current terms. */
export function useOfferTerms() {
  const trpc = useTRPC();
  const invalidate = useInvalidateOperator();
  return useMutation(trpc.operator.offerCurrentTerms.mutationOptions({ onSuccess: () => invalidate() }));
}
