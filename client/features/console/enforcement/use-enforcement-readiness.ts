import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** What a flip to enforce would do now, for a plan or a cohort of its accounts. */
export function useEnforcementReadiness(input: { planId: string; accountIds?: string[] }, enabled = true) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.enforcementReadiness.queryOptions(input), enabled, placeholderData: keepPreviousData });
}
