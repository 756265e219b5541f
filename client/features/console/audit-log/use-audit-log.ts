import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** The audit log, newest first, filtered by action prefix and account. */
export function useAuditLog(input: { accountId?: string; action?: string; limit: number }) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.audit.queryOptions(input), placeholderData: keepPreviousData });
}
