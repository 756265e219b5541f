import { Navigate, useSearchParams } from "react-router";
import { Logo } from "../../app/logo";
import { paths } from "../../app/paths";
import { useSession } from "./use-session";

const ERRORS: Record<string, { title: string; text: string }> = {
  expired: { title: "This sign-in link has expired", text: "Sign-in links are valid for 10 minutes. Open the portal again from your provider's app to get a fresh one." },
  used: { title: "This sign-in link has already been used", text: "Each link signs you in once. Open the portal again from your provider's app to get a new one." },
  invalid: { title: "This sign-in link is not valid", text: "Check that you copied the whole link, or open the portal again from your provider's app." },
};

export function SignInPage() {
  const [params] = useSearchParams();
  const session = useSession();
  const error = ERRORS[params.get("error") ?? ""];
  if (!error && session.data?.role === "customer") return <Navigate to={paths.usage} replace />;
  if (!error && session.data?.role === "operator") return <Navigate to={paths.console} replace />;

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-md">
        <div className="mb-8 flex justify-center"><Logo /></div>
        <div className="rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
          {error ? (
            <div role="alert">
              <h1 className="text-xl font-semibold text-slate-900">{error.title}</h1>
              <p className="mt-2 text-sm text-slate-600">{error.text}</p>
            </div>
          ) : params.get("signedOut") ? (
            <div role="status">
              <h1 className="text-xl font-semibold text-slate-900">You are signed out</h1>
              <p className="mt-2 text-sm text-slate-600">To come back, open the portal from your provider's app.</p>
            </div>
          ) : (
            <div>
              <h1 className="text-xl font-semibold text-slate-900">Sign in to your API portal</h1>
              <p className="mt-2 text-sm text-slate-600">
                Open the portal from your provider's app or dashboard: it signs you in with a one-time link. See your usage against your plan's caps, compare plans and manage your API keys.
              </p>
            </div>
          )}
        </div>
        <p className="mt-6 text-center text-xs text-slate-500">Headroom: usage, plans and keys for your API subscription.</p>
      </div>
    </main>
  );
}
