import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** E-mails and webhooks as sent (or kept, without SMTP), newest first. */
export function useOutbox(input: { accountId?: string; limit: number }) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.outbox.queryOptions(input), placeholderData: keepPreviousData });
}
