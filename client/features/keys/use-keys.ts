import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";

/** The signed-in customer's active keys, newest first. */
export function useKeys() {
  const trpc = useTRPC();
  return useQuery(trpc.keys.list.queryOptions());
}
