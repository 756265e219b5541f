import { createBrowserRouter, Navigate, Outlet, type RouteObject, RouterProvider } from "react-router";
import { paths } from "./paths";
import { PortalLayout } from "./portal-layout";
import { ConsoleLayout } from "./console-layout";
import { consoleRoutes } from "../features/console/console-routes";
import { RouteError } from "./route-error";
import { SessionUnavailable } from "../features/session/session-unavailable";
import { sessionUnavailable, useSession } from "../features/session/use-session";
import { LoadingBlock } from "../ui/states";
import { type TitleHandle, useRouteTitle } from "./document-title";
import { prefetch, trpcOptions } from "../lib/trpc";
import { sessionQuery } from "../features/session/use-session";
import { bannerQuery } from "../features/notices/use-banner";
import { usageOverviewQuery } from "../features/usage/use-usage-overview";
import { UsagePage } from "../features/usage/usage-page";
import { usageHistoryQuery } from "../features/usage/use-usage-history";
import { catalogQuery } from "../lib/use-catalog";

/** "/" sends each visitor where they belong. */
function Home() {
  const session = useSession();
  if (session.isPending) return <div className="p-8"><LoadingBlock rows={1} /></div>;
  if (sessionUnavailable(session)) return <SessionUnavailable session={session} />;
  if (session.data?.role === "operator") return <Navigate to={paths.console} replace />;
  if (session.data?.role === "customer") return <Navigate to={paths.usage} replace />;
  return <Navigate to={paths.signIn} replace />;
}

/** Every route: sets the tab's title from the routes' `handle`s ("Usage · Acme Analytics · <provider>"). */
function Titled() {
  useRouteTitle();
  return <Outlet />;
}

const title = (name: string): TitleHandle => ({ title: name });

// Loaders start a page's reads while its code loads (they return at once; the pages' queries pick the
// answers up from the cache): the session, the banner and the usage page's numbers leave in one batch.
const sessionLoader = () => {
  prefetch(sessionQuery(trpcOptions));
  return null;
};
const portalLoader = () => {
  prefetch(sessionQuery(trpcOptions));
  prefetch(bannerQuery(trpcOptions));
  return null;
};
const usageLoader = () => {
  prefetch(usageOverviewQuery(trpcOptions));
  prefetch(usageHistoryQuery(trpcOptions));
  prefetch(catalogQuery(trpcOptions));
  // The charts' own chunk, fetched beside the page's instead of after its data.
  void import("../features/usage/components/usage-charts");
  return null;
};

// Pages are code-split: the first page loads only its own code.
const routes: RouteObject[] = [
  { path: "/", element: <Home />, errorElement: <RouteError /> },
  { path: paths.signIn, handle: title("Sign in"), lazy: async () => ({ Component: (await import("../features/session/sign-in-page")).SignInPage }), errorElement: <RouteError /> },
  { path: paths.consoleSignIn, handle: { title: "Sign in", titleScope: "console" } satisfies TitleHandle, lazy: async () => ({ Component: (await import("../features/session/operator-sign-in-page")).OperatorSignInPage }), errorElement: <RouteError /> },
  {
    element: <PortalLayout />,
    loader: portalLoader,
    handle: { titleScope: "account" } satisfies TitleHandle,
    errorElement: <RouteError />,
    children: [
      // The usage page is where customers land: it is part of the app's own script, so a phone asks for
      // nothing more before drawing it (its charts, below the first screen, still load apart).
      { path: paths.usage, handle: title("Usage"), loader: usageLoader, Component: UsagePage },
      { path: paths.plans, handle: title("Plans"), lazy: async () => ({ Component: (await import("../features/plans/plans-page")).PlansPage }) },
      { path: paths.planChange, handle: title("Change plan"), lazy: async () => ({ Component: (await import("../features/plans/plan-change-page")).PlanChangePage }) },
      { path: paths.keys, handle: title("API keys"), lazy: async () => ({ Component: (await import("../features/keys/keys-page")).KeysPage }) },
      { path: paths.billing, handle: title("Billing"), lazy: async () => ({ Component: (await import("../features/billing/billing-page")).BillingPage }) },
      { path: paths.notices, handle: title("Notices"), lazy: async () => ({ Component: (await import("../features/notices/notices-page")).NoticesPage }) },
      { path: paths.settings, handle: title("Settings"), lazy: async () => ({ Component: (await import("../features/settings/settings-page")).SettingsPage }) },
      { path: paths.support, handle: title("Support"), lazy: async () => ({ Component: (await import("../features/support/support-page")).SupportPage }) },
    ],
  },
  {
    path: paths.console,
    element: <ConsoleLayout />,
    loader: sessionLoader,
    handle: { titleScope: "console" } satisfies TitleHandle,
    errorElement: <RouteError />,
    children: consoleRoutes,
  },
  { path: "*", handle: title("Page not found"), lazy: async () => ({ Component: (await import("./not-found")).NotFound }) },
];

const router = createBrowserRouter([{ element: <Titled />, children: routes }]);

export function AppRouter() {
  return <RouterProvider router={router} />;
}
