import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";

/** Sends a question; the list of requests is read again so it shows at once. */
export function useCreateSupportRequest(onSent: () => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.support.create.mutationOptions({
      onSuccess: () => {
        onSent();
        void queryClient.invalidateQueries({ queryKey: trpc.support.list.queryKey() });
      },
    }),
  );
}
