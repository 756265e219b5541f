import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { type Trpc, useTRPC } from "../../lib/trpc";

/** The charts' data: refreshed every 15 s while the tab is visible, so the last-hour chart moves. */
export function useUsageHistory() {
  return useQuery(usageHistoryQuery(useTRPC()));
}

export const usageHistoryQuery = (trpc: Trpc) => ({ ...trpc.usage.history.queryOptions(), refetchInterval: 15_000, refetchIntervalInBackground: false });

export type UsageHistoryData = inferRouterOutputs<AppRouter>["usage"]["history"];
