import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** One account as its customer sees it, plus billing and the audit trail; refreshed every 15 s. */
export function useAccount(accountId: string) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.account.queryOptions({ accountId }), refetchInterval: 15_000, refetchIntervalInBackground: false });
}
