import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { useTRPC } from "../../lib/trpc";

/** The billing page's data: plan, period, scheduled changes with their consents, the next invoice and past invoices. */
export function useBillingOverview() {
  const trpc = useTRPC();
  return useQuery(trpc.billing.overview.queryOptions());
}

export type BillingOverviewData = inferRouterOutputs<AppRouter>["billing"]["overview"];
export type PlanChangeData = BillingOverviewData["changes"][number];
export type InvoiceData = BillingOverviewData["invoices"][number];
