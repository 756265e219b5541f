import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { useTRPC } from "../../lib/trpc";

/** Prices a plan change as a quote valid for 15 minutes; nothing changes until it is confirmed with consent. */
export function usePreviewPlanChange() {
  const trpc = useTRPC();
  return useMutation(trpc.billing.previewPlanChange.mutationOptions());
}

export type PlanChangeQuote = inferRouterOutputs<AppRouter>["billing"]["previewPlanChange"];
