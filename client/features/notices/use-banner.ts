import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { type Trpc, useTRPC } from "../../lib/trpc";

/**
 * The notice to show at the top of every portal page, or null. Refreshed every 30 s while the tab
 * is visible, so a notice raised while the customer is in the portal appears without a reload.
 */
export function useBanner() {
  return useQuery(bannerQuery(useTRPC()));
}

export const bannerQuery = (trpc: Trpc) => ({ ...trpc.notices.banner.queryOptions(), refetchInterval: 30_000, refetchIntervalInBackground: false });

export type BannerData = NonNullable<inferRouterOutputs<AppRouter>["notices"]["banner"]>;
