import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";

/** Where calls are counted (memory or Redis) and whether the shared store is reachable; re-read every 15 s. */
export function useCounterStatus() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.counterStatus.queryOptions(), refetchInterval: 15_000 });
}
