import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** Every account with its plan, mode and today's counts. */
export function useAccounts() {
  const trpc = useTRPC();
  return useQuery(trpc.operator.accounts.queryOptions());
}
