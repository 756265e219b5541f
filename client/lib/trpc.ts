import { type FetchQueryOptions, QueryClient, type QueryKey } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext, createTRPCOptionsProxy, type TRPCOptionsProxy } from "@trpc/tanstack-react-query";
import type { AppRouter } from "../../server/trpc/router";
import { hydrateInitialData } from "./initial-data";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** What `useTRPC()` and `trpcOptions` both are: a query's hook and its route loader build the same options from either. */
export type Trpc = TRPCOptionsProxy<AppRouter>;

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchOnWindowFocus: true,
        // Auth and validation errors will not fix themselves on retry.
        retry: (count, error) => {
          const code = (error as { data?: { code?: string } }).data?.code;
          if (code && ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "BAD_REQUEST"].includes(code)) return false;
          return count < 2;
        },
      },
    },
  });
}

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: "/trpc", fetch: (url, init) => fetch(url, { ...init, credentials: "same-origin" }) })],
  });
}

/**
 * The app's one query cache and tRPC client (the providers hand them to React). The cache starts with
 * the reads index.html carried: here, before the router (which imports this module) starts the first
 * navigation's loaders, so they find those answers fresh instead of asking again.
 */
export const queryClient = makeQueryClient();
hydrateInitialData(queryClient);
export const trpcClient = makeTrpcClient();

/**
 * The same query options `useTRPC()` gives, outside React: a route's loader starts the reads its page
 * will make while the page's code is still loading, so they travel in one batch instead of a waterfall.
 */
export const trpcOptions = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });

/** Starts a read unless a fresh answer is cached; never throws (the page's own query shows any error). */
export function prefetch<TQueryFnData, TError, TData, TQueryKey extends QueryKey>(options: FetchQueryOptions<TQueryFnData, TError, TData, TQueryKey>): void {
  void queryClient.prefetchQuery(options);
}
