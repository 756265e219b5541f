import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";
import type { BannerData } from "./use-banner";

/**
 * Hides the banner at once and tells the server; on failure the banner comes back. Afterwards the
 * banner is fetched again: the server shows another notice only if there is one not dismissed yet.
 */
export function useDismissNotice() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const bannerKey = trpc.notices.banner.queryKey();
  return useMutation(
    trpc.notices.dismiss.mutationOptions({
      onMutate: async ({ noticeId }) => {
        await queryClient.cancelQueries({ queryKey: bannerKey });
        const previous = queryClient.getQueryData<BannerData | null>(bannerKey);
        if (previous?.noticeId === noticeId) queryClient.setQueryData(bannerKey, null);
        return { previous };
      },
      onError: (_err, _vars, context) => {
        if (context?.previous !== undefined) queryClient.setQueryData(bannerKey, context.previous);
      },
      onSettled: () =>
        Promise.all([queryClient.invalidateQueries({ queryKey: bannerKey }), queryClient.invalidateQueries({ queryKey: trpc.notices.list.queryKey() })]),
    }),
  );
}
