import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";

/**
 * After an operator action, every console query is refetched: a flip, a refund or an approval
 * changes figures on several pages (readiness, audit, metrics, the audit log, the nav counts).
 */
export function useInvalidateOperator() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.operator.pathFilter());
}
