import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** Bills over twice the previous one; acknowledged ones only when asked for. */
export function useAnomalies(includeAcknowledged: boolean) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.operator.anomalies.queryOptions({ includeAcknowledged }), refetchInterval: 60_000, refetchIntervalInBackground: false });
}
