import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** The support queue, open requests first; refreshed every 30 s. */
export function useSupportQueue() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.support.queryOptions(), refetchInterval: 30_000, refetchIntervalInBackground: false });
}
