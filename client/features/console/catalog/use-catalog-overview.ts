import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** The catalog in use with its plans' versions and accounts per version; it changes only when the server restarts with a new file. */
export function useCatalogOverview() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.catalog.queryOptions(), staleTime: 60_000 });
}
