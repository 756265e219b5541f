import { useNow } from "../../lib/use-now";
import { Button } from "../../ui/button";
import { SESSION_RETRY_MS, type SessionQuery } from "./use-session";

/**
 * Shown instead of the sign-in page when the session could not be read (the server answered 503 or
 * could not be reached): the visitor may well be signed in, so they are told so and it is tried again.
 */
export function SessionUnavailable({ session }: { session: SessionQuery }) {
  const now = useNow(1_000);
  const status = (session.error as { data?: { httpStatus?: number } | null } | null)?.data?.httpStatus;
  const cause =
    status === 503
      ? "The server is temporarily unavailable (it answered 503)."
      : status !== undefined
        ? `The server could not answer (${status}).`
        : // A proxy's 503 page or a dropped connection carries no status the client can read.
          "The server did not answer: it may be restarting, or your connection dropped.";
  const nextInS = Math.max(0, Math.ceil((session.errorUpdatedAt + SESSION_RETRY_MS - now) / 1000));
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div role="alert" className="w-full max-w-md rounded-2xl border border-amber-200 bg-white p-8 shadow-sm" data-testid="session-unavailable">
        <h1 className="text-xl font-semibold text-slate-900">We cannot reach your portal right now</h1>
        <p className="mt-2 text-sm text-slate-700">{cause} You have not been signed out; nothing you saved is lost.</p>
        <p className="mt-2 text-sm text-slate-600" aria-live="polite" data-testid="session-retry-status">
          {session.isFetching ? "Trying again…" : `Trying again automatically in ${nextInS} s.`}
        </p>
        <div className="mt-5">
          <Button onClick={() => void session.refetch()} disabled={session.isFetching}>
            {session.isFetching ? "Retrying…" : "Retry now"}
          </Button>
        </div>
      </div>
    </main>
  );
}
