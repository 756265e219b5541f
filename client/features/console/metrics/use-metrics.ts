import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** The lifecycle's success measures since `fromMs`. */
export function useMetrics(fromMs: number) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.metrics.queryOptions({ fromMs }), placeholderData: keepPreviousData });
}
