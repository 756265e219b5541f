import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** Accounts over any cap since `fromMs`, optionally on one plan. The previous rows stay while a new range loads. */
export function useShadowAudit(input: { fromMs: number; planId?: string }) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.shadowAudit.queryOptions(input), placeholderData: keepPreviousData });
}
