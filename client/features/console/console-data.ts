import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";

/** What the operator procedures answer, as the console receives it. */
export type OperatorOutputs = inferRouterOutputs<AppRouter>["operator"];
export type OperatorInputs = inferRouterInputs<AppRouter>["operator"];

export type AuditRowData = OperatorOutputs["shadowAudit"]["rows"][number];
export type AccountSummary = OperatorOutputs["accounts"][number];
export type AccountDetail = OperatorOutputs["account"];
export type InvoiceData = AccountDetail["billing"]["invoices"][number];
export type Readiness = OperatorOutputs["enforcementReadiness"];
export type ApprovalData = OperatorOutputs["approvals"][number];
export type AnomalyData = OperatorOutputs["anomalies"][number];
export type SupportRequestData = OperatorOutputs["support"][number];
export type MetricsData = OperatorOutputs["metrics"];
export type OutboxMessage = OperatorOutputs["outbox"][number];
export type AuditEntry = OperatorOutputs["audit"][number];
