import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useTRPC } from "../../lib/trpc";

/**
 * After a plan or billing change, everything that shows the plan is stale: the layout (session),
 * usage caps, plan comparison, billing and the notices (a confirmation notice is raised).
 */
export function useInvalidateAccount() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useCallback(
    () =>
      Promise.all(
        [trpc.session.me.queryKey(), trpc.usage.pathKey(), trpc.plans.pathKey(), trpc.billing.pathKey(), trpc.notices.pathKey()].map((queryKey) =>
          queryClient.invalidateQueries({ queryKey }),
        ),
      ),
    [trpc, queryClient],
  );
}
