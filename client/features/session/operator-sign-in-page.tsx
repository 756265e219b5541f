import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Navigate, useSearchParams } from "react-router";
import { Logo } from "../../app/logo";
import { paths } from "../../app/paths";
import { useTRPC } from "../../lib/trpc";
import { useSession } from "./use-session";

const input = "mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-600/30";

/** Where to go after signing in: a console page the operator was sent away from, never another site. */
function consoleTarget(next: string | null): string {
  return next && next.startsWith(`${paths.console}/`) && !next.startsWith("//") ? next : paths.console;
}

/**
 * The operators' way into the console with HEADROOM_ADMIN_TOKEN, on its own route: the customers'
 * sign-in page knows nothing of it. One-time links from `headroom operator-link` work without it.
 */
export function OperatorSignInPage() {
  const trpc = useTRPC();
  const [params] = useSearchParams();
  const session = useSession();
  const options = useQuery(trpc.session.options.queryOptions());
  const [token, setToken] = useState("");
  const [name, setName] = useState("");
  const target = consoleTarget(params.get("next"));
  const signIn = useMutation(trpc.session.operatorSignIn.mutationOptions({ onSuccess: () => window.location.assign(target) }));
  if (session.data?.role === "operator") return <Navigate to={target} replace />;

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-md">
        <div className="mb-8 flex justify-center"><Logo subtitle="Console" /></div>
        <div className="rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
          <h1 className="text-xl font-semibold text-slate-900">Sign in to the console</h1>
          {options.data && !options.data.adminToken ? (
            <p className="mt-2 text-sm text-slate-600" data-testid="no-admin-token">
              Token sign-in is off on this server. Open a one-time link from <code className="rounded bg-slate-100 px-1">npm run headroom -- operator-link</code>, or set <code className="rounded bg-slate-100 px-1">HEADROOM_ADMIN_TOKEN</code> and restart.
            </p>
          ) : (
            <>
              <p className="mt-2 text-sm text-slate-600">With the server's admin token (<code className="rounded bg-slate-100 px-1">HEADROOM_ADMIN_TOKEN</code>), or a one-time link from <code className="rounded bg-slate-100 px-1">npm run headroom -- operator-link</code>.</p>
              <form
                className="mt-6"
                onSubmit={(e) => {
                  e.preventDefault();
                  signIn.mutate({ token, ...(name.trim() ? { name: name.trim() } : {}) });
                }}
              >
                <label htmlFor="operator-name" className="block text-sm font-medium text-slate-800">Your name</label>
                <input id="operator-name" type="text" autoComplete="name" maxLength={80} value={name} onChange={(e) => setName(e.target.value)} className={input} aria-describedby="operator-name-hint" />
                <p id="operator-name-hint" className="mt-1 text-xs text-slate-600">Shown in the audit log beside what you do. Optional.</p>
                <label htmlFor="admin-token" className="mt-4 block text-sm font-medium text-slate-800">Admin token</label>
                <input id="admin-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} className={input} />
                {signIn.isError && <p role="alert" className="mt-2 text-sm text-rose-700">{signIn.error.message}</p>}
                <button type="submit" disabled={!token || signIn.isPending} className="mt-3 w-full rounded-lg bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 disabled:bg-slate-300 disabled:text-slate-600">
                  {signIn.isPending ? "Signing in…" : "Sign in to the console"}
                </button>
              </form>
            </>
          )}
        </div>
      </div>
    </main>
  );
}
