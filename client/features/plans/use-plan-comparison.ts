import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { useTRPC } from "../../lib/trpc";

/** The public plans judged against the customer's last 30 days, with the recommended one. */
export function usePlanComparison() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.plans.compare.queryOptions(), staleTime: 60_000 });
}

export type PlanComparisonData = inferRouterOutputs<AppRouter>["plans"]["compare"];
export type PlanVerdictData = PlanComparisonData["verdicts"][number];
