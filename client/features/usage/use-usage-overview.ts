import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";

/** Live usage: refreshed every 5 s while the tab is visible (react-query pauses in the background). */
export function useUsageOverview() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.usage.overview.queryOptions(), refetchInterval: 5_000, refetchIntervalInBackground: false });
}
