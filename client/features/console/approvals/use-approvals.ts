import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** Plan changes over the billing cap waiting for an operator; refreshed every 30 s. */
export function useApprovals() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.approvals.queryOptions(), refetchInterval: 30_000, refetchIntervalInBackground: false });
}
