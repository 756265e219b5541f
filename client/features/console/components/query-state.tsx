import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ErrorState, LoadingBlock } from "../../../ui/states";

/** Loading and error states of one query in the console's words; renders children with the data. */
export function QueryState<T>({ query, rows = 2, what, children }: { query: UseQueryResult<T, { message: string }>; rows?: number; what: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <LoadingBlock rows={rows} label={`Loading ${what}…`} />;
  if (query.isError) return <ErrorState title={`We could not load ${what}`} message={query.error.message} onRetry={() => query.refetch()} />;
  return <>{children(query.data)}</>;
}
