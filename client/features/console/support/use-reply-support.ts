import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";
import { useInvalidateOperator } from "../use-invalidate-operator";

export function useReplySupport() {
  const trpc = useTRPC();
  const invalidate = useInvalidateOperator();
  return useMutation(trpc.operator.replySupport.mutationOptions({ onSuccess: () => invalidate() }));
}
