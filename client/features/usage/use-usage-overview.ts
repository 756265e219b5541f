import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { type Trpc, useTRPC } from "../../lib/trpc";

/** Live usage: refreshed every 5 s while the tab is visible (react-query pauses in the background). */
export function useUsageOverview() {
  return useQuery(usageOverviewQuery(useTRPC()));
}

export const usageOverviewQuery = (trpc: Trpc) => ({ ...trpc.usage.overview.queryOptions(), refetchInterval: 5_000, refetchIntervalInBackground: false });

export type UsageOverviewData = inferRouterOutputs<AppRouter>["usage"]["overview"];
