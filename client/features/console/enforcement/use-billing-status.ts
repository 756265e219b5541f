import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** Whether billing is paused, and how many invoices wait for it to resume. */
export function useBillingStatus() {
  const trpc = useTRPC();
  return useQuery(trpc.operator.billingStatus.queryOptions());
}
