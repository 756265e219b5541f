import type { RouteObject } from "react-router";

// Each console page is its own chunk, loaded when first opened.
export const consoleRoutes: RouteObject[] = [
  { index: true, lazy: async () => ({ Component: (await import("./shadow-audit/shadow-audit-page")).ShadowAuditPage }) },
  { path: "accounts", lazy: async () => ({ Component: (await import("./accounts/accounts-page")).AccountsPage }) },
  { path: "accounts/:accountId", lazy: async () => ({ Component: (await import("./accounts/account-page")).AccountPage }) },
  { path: "enforcement", lazy: async () => ({ Component: (await import("./enforcement/enforcement-page")).EnforcementPage }) },
  { path: "approvals", lazy: async () => ({ Component: (await import("./approvals/approvals-page")).ApprovalsPage }) },
  { path: "anomalies", lazy: async () => ({ Component: (await import("./anomalies/anomalies-page")).AnomaliesPage }) },
  { path: "support", lazy: async () => ({ Component: (await import("./support/support-page")).SupportPage }) },
  { path: "catalog", lazy: async () => ({ Component: (await import("./catalog/catalog-page")).CatalogPage }) },
  { path: "experiment", lazy: async () => ({ Component: (await import("./experiment/experiment-page")).ExperimentPage }) },
  { path: "metrics", lazy: async () => ({ Component: (await import("./metrics/metrics-page")).MetricsPage }) },
  { path: "outbox", lazy: async () => ({ Component: (await import("./outbox/outbox-page")).OutboxPage }) },
  { path: "audit", lazy: async () => ({ Component: (await import("./audit-log/audit-log-page")).AuditLogPage }) },
  { path: "*", lazy: async () => ({ Component: (await import("./console-not-found")).ConsoleNotFound }) },
];
