import { createBrowserRouter, Navigate, RouterProvider } from "react-router";
import { paths } from "./paths";
import { PortalLayout } from "./portal-layout";
import { ConsoleLayout } from "./console-layout";
import { consoleRoutes } from "../features/console/console-routes";
import { RouteError } from "./route-error";
import { useSession } from "../features/session/use-session";
import { LoadingBlock } from "../ui/states";

/** "/" sends each visitor where they belong. */
function Home() {
  const session = useSession();
  if (session.isPending) return <div className="p-8"><LoadingBlock rows={1} /></div>;
  if (session.data?.role === "operator") return <Navigate to={paths.console} replace />;
  if (session.data?.role === "customer") return <Navigate to={paths.usage} replace />;
  return <Navigate to={paths.signIn} replace />;
}

// Pages are code-split: the first page loads only its own code.
const router = createBrowserRouter([
  { path: "/", element: <Home />, errorElement: <RouteError /> },
  { path: paths.signIn, lazy: async () => ({ Component: (await import("../features/session/sign-in-page")).SignInPage }), errorElement: <RouteError /> },
  {
    element: <PortalLayout />,
    errorElement: <RouteError />,
    children: [
      { path: paths.usage, lazy: async () => ({ Component: (await import("../features/usage/usage-page")).UsagePage }) },
      { path: paths.plans, lazy: async () => ({ Component: (await import("../features/plans/plans-page")).PlansPage }) },
      { path: paths.planChange, lazy: async () => ({ Component: (await import("../features/plans/plan-change-page")).PlanChangePage }) },
      { path: paths.keys, lazy: async () => ({ Component: (await import("../features/keys/keys-page")).KeysPage }) },
      { path: paths.billing, lazy: async () => ({ Component: (await import("../features/billing/billing-page")).BillingPage }) },
      { path: paths.notices, lazy: async () => ({ Component: (await import("../features/notices/notices-page")).NoticesPage }) },
      { path: paths.settings, lazy: async () => ({ Component: (await import("../features/settings/settings-page")).SettingsPage }) },
    ],
  },
  {
    path: paths.console,
    element: <ConsoleLayout />,
    errorElement: <RouteError />,
    children: consoleRoutes,
  },
  { path: "*", lazy: async () => ({ Component: (await import("./not-found")).NotFound }) },
]);

export function AppRouter() {
  return <RouterProvider router={router} />;
}
