import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { useTRPC } from "../../lib/trpc";

/**
 * The quote the wizard's URL names (after a reload, or back and forward): the same quote the
 * customer was shown, with where it stands now — open, consented, expired or outdated.
 */
export function usePlanChangeQuote(id: string | null) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.billing.quote.queryOptions({ id: id ?? "" }), enabled: id !== null, staleTime: Infinity, retry: false });
}

export type StoredPlanChangeQuote = inferRouterOutputs<AppRouter>["billing"]["quote"];
