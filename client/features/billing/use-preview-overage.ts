import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";

/** Prices turning overage billing on or off; nothing changes until the quote is confirmed. */
export function usePreviewOverage() {
  const trpc = useTRPC();
  return useMutation(trpc.billing.previewOverage.mutationOptions());
}
