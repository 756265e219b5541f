import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Navigate, useSearchParams } from "react-router";
import { useBrand } from "../../app/brand";
import { BrandFooter } from "../../app/brand-footer";
import { Logo } from "../../app/logo";
import { paths } from "../../app/paths";
import { useTRPC } from "../../lib/trpc";
import { useSession } from "./use-session";

const ERRORS: Record<string, { title: string; text: string }> = {
  expired: { title: "This sign-in link has expired", text: "Sign-in links are valid for 10 minutes. Ask for a new one below, or open the portal again from your provider's app." },
  used: { title: "This sign-in link has already been used", text: "Each link signs you in once. Ask for a new one below, or open the portal again from your provider's app." },
  invalid: { title: "This sign-in link is not valid", text: "Check that you copied the whole link, or ask for a new one below." },
};

const input = "mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-600/30";

function EmailLinkForm() {
  const trpc = useTRPC();
  const [email, setEmail] = useState("");
  const request = useMutation(trpc.session.requestEmailLink.mutationOptions());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    request.mutate({ email });
  };
  if (request.isSuccess) {
    return (
      <div role="status" className="rounded-lg bg-emerald-50 p-4 text-sm text-emerald-900 ring-1 ring-emerald-200">
        <p className="font-semibold">Check your inbox</p>
        <p className="mt-1">If <strong>{email}</strong> belongs to an account, a sign-in link is on its way. It works once and expires in 10 minutes.</p>
      </div>
    );
  }
  return (
    <form onSubmit={submit} noValidate>
      <label htmlFor="email" className="block text-sm font-medium text-slate-800">E-mail address</label>
      <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} className={input} placeholder="you@company.com" />
      {request.isError && <p role="alert" className="mt-2 text-sm text-rose-700">{request.error.message}</p>}
      <button type="submit" disabled={request.isPending || !email} className="mt-3 w-full rounded-lg bg-brand-600 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-700 disabled:bg-slate-300 disabled:text-slate-600">
        {request.isPending ? "Sending…" : "E-mail me a sign-in link"}
      </button>
    </form>
  );
}

export function SignInPage() {
  const [params] = useSearchParams();
  const session = useSession();
  const brand = useBrand();
  const error = ERRORS[params.get("error") ?? ""];
  if (!error && session.data?.role === "customer") return <Navigate to={paths.usage} replace />;
  if (!error && session.data?.role === "operator") return <Navigate to={paths.console} replace />;

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-md">
        <div className="mb-8 flex justify-center"><Logo /></div>
        <div className="rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
          {error ? (
            <div role="alert" className="mb-6">
              <h1 className="text-xl font-semibold text-slate-900">{error.title}</h1>
              <p className="mt-2 text-sm text-slate-600">{error.text}</p>
            </div>
          ) : params.get("signedOut") ? (
            <div role="status" className="mb-6">
              <h1 className="text-xl font-semibold text-slate-900">You are signed out</h1>
              <p className="mt-2 text-sm text-slate-600">Sign in again with a link by e-mail, or open the portal from your provider's app.</p>
            </div>
          ) : (
            <div className="mb-6">
              <h1 className="text-xl font-semibold text-slate-900">Sign in to {brand.name}</h1>
              <p className="mt-2 text-sm text-slate-600">See your usage against your plan's caps, compare plans and manage your API keys. We e-mail you a one-time link — no password.</p>
            </div>
          )}
          <EmailLinkForm />
        </div>
        <p className="mt-6 text-center text-xs text-slate-600">Coming from your provider's app? Its "API usage" link signs you in directly.</p>
        <BrandFooter className="mt-3 justify-center" />
      </div>
    </main>
  );
}
