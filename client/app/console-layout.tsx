import { Navigate, NavLink, Outlet, useLocation } from "react-router";
import { useAnomalies } from "../features/console/anomalies/use-anomalies";
import { useApprovals } from "../features/console/approvals/use-approvals";
import { consolePaths } from "../features/console/console-paths";
import { useSupportQueue } from "../features/console/support/use-support-queue";
import { useCounterStatus } from "../features/console/use-counter-status";
import { SessionUnavailable } from "../features/session/session-unavailable";
import { sessionUnavailable, useSession } from "../features/session/use-session";
import { formatTime } from "../lib/format";
import { LoadingBlock } from "../ui/states";
import { Logo } from "./logo";
import { paths } from "./paths";
import { useSignOut } from "./use-sign-out";

interface NavItem {
  to: string;
  label: string;
  end?: boolean;
  /** Work waiting on this page: a count, and whether any of it is late. */
  count?: { n: number; urgent: boolean; noun: string };
}

/** What waits for an operator, for the counts in the navigation. Each query is shared with its page. */
function useWaiting() {
  const approvals = useApprovals();
  const anomalies = useAnomalies(false);
  const support = useSupportQueue();
  const open = support.data?.filter((r) => r.repliedAtMs === null) ?? [];
  return {
    approvals: approvals.data?.length ?? 0,
    anomalies: anomalies.data?.length ?? 0,
    support: open.length,
    supportOverdue: open.some((r) => r.overdue),
  };
}

/** Said on every console page while Redis is unreachable: calls are still answered, but counted per instance. */
function CounterStoreWarning() {
  const status = useCounterStatus();
  if (!status.data?.degraded) return null;
  const since = status.data.since === null ? "" : ` since ${formatTime(status.data.since)}`;
  return (
    <div role="alert" className="mb-6 rounded-xl border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="counter-store-warning">
      <p className="font-medium">Redis is unreachable{since}.</p>
      <p className="mt-1">
        Every call is still answered. Each instance counts the calls it serves on its own until Redis answers again, then adds them to the shared counts: meanwhile caps and the per-key ceiling hold per instance, not across them.
      </p>
    </div>
  );
}

/** The operator console's frame: a header with the console's pages. Requires an operator session. */
export function ConsoleLayout() {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <div className="mx-auto max-w-7xl p-8"><LoadingBlock /></div>;
  if (sessionUnavailable(session)) return <SessionUnavailable session={session} />;
  if (!session.data) return <Navigate to={`${paths.consoleSignIn}?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (session.data.role !== "operator") return <Navigate to={paths.usage} replace />;
  return <ConsoleFrame operatorName={session.data.operatorName ?? null} />;
}

function ConsoleFrame({ operatorName }: { operatorName: string | null }) {
  const signOut = useSignOut();
  const waiting = useWaiting();
  const nav: NavItem[] = [
    { to: consolePaths.shadowAudit, label: "Shadow audit", end: true },
    { to: consolePaths.accounts, label: "Accounts" },
    { to: consolePaths.enforcement, label: "Enforcement" },
    { to: consolePaths.approvals, label: "Approvals", count: { n: waiting.approvals, urgent: waiting.approvals > 0, noun: "pending" } },
    { to: consolePaths.anomalies, label: "Anomalies", count: { n: waiting.anomalies, urgent: false, noun: "to review" } },
    { to: consolePaths.support, label: "Support", count: { n: waiting.support, urgent: waiting.supportOverdue, noun: waiting.supportOverdue ? "open, some overdue" : "open" } },
    { to: consolePaths.catalog, label: "Catalog" },
    { to: consolePaths.metrics, label: "Metrics" },
    { to: consolePaths.experiment, label: "Experiment" },
    { to: consolePaths.outbox, label: "Outbox" },
    { to: consolePaths.auditLog, label: "Audit log" },
  ];

  return (
    <div className="min-h-screen bg-slate-50">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">Skip to content</a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl items-center justify-between gap-3 px-4 pt-3 sm:px-6">
          <Logo subtitle="Console" />
          <div className="flex items-center gap-3 text-sm">
            <span className="hidden text-slate-600 sm:inline">Signed in as {operatorName ?? "operator"}</span>
            <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending} className="rounded-lg px-3 py-2 font-medium text-slate-700 hover:bg-slate-100">
              Sign out
            </button>
          </div>
        </div>
        <nav aria-label="Console" className="mx-auto max-w-7xl overflow-x-auto px-2 sm:px-4">
          <ul className="flex min-w-max gap-1 text-sm">
            {nav.map((item) => (
              <li key={item.to}>
                <NavLink
                  to={item.to}
                  end={item.end}
                  className={({ isActive }) =>
                    `relative -mb-px flex items-center gap-2 border-b-2 px-3 py-2.5 font-medium ${isActive ? "border-brand-600 text-brand-700" : "border-transparent text-slate-700 hover:border-slate-300 hover:text-slate-900"}`
                  }
                >
                  {item.label}
                  {item.count && item.count.n > 0 && (
                    <span className={`rounded-full px-1.5 py-0.5 text-xs font-semibold tabular-nums ${item.count.urgent ? "bg-rose-600 text-white" : "bg-slate-200 text-slate-800"}`}>
                      {item.count.n}
                      <span className="sr-only"> {item.count.noun}</span>
                    </span>
                  )}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-6 sm:px-6 sm:py-8">
        <CounterStoreWarning />
        <Outlet />
      </main>
    </div>
  );
}
