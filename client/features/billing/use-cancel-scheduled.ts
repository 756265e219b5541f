import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";
import { useInvalidateAccount } from "./use-invalidate-account";

/** Cancels a change waiting for its date (a scheduled downgrade); the current plan simply continues. */
export function useCancelScheduled() {
  const trpc = useTRPC();
  const invalidate = useInvalidateAccount();
  return useMutation(trpc.billing.cancelScheduled.mutationOptions({ onSuccess: () => invalidate() }));
}
