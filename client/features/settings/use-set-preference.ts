import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";
import type { Preference } from "./use-preferences";

/**
 * Saves one e-mail preference. The switch moves at once (optimistic); a failure puts it back. The
 * server answers with every preference, which replaces the cache once no other save is in flight.
 */
export function useSetPreference() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const key = trpc.notices.preferences.queryKey();
  const mutationKey = trpc.notices.setPreference.mutationKey();
  return useMutation(
    trpc.notices.setPreference.mutationOptions({
      onMutate: async ({ kind, email }) => {
        await queryClient.cancelQueries({ queryKey: key });
        const previous = queryClient.getQueryData<Preference[]>(key);
        queryClient.setQueryData<Preference[]>(key, (prefs) => prefs?.map((p) => (p.kind === kind ? { ...p, email } : p)));
        return { previous };
      },
      onError: (_err, { kind }, context) => {
        // Put back only this switch: another one may have been saved meanwhile.
        const before = context?.previous?.find((p) => p.kind === kind);
        if (before) queryClient.setQueryData<Preference[]>(key, (prefs) => prefs?.map((p) => (p.kind === kind ? before : p)));
      },
      onSuccess: (saved) => {
        if (queryClient.isMutating({ mutationKey }) <= 1) queryClient.setQueryData(key, saved);
      },
      onSettled: (_data, error) => {
        // After a failure, read back what the server really has.
        if (error && queryClient.isMutating({ mutationKey }) <= 1) return queryClient.invalidateQueries({ queryKey: key });
      },
    }),
  );
}
