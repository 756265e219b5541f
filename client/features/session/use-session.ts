import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc";

export function useSession() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.session.me.queryOptions(), staleTime: 60_000 });
}
