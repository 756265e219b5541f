import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { useTRPC } from "../../lib/trpc";

/** The signed-in account's questions to its provider's billing team, newest first, with the replies. */
export function useSupportRequests() {
  const trpc = useTRPC();
  return useQuery(trpc.support.list.queryOptions());
}

export type SupportRequestItem = inferRouterOutputs<AppRouter>["support"]["list"][number];
