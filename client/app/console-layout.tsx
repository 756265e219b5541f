import { Navigate, NavLink, Outlet } from "react-router";
import { useSession } from "../features/session/use-session";
import { LoadingBlock } from "../ui/states";
import { Logo } from "./logo";
import { paths } from "./paths";
import { useSignOut } from "./use-sign-out";

/** The operator console's frame. Requires an operator session. */
export function ConsoleLayout() {
  const session = useSession();
  const signOut = useSignOut();
  if (session.isPending) return <div className="mx-auto max-w-6xl p-8"><LoadingBlock /></div>;
  if (!session.data) return <Navigate to={paths.signIn} replace />;
  if (session.data.role !== "operator") return <Navigate to={paths.usage} replace />;
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">Skip to content</a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-8">
          <Logo subtitle="Console" />
          <nav aria-label="Console" className="flex items-center gap-1 text-sm">
            <NavLink to={paths.console} end className={({ isActive }) => `rounded-lg px-3 py-2 font-medium ${isActive ? "bg-brand-50 text-brand-700" : "text-slate-700 hover:bg-slate-100"}`}>
              Accounts
            </NavLink>
            <button type="button" onClick={() => signOut.mutate()} className="rounded-lg px-3 py-2 font-medium text-slate-700 hover:bg-slate-100">Sign out</button>
          </nav>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-8 sm:px-8">
        <Outlet />
      </main>
    </div>
  );
}
