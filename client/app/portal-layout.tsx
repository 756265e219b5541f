import { useEffect, useState } from "react";
import { Navigate, NavLink, Outlet, useLocation } from "react-router";
import { NoticeBanner } from "../features/notices/components/notice-banner";
import { SessionUnavailable } from "../features/session/session-unavailable";
import { sessionUnavailable, useSession } from "../features/session/use-session";
import { Badge } from "../ui/badge";
import { BrandFooter } from "./brand-footer";
import { Logo } from "./logo";
import { paths } from "./paths";
import { useSignOut } from "./use-sign-out";

const NAV = [
  { to: paths.usage, label: "Usage", icon: "M3 17h18M6 17V11m6 6V6m6 11v-4" },
  { to: paths.plans, label: "Plans", icon: "M4 6h16M4 12h16M4 18h10" },
  { to: paths.keys, label: "API keys", icon: "M15 7a4 4 0 1 1-3.9 4.9L4 19v-3h3v-3h3l1.1-1.1A4 4 0 0 1 15 7Z" },
  { to: paths.billing, label: "Billing", icon: "M3 7h18v10H3zM3 11h18" },
  { to: paths.notices, label: "Notices", icon: "M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10 21h4" },
  { to: paths.support, label: "Support", icon: "M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12ZM9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5M12 16.5h.01" },
  { to: paths.settings, label: "Settings", icon: "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6Z M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1Z" },
];

function providerName(returnUrl: string | null): string | null {
  if (!returnUrl) return null;
  try {
    return new URL(returnUrl).host;
  } catch {
    return null;
  }
}

/** The customer portal's frame: navigation, account, sign-out. Requires a customer session. */
export function PortalLayout() {
  const session = useSession();
  const signOut = useSignOut();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [location.pathname]);

  // While the session is read the frame is drawn already, with the page (and its skeleton) inside:
  // the page's reads left in the same batch as the session's (the routes' loaders), so nothing moves
  // when they answer. Only the account's own corner waits for the session.
  if (sessionUnavailable(session)) return <SessionUnavailable session={session} />;
  if (!session.isPending && !session.data) return <Navigate to={`${paths.signIn}?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (session.data?.role === "operator") return <Navigate to={paths.console} replace />;
  const account = session.data?.account ?? null;
  const returnUrl = session.data?.returnUrl ?? null;
  const provider = providerName(returnUrl);

  const nav = (
    <nav aria-label="Portal" className="space-y-1">
      {NAV.map((item) => (
        <NavLink
          key={item.to}
          to={item.to}
          end={item.to !== paths.plans}
          className={({ isActive }) =>
            `flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium ${isActive ? "bg-brand-50 text-brand-700" : "text-slate-700 hover:bg-slate-100 hover:text-slate-900"}`
          }
        >
          <svg viewBox="0 0 24 24" className="h-5 w-5 shrink-0" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
            <path d={item.icon} />
          </svg>
          {item.label}
        </NavLink>
      ))}
    </nav>
  );

  const footer = account && (
    <div className="space-y-2 border-t border-slate-200 pt-4 text-sm">
      <div className="px-3">
        <p className="truncate font-medium text-slate-900" title={account.name}>{account.name}</p>
        <p className="truncate text-slate-600" title={account.email}>{account.email}</p>
        <p className="mt-1"><Badge tone="brand">{account.planName} plan</Badge></p>
      </div>
      {provider && returnUrl && (
        <a href={returnUrl} className="flex items-center gap-2 rounded-lg px-3 py-2 font-medium text-slate-700 hover:bg-slate-100">
          <span aria-hidden>←</span> Back to {provider}
        </a>
      )}
      <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending} className="w-full rounded-lg px-3 py-2 text-left font-medium text-slate-700 hover:bg-slate-100">
        Sign out
      </button>
      <BrandFooter className="px-3" />
    </div>
  );

  return (
    <div className="min-h-screen lg:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">Skip to content</a>
      {/* Mobile top bar */}
      <header className="sticky top-0 z-30 flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 lg:hidden">
        <Logo />
        <button type="button" aria-expanded={menuOpen} aria-controls="mobile-nav" onClick={() => setMenuOpen((o) => !o)} className="rounded-lg p-2 text-slate-700 hover:bg-slate-100">
          <span className="sr-only">{menuOpen ? "Close menu" : "Open menu"}</span>
          <svg viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden>
            <path d={menuOpen ? "M6 6l12 12M18 6 6 18" : "M4 7h16M4 12h16M4 17h16"} />
          </svg>
        </button>
      </header>
      {menuOpen && (
        <div id="mobile-nav" className="space-y-4 border-b border-slate-200 bg-white px-4 pb-4 lg:hidden">
          {nav}
          {footer}
        </div>
      )}
      {/* Desktop sidebar */}
      <aside className="hidden w-64 shrink-0 flex-col justify-between border-r border-slate-200 bg-white px-3 py-5 lg:sticky lg:top-0 lg:flex lg:h-screen">
        <div className="space-y-6">
          <div className="px-3"><Logo /></div>
          {nav}
        </div>
        {footer}
      </aside>
      <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-8 lg:py-10">
        <div className="mx-auto max-w-5xl">
          <NoticeBanner />
          <Outlet />
        </div>
      </main>
    </div>
  );
}
