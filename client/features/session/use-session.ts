import { useQuery } from "@tanstack/react-query";
import { type Trpc, useTRPC } from "../../lib/trpc";

/** While the session cannot be read, it is asked for again this often (and at once with "Retry now"). */
export const SESSION_RETRY_MS = 5_000;

/**
 * Who is signed in: a customer, an operator, or nobody (`null`). A failed read (a 503 while the
 * database does not answer, a dropped connection) is an error, never "nobody": the guards show a
 * retry state instead of sending a signed-in customer to the sign-in page, and the query keeps asking.
 */
export function useSession() {
  return useQuery(sessionQuery(useTRPC()));
}

/** The session read's options, for the hook and for the route loaders that start it early. */
export function sessionQuery(trpc: Trpc) {
  return {
    ...trpc.session.me.queryOptions(),
    staleTime: 60_000,
    retry: 2,
    retryDelay: (attempt: number) => 500 * 2 ** attempt,
    refetchInterval: (query: { state: { status: string } }) => (query.state.status === "error" ? SESSION_RETRY_MS : false),
  };
}

export type SessionQuery = ReturnType<typeof useSession>;

/** True when nobody can yet say who is signed in: the read failed and nothing was read before. */
export function sessionUnavailable(session: SessionQuery): boolean {
  return session.isError && session.data === undefined;
}
