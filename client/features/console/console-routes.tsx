import type { RouteObject } from "react-router";

// Each console page is its own chunk, loaded when first opened; `handle.title` names its tab ("Accounts · Console · <provider>").
export const consoleRoutes: RouteObject[] = [
  { index: true, handle: { title: "Shadow audit" }, lazy: async () => ({ Component: (await import("./shadow-audit/shadow-audit-page")).ShadowAuditPage }) },
  { path: "accounts", handle: { title: "Accounts" }, lazy: async () => ({ Component: (await import("./accounts/accounts-page")).AccountsPage }) },
  { path: "accounts/:accountId", handle: { title: "Account" }, lazy: async () => ({ Component: (await import("./accounts/account-page")).AccountPage }) },
  { path: "enforcement", handle: { title: "Enforcement" }, lazy: async () => ({ Component: (await import("./enforcement/enforcement-page")).EnforcementPage }) },
  { path: "approvals", handle: { title: "Approvals" }, lazy: async () => ({ Component: (await import("./approvals/approvals-page")).ApprovalsPage }) },
  { path: "anomalies", handle: { title: "Anomalies" }, lazy: async () => ({ Component: (await import("./anomalies/anomalies-page")).AnomaliesPage }) },
  { path: "support", handle: { title: "Support" }, lazy: async () => ({ Component: (await import("./support/support-page")).SupportPage }) },
  { path: "catalog", handle: { title: "Catalog" }, lazy: async () => ({ Component: (await import("./catalog/catalog-page")).CatalogPage }) },
  { path: "experiment", handle: { title: "Experiment" }, lazy: async () => ({ Component: (await import("./experiment/experiment-page")).ExperimentPage }) },
  { path: "metrics", handle: { title: "Metrics" }, lazy: async () => ({ Component: (await import("./metrics/metrics-page")).MetricsPage }) },
  { path: "outbox", handle: { title: "Outbox" }, lazy: async () => ({ Component: (await import("./outbox/outbox-page")).OutboxPage }) },
  { path: "audit", handle: { title: "Audit log" }, lazy: async () => ({ Component: (await import("./audit-log/audit-log-page")).AuditLogPage }) },
  { path: "*", handle: { title: "Page not found" }, lazy: async () => ({ Component: (await import("./console-not-found")).ConsoleNotFound }) },
];
