import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";
import { useInvalidateOperator } from "../use-invalidate-operator";
import type { RollbackAction } from "./experiment-text";

/** What a rollback action would do and to whom, fetched while its dialog is open; it runs nothing. */
export function useRollbackPreview(experimentId: string, action: RollbackAction | null) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.previewRollback.queryOptions({ experimentId, action: action ?? "pause_billing" }), enabled: action !== null, staleTime: 0, gcTime: 0 });
}

export function useRunRollback() {
  const trpc = useTRPC();
  const invalidate = useInvalidateOperator();
  return useMutation(trpc.operator.runRollback.mutationOptions({ onSuccess: () => invalidate() }));
}
